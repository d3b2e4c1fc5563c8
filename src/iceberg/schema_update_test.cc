#include "iceberg/schema_update.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <sstream>

#include "core/column_batch.h"
#include "formats/parquet/reader.h"
#include "formats/parquet/writer.h"
#include "iceberg/file_writers.h"
#include "iceberg/table.h"
#include "storage/local_file_io.h"

namespace nilus::iceberg {
namespace {

constexpr char kTableName[] = "shop.orders";

// The field a '.'-joined path names (walking struct fields, list "element", map "key"/"value"
// by name), or nullptr.
const NestedField* FindPath(const Schema& schema, const std::string& path) {
  const std::vector<NestedField>* fields = &schema.fields();
  const NestedField* found = nullptr;
  std::stringstream in(path);
  std::string part;
  while (std::getline(in, part, '.')) {
    if (fields == nullptr) return nullptr;
    found = nullptr;
    for (const auto& f : *fields) {
      if (f.name == part) found = &f;
    }
    if (found == nullptr) return nullptr;
    fields = found->type->is_nested() ? &found->type->fields() : nullptr;
  }
  return found;
}

// id long required (identifier), name string, count int required, ratio float, price
// decimal(9,2), address struct<city string required, zip int>, tags list<int>,
// attrs map<string, struct<x int>>, points list<struct<x float required>>; partitioned by
// identity(name) and bucket[4](count). Field ids are assigned by NewTableMetadata.
TableMetadata BaseMetadata() {
  Schema schema(
      {
          NestedField::Required(1, "id", Type::Long()),
          NestedField::Optional(2, "name", Type::String()),
          NestedField::Required(3, "count", Type::Int()),
          NestedField::Optional(4, "ratio", Type::Float()),
          NestedField::Optional(5, "price", Type::Decimal(9, 2)),
          NestedField::Optional(6, "address",
                                Type::Struct({NestedField::Required(7, "city", Type::String()),
                                              NestedField::Optional(8, "zip", Type::Int())})),
          NestedField::Optional(9, "tags", Type::List(10, Type::Int(), false)),
          NestedField::Optional(
              11, "attrs",
              Type::Map(12, Type::String(), 13,
                        Type::Struct({NestedField::Optional(14, "x", Type::Int())}), false)),
          NestedField::Optional(
              15, "points",
              Type::List(16, Type::Struct({NestedField::Required(17, "x", Type::Float())}), false)),
      },
      0, {1});
  PartitionSpec spec;
  spec.fields.push_back({2, 1000, "name", Transform::Identity()});
  spec.fields.push_back({3, 1001, "count_bucket", *Transform::Bucket(4)});
  auto md = NewTableMetadata(schema, spec, SortOrder::Unsorted(), "s3://warehouse/shop/orders");
  EXPECT_TRUE(md.ok()) << md.status().ToString();
  return md.MoveValue();
}

SchemaUpdate Update() { return SchemaUpdate::ForTableName(kTableName); }

const Schema& Current(const TableMetadata& md) {
  const Schema* s = md.CurrentSchema();
  EXPECT_NE(s, nullptr);
  return *s;
}

int32_t IdOf(const TableMetadata& md, const std::string& path) {
  const NestedField* f = FindPath(Current(md), path);
  EXPECT_NE(f, nullptr) << path;
  return f ? f->id : -1;
}

// Checks that `result` failed with `code` and that its message names the table and holds every
// string of `parts`.
void ExpectRefused(const Result<TableMetadata>& result, StatusCode code,
                   const std::vector<std::string>& parts) {
  ASSERT_FALSE(result.ok()) << "the change was accepted";
  const Status& st = result.status();
  EXPECT_EQ(st.code(), code) << st.ToString();
  EXPECT_NE(st.message().find(kTableName), std::string::npos) << st.message();
  for (const auto& p : parts) {
    EXPECT_NE(st.message().find(p), std::string::npos) << "'" << p << "' not in: " << st.message();
  }
}

TEST(SchemaUpdateTest, AllowedTypeWidenings) {
  struct Case {
    std::string path;
    TypePtr to;
  };
  const std::vector<Case> cases = {
      {"count", Type::Long()},         {"ratio", Type::Double()},
      {"price", Type::Decimal(10, 2)}, {"price", Type::Decimal(38, 2)},
      {"address.zip", Type::Long()},   {"tags.element", Type::Long()},
      {"attrs.value.x", Type::Long()}, {"points.element.x", Type::Double()},
  };
  const TableMetadata base = BaseMetadata();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path + " -> " + c.to->ToString());
    const int32_t id = IdOf(base, c.path);
    const NestedField before = *FindPath(Current(base), c.path);
    auto next = Update().UpdateColumnType(c.path, c.to).Apply(base);
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    const NestedField* after = FindPath(Current(*next), c.path);
    ASSERT_NE(after, nullptr);
    EXPECT_TRUE(after->type->Equals(*c.to)) << after->type->ToString();
    EXPECT_EQ(after->id, id);
    EXPECT_EQ(after->required, before.required);
    EXPECT_EQ(next->current_schema_id, 1);
    ASSERT_EQ(next->schemas.size(), 2u);
    EXPECT_TRUE(next->schemas[0]->Equals(*base.schemas[0])) << "the old schema was changed";
    EXPECT_EQ(next->last_column_id, base.last_column_id);
    EXPECT_EQ(Current(*next).identifier_field_ids(), Current(base).identifier_field_ids());
  }
}

TEST(SchemaUpdateTest, RefusedTypeChangesNameColumnTypesAndTable) {
  struct Case {
    std::string path;
    TypePtr to;
    StatusCode code;
    std::string old_type;
  };
  const std::vector<Case> cases = {
      {"id", Type::Int(), StatusCode::kTypeError, "long"},  // narrowing
      {"count", Type::String(), StatusCode::kTypeError, "int"},
      {"count", Type::Double(), StatusCode::kTypeError, "int"},
      {"ratio", Type::Long(), StatusCode::kTypeError, "float"},
      {"name", Type::Int(), StatusCode::kTypeError, "string"},
      {"name", Type::Binary(), StatusCode::kTypeError, "string"},
      {"price", Type::Decimal(18, 3), StatusCode::kTypeError, "decimal(9,2)"},  // scale change
      {"price", Type::Decimal(8, 2), StatusCode::kTypeError, "decimal(9,2)"},   // narrowing
      {"price", Type::Double(), StatusCode::kTypeError, "decimal(9,2)"},
      {"address.zip", Type::String(), StatusCode::kTypeError, "int"},
      {"address", Type::Long(), StatusCode::kTypeError, "struct<"},
      {"tags", Type::List(99, Type::Long(), false), StatusCode::kTypeError, "list<int>"},
      {"count", Type::List(99, Type::Int(), false), StatusCode::kTypeError, "int"},
      {"attrs.key", Type::Binary(), StatusCode::kInvalidArgument, "string"},
  };
  const TableMetadata base = BaseMetadata();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path + " -> " + c.to->ToString());
    auto next = Update().UpdateColumnType(c.path, c.to).Apply(base);
    ExpectRefused(next, c.code, {"'" + c.path + "'", c.old_type, c.to->ToString()});
  }
}

TEST(SchemaUpdateTest, SameTypeIsANoOpThatKeepsTheSchema) {
  const TableMetadata base = BaseMetadata();
  auto next = Update()
                  .UpdateColumnType("count", Type::Int())
                  .UpdateColumnType("price", Type::Decimal(9, 2))
                  .Apply(base);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->current_schema_id, 0);
  EXPECT_EQ(next->schemas.size(), 1u);
}

TEST(SchemaUpdateTest, AddColumnsTakeFreshIdsAndAreOptional) {
  const TableMetadata base = BaseMetadata();
  const int32_t last = base.last_column_id;
  // A nested type's own ids are replaced: the column first, then its fields breadth-first.
  TypePtr contact = Type::Struct({
      NestedField::Required(1, "email", Type::String()),
      NestedField::Optional(2, "phones", Type::List(3, Type::String(), true)),
  });
  auto next = Update()
                  .AddColumn("note", Type::String(), "free text")
                  .AddColumn("address", "country", Type::String())
                  .AddColumn("points.element", "y", Type::Float())
                  .AddColumn("attrs.value", "z", Type::Long())
                  .AddColumn("contact", contact)
                  .Apply(base);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  const Schema& s = Current(*next);

  struct Expect {
    std::string path;
    int32_t id;
    std::string type;
    bool required;
  };
  const std::vector<Expect> expected = {
      {"note", last + 1, "string", false},
      {"address.country", last + 2, "string", false},
      {"points.element.y", last + 3, "float", false},
      {"attrs.value.z", last + 4, "long", false},
      {"contact", last + 5, "", false},
      {"contact.email", last + 6, "string", true},  // required inside an optional struct
      {"contact.phones", last + 7, "", false},
      {"contact.phones.element", last + 8, "string", true},
  };
  for (const Expect& e : expected) {
    SCOPED_TRACE(e.path);
    const NestedField* f = FindPath(s, e.path);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->id, e.id);
    EXPECT_EQ(f->required, e.required);
    if (!e.type.empty()) {
      EXPECT_EQ(f->type->ToString(), e.type);
    }
  }
  EXPECT_EQ(FindPath(s, "note")->doc, "free text");
  EXPECT_EQ(s.fields().back().name, "contact");  // appended at the end
  EXPECT_EQ(next->last_column_id, last + 8);
  EXPECT_EQ(s.HighestFieldId(), last + 8);
  EXPECT_EQ(next->current_schema_id, 1);
  EXPECT_TRUE(s.Validate().ok());
  // Existing fields keep their ids.
  EXPECT_EQ(IdOf(*next, "address.city"), IdOf(base, "address.city"));
}

TEST(SchemaUpdateTest, RefusedAdds) {
  struct Case {
    std::string what;
    SchemaUpdate update;
    StatusCode code;
    std::vector<std::string> parts;
  };
  std::vector<Case> cases;
  cases.push_back({"required",
                   Update().AddRequiredColumn("sku", Type::String()),
                   StatusCode::kInvalidArgument,
                   {"'sku'", "required", "no value"}});
  cases.push_back({"clash top level",
                   Update().AddColumn("name", Type::Long()),
                   StatusCode::kInvalidArgument,
                   {"'name'", "already exists"}});
  cases.push_back({"clash nested",
                   Update().AddColumn("address", "city", Type::Long()),
                   StatusCode::kInvalidArgument,
                   {"'address.city'", "already exists"}});
  cases.push_back({"parent is a list",
                   Update().AddColumn("points", "y", Type::Int()),
                   StatusCode::kInvalidArgument,
                   {"'points.y'", "not a struct", "points.element"}});
  cases.push_back({"parent is primitive",
                   Update().AddColumn("count", "y", Type::Int()),
                   StatusCode::kInvalidArgument,
                   {"'count.y'", "not a struct"}});
  cases.push_back({"missing parent",
                   Update().AddColumn("shipping", "y", Type::Int()),
                   StatusCode::kNotFound,
                   {"'shipping.y'", "no such column 'shipping'"}});
  cases.push_back({"dot in name",
                   Update().AddColumn("a.b", Type::Int()),
                   StatusCode::kInvalidArgument,
                   {"'a.b'", "'.'"}});
  cases.push_back(
      {"empty name", Update().AddColumn("", Type::Int()), StatusCode::kInvalidArgument, {"empty"}});
  // Case-sensitive: "Name" does not clash with "name".
  const TableMetadata base = BaseMetadata();
  ASSERT_TRUE(Update().AddColumn("Name", Type::String()).Apply(base).ok());
  for (Case& c : cases) {
    SCOPED_TRACE(c.what);
    ExpectRefused(c.update.Apply(base), c.code, c.parts);
  }
}

TEST(SchemaUpdateTest, RenameKeepsIdsAndPartitionSpecStaysValid) {
  const TableMetadata base = BaseMetadata();
  const int32_t name_id = IdOf(base, "name");
  const int32_t city_id = IdOf(base, "address.city");
  const int32_t x_id = IdOf(base, "points.element.x");
  auto next = Update()
                  .RenameColumn("name", "title")
                  .RenameColumn("address.city", "town")
                  .RenameColumn("points.element.x", "px")
                  .RenameColumn("count", "count")  // no-op
                  .Apply(base);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  const Schema& s = Current(*next);
  EXPECT_EQ(FindPath(s, "name"), nullptr);
  EXPECT_EQ(IdOf(*next, "title"), name_id);
  EXPECT_EQ(IdOf(*next, "address.town"), city_id);
  EXPECT_EQ(IdOf(*next, "points.element.px"), x_id);
  EXPECT_EQ(s.fields()[1].name, "title");  // position kept
  // The spec refers to ids, so it names the renamed column and still validates.
  EXPECT_EQ(next->DefaultSpec()->fields[0].source_id, name_id);
  EXPECT_TRUE(next->DefaultSpec()->Validate(s).ok());
  EXPECT_EQ(next->last_column_id, base.last_column_id);
}

TEST(SchemaUpdateTest, RefusedRenames) {
  struct Case {
    std::string path;
    std::string to;
    StatusCode code;
    std::string part;
  };
  const std::vector<Case> cases = {
      {"name", "count", StatusCode::kInvalidArgument, "already exists"},
      {"address.city", "zip", StatusCode::kInvalidArgument, "already exists"},
      {"nope", "x", StatusCode::kNotFound, "no such column"},
      {"address.nope", "x", StatusCode::kNotFound, "has no field 'nope'"},
      {"count.x", "y", StatusCode::kNotFound, "has no field 'x'"},
      {"tags.element", "item", StatusCode::kInvalidArgument, "fixed names"},
      {"attrs.key", "k", StatusCode::kInvalidArgument, "fixed names"},
      {"name", "a.b", StatusCode::kInvalidArgument, "'.'"},
      {"address..city", "x", StatusCode::kInvalidArgument, "malformed"},
  };
  const TableMetadata base = BaseMetadata();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path + " -> " + c.to);
    ExpectRefused(Update().RenameColumn(c.path, c.to).Apply(base), c.code,
                  {"'" + c.path + "'", c.part});
  }
}

TEST(SchemaUpdateTest, MakeOptionalAndItsRefusals) {
  const TableMetadata base = BaseMetadata();
  auto next = Update()
                  .MakeOptional("count")
                  .MakeOptional("address.city")
                  .MakeOptional("points.element.x")
                  .MakeOptional("name")  // already optional: no-op
                  .MakeRequired("id")    // already required: no-op
                  .Apply(base);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  const Schema& s = Current(*next);
  EXPECT_FALSE(FindPath(s, "count")->required);
  EXPECT_FALSE(FindPath(s, "address.city")->required);
  EXPECT_FALSE(FindPath(s, "points.element.x")->required);
  EXPECT_TRUE(FindPath(s, "id")->required);
  EXPECT_EQ(IdOf(*next, "count"), IdOf(base, "count"));

  ExpectRefused(Update().MakeOptional("id").Apply(base), StatusCode::kInvalidArgument,
                {"'id'", "identifier"});
  ExpectRefused(Update().MakeRequired("name").Apply(base), StatusCode::kInvalidArgument,
                {"'name'", "required", "nulls"});
  ExpectRefused(Update().MakeRequired("address.zip").Apply(base), StatusCode::kInvalidArgument,
                {"'address.zip'", "nulls"});
  ExpectRefused(Update().MakeOptional("ghost").Apply(base), StatusCode::kNotFound,
                {"'ghost'", "no such column"});
}

TEST(SchemaUpdateTest, OperationsRunInOrderOnTheChangedSchema) {
  const TableMetadata base = BaseMetadata();
  auto next = Update()
                  .RenameColumn("count", "quantity")
                  .UpdateColumnType("quantity", Type::Long())
                  .AddColumn("extra", Type::Struct({}))
                  .AddColumn("extra", "a", Type::Int())
                  .Apply(base);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(FindPath(Current(*next), "quantity")->type->id(), TypeId::kLong);
  EXPECT_EQ(IdOf(*next, "extra.a"), base.last_column_id + 2);
  // The old name is gone once renamed.
  ExpectRefused(Update()
                    .RenameColumn("count", "quantity")
                    .UpdateColumnType("count", Type::Long())
                    .Apply(base),
                StatusCode::kNotFound, {"'count'"});
  // The first failing operation fails the whole update; base is untouched (Apply is pure).
  EXPECT_EQ(FindPath(Current(base), "count")->type->id(), TypeId::kInt);
}

TEST(SchemaUpdateTest, SchemaIdsAndIdenticalSchemaReuse) {
  const TableMetadata v0 = BaseMetadata();
  auto v1 = Update().RenameColumn("name", "title").Apply(v0);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->current_schema_id, 1);
  auto v2 = Update().AddColumn("note", Type::String()).Apply(*v1);
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_EQ(v2->current_schema_id, 2);
  EXPECT_EQ(v2->last_column_id, v0.last_column_id + 1);

  // Renaming back to the schema-1 shape reuses schema 1.
  auto v3 = Update().RenameColumn("note", "tmp").Apply(*v2);
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ(v3->current_schema_id, 3);
  auto v4 = Update().RenameColumn("tmp", "note").Apply(*v3);
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->current_schema_id, 2);
  EXPECT_EQ(v4->schemas.size(), 4u);

  // Schema ids need not be dense: the next one is the highest + 1.
  TableMetadata gaps = *v1;
  gaps.schemas.push_back(std::make_shared<const Schema>(
      std::vector<NestedField>{NestedField::Required(1, "id", Type::Long())}, 7));
  auto v5 = Update().AddColumn("flag", Type::Boolean()).Apply(gaps);
  ASSERT_TRUE(v5.ok()) << v5.status().ToString();
  EXPECT_EQ(v5->current_schema_id, 8);

  // Renaming back to the original shape reuses schema 0, as Java does.
  auto back = Update().RenameColumn("title", "name").Apply(*v1);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->current_schema_id, 0);
  EXPECT_EQ(back->schemas.size(), 2u);
}

TEST(SchemaUpdateTest, ReapplyAfterAConcurrentChange) {
  const TableMetadata base = BaseMetadata();
  SchemaUpdate ours = Update();
  ours.UpdateColumnType("count", Type::Long()).AddColumn("note", Type::String());
  // Another writer added a column first: ours still applies and takes the next free id.
  auto theirs = Update().AddColumn("discount", Type::Double()).Apply(base);
  ASSERT_TRUE(theirs.ok());
  auto next = ours.Apply(*theirs);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(IdOf(*next, "discount"), base.last_column_id + 1);
  EXPECT_EQ(IdOf(*next, "note"), base.last_column_id + 2);
  EXPECT_EQ(next->current_schema_id, 2);
  // Another writer renamed the column: ours fails, naming it.
  auto renamed = Update().RenameColumn("count", "qty").Apply(base);
  ASSERT_TRUE(renamed.ok());
  ExpectRefused(ours.Apply(*renamed), StatusCode::kNotFound, {"'count'", "no such column"});
}

TEST(SchemaUpdateTest, JsonRoundTripKeepsTheSchemaList) {
  const TableMetadata base = BaseMetadata();
  auto v1 = Update()
                .UpdateColumnType("price", Type::Decimal(18, 2))
                .AddColumn("contact",
                           Type::Struct({NestedField::Optional(
                               1, "tags", Type::Map(2, Type::String(), 3, Type::Long(), false))}),
                           "how to reach")
                .Apply(base);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  auto v2 = Update().RenameColumn("ratio", "share").MakeOptional("count").Apply(*v1);
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  auto parsed = TableMetadataFromJson(TableMetadataToJson(*v2), "round trip");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->schemas.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(parsed->schemas[i]->Equals(*v2->schemas[i]))
        << parsed->schemas[i]->ToString() << " vs " << v2->schemas[i]->ToString();
  }
  EXPECT_EQ(parsed->current_schema_id, 2);
  EXPECT_EQ(parsed->last_column_id, v2->last_column_id);
  EXPECT_EQ(FindPath(Current(*parsed), "contact")->doc, "how to reach");
}

TEST(SchemaUpdateTest, CommitWithoutATableIsRefused) {
  Status st = Update().AddColumn("x", Type::Int()).Commit();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find(kTableName), std::string::npos);
}

// Commits through a SQLite catalog in a temporary directory.
class SchemaUpdateCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "nilus_schema_update_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = SqlCatalogStore::Open("sqlite:///" + dir_ + "/catalog.db", "test");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = store.MoveValue();
    ASSERT_TRUE(store_->CreateNamespace("shop").ok());
    auto catalog = Catalog::Make(store_.get(), &io_, dir_ + "/warehouse");
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = catalog.MoveValue();
  }
  void TearDown() override {
    catalog_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  LocalFileIO io_;
  std::unique_ptr<SqlCatalogStore> store_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(SchemaUpdateCommitTest, CommitIsSeenByLoadTable) {
  auto created =
      catalog_->CreateTable("shop", "orders", Schema(BaseMetadata().schemas[0]->fields()),
                            PartitionSpec::Unpartitioned());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  std::unique_ptr<Table> table = created.MoveValue();
  const std::string first_location = table->metadata_location();

  SchemaUpdate update = SchemaUpdate::For(table.get());
  update.AddColumn("note", Type::String()).RenameColumn("name", "title");
  update.UpdateColumnType("count", Type::Long());
  ASSERT_TRUE(update.Commit().ok());
  EXPECT_NE(table->metadata_location(), first_location);
  EXPECT_EQ(table->metadata().current_schema_id, 1);

  auto loaded = catalog_->LoadTable("shop", "orders");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const TableMetadata& md = (*loaded)->metadata();
  EXPECT_EQ((*loaded)->metadata_location(), table->metadata_location());
  EXPECT_EQ(md.current_schema_id, 1);
  ASSERT_EQ(md.schemas.size(), 2u);
  EXPECT_TRUE(Current(md).Equals(Current(table->metadata())));
  EXPECT_NE(FindPath(Current(md), "title"), nullptr);
  EXPECT_EQ(FindPath(Current(md), "count")->type->id(), TypeId::kLong);
  EXPECT_EQ(IdOf(md, "note"), md.last_column_id);
  EXPECT_EQ(md.metadata_log.size(), 1u);
  EXPECT_EQ(md.metadata_log[0].metadata_file, first_location);

  // A refused change writes nothing and leaves the catalog pointer where it was.
  const std::string committed = table->metadata_location();
  SchemaUpdate bad = SchemaUpdate::For(loaded->get());
  bad.UpdateColumnType("title", Type::Int());
  Status st = bad.Commit();
  EXPECT_EQ(st.code(), StatusCode::kTypeError) << st.ToString();
  EXPECT_NE(st.message().find("shop.orders"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("'title'"), std::string::npos) << st.message();
  EXPECT_EQ(*store_->LoadTable("shop", "orders"), committed);

  // An update without operations commits nothing.
  ASSERT_TRUE(SchemaUpdate::For(table.get()).Commit().ok());
  EXPECT_EQ(*store_->LoadTable("shop", "orders"), committed);
  EXPECT_EQ(table->metadata_location(), committed);
}

TEST_F(SchemaUpdateCommitTest, CommitReappliesOnTopOfAConcurrentCommit) {
  auto created =
      catalog_->CreateTable("shop", "orders", Schema(BaseMetadata().schemas[0]->fields()),
                            PartitionSpec::Unpartitioned());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto stale = catalog_->LoadTable("shop", "orders");
  ASSERT_TRUE(stale.ok());

  ASSERT_TRUE(SchemaUpdate::For(created->get()).AddColumn("a", Type::Int()).Commit().ok());
  // `stale` still holds version 0: its commit loses the swap, reloads and re-applies.
  ASSERT_TRUE(SchemaUpdate::For(stale->get()).AddColumn("b", Type::Int()).Commit().ok());
  auto loaded = catalog_->LoadTable("shop", "orders");
  ASSERT_TRUE(loaded.ok());
  const TableMetadata& md = (*loaded)->metadata();
  EXPECT_EQ(md.current_schema_id, 2);
  EXPECT_EQ(IdOf(md, "b"), IdOf(md, "a") + 1);

  // A stale rename of a column another writer renamed meanwhile fails clearly.
  auto stale2 = catalog_->LoadTable("shop", "orders");
  ASSERT_TRUE(stale2.ok());
  ASSERT_TRUE(SchemaUpdate::For(loaded->get()).RenameColumn("a", "a2").Commit().ok());
  Status st = SchemaUpdate::For(stale2->get()).RenameColumn("a", "a3").Commit();
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.ToString();
  EXPECT_NE(st.message().find("'a'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("shop.orders"), std::string::npos) << st.message();
}

// Writes a data file with the old schema, evolves the table, and reads the old file with the
// new schema: widened values equal the old ones, the added column reads as null.
TEST_F(SchemaUpdateCommitTest, OldFileReadsWithTheEvolvedSchema) {
  Schema old_schema({
      NestedField::Required(1, "id", Type::Int()),
      NestedField::Optional(2, "ratio", Type::Float()),
      NestedField::Optional(3, "price", Type::Decimal(9, 2)),
      NestedField::Optional(4, "label", Type::String()),
  });
  auto created =
      catalog_->CreateTable("shop", "evolving", old_schema, PartitionSpec::Unpartitioned());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  std::unique_ptr<Table> table = created.MoveValue();

  const std::vector<int32_t> ids = {1, -7, 2147483647, -2147483647 - 1};
  const std::vector<float> ratios = {0.5f, -1.25f, 3.4028235e38f, 1e-7f};
  const std::vector<__int128> prices = {12345, -1, 999999999, -999999999};  // decimal(9,2)
  const std::string path = table->metadata().location + "/data/old.parquet";
  {
    SchemaPtr schema = table->metadata().schemas.at(0);
    auto writer = parquet::ParquetWriter::Open(&io_, path, schema);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    ColumnBatch batch(schema);
    for (size_t i = 0; i < ids.size(); ++i) {
      batch.mutable_column(0)->AppendInt32(ids[i]);
      if (i == 3) {
        batch.mutable_column(1)->AppendNull();
      } else {
        batch.mutable_column(1)->AppendFloat(ratios[i]);
      }
      batch.mutable_column(2)->AppendDecimal(prices[i]);
      batch.mutable_column(3)->AppendBytes("row" + std::to_string(i));
    }
    ASSERT_TRUE((*writer)->Write(batch).ok());
    auto metrics = (*writer)->Close();
    ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
    auto file = DataFileFromParquet(*metrics, DataFileContent::kData, {});
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    auto append = table->NewFastAppend();
    append->AppendFile(file.MoveValue());
    ASSERT_TRUE(append->Commit().ok());
  }

  SchemaUpdate update = SchemaUpdate::For(table.get());
  update.UpdateColumnType("id", Type::Long())
      .UpdateColumnType("ratio", Type::Double())
      .UpdateColumnType("price", Type::Decimal(18, 2))
      .AddColumn("note", Type::String())
      .RenameColumn("label", "title");
  Status st = update.Commit();
  ASSERT_TRUE(st.ok()) << st.ToString();

  auto loaded = catalog_->LoadTable("shop", "evolving");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Schema& current = Current((*loaded)->metadata());
  auto schema = std::make_shared<const Schema>(current);
  ASSERT_EQ(schema->fields().size(), 5u);
  EXPECT_EQ(schema->fields()[3].name, "title");
  EXPECT_EQ(schema->fields()[4].name, "note");

  auto reader = parquet::ParquetReader::Open(&io_, path, schema);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  ASSERT_EQ((*reader)->num_row_groups(), 1);
  auto batch = (*reader)->ReadRowGroup(0);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  const ColumnBatch& b = **batch;
  ASSERT_EQ(b.num_rows(), static_cast<int64_t>(ids.size()));
  for (size_t i = 0; i < ids.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(b.column(0).Value<int64_t>(i), static_cast<int64_t>(ids[i]));
    if (i == 3) {
      EXPECT_TRUE(b.column(1).IsNull(i));
    } else {
      EXPECT_EQ(b.column(1).Value<double>(i), static_cast<double>(ratios[i]));
    }
    EXPECT_TRUE(b.column(2).Value<__int128>(i) == prices[i]);
    EXPECT_EQ(b.column(3).Bytes(i), "row" + std::to_string(i));
    EXPECT_TRUE(b.column(4).IsNull(i));
  }
}

}  // namespace
}  // namespace nilus::iceberg
