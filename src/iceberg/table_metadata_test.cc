#include "iceberg/table_metadata.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "iceberg/uuid_util.h"
#include "storage/local_file_io.h"
#include "storage/memory_file_io.h"

namespace nilus::iceberg {
namespace {

std::string GoldenPath(const char* name) {
  return (std::filesystem::path(__FILE__).parent_path() / "../../tests/data/iceberg" / name)
      .lexically_normal()
      .string();
}

Result<TableMetadata> ReadGolden(const char* name) {
  LocalFileIO io;
  return ReadTableMetadata(&io, GoldenPath(name));
}

// Serializing, parsing and serializing again must give the same text.
void ExpectStableRoundTrip(const TableMetadata& md) {
  std::string json = TableMetadataToJson(md);
  auto back = TableMetadataFromJson(json, "round-trip");
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << json;
  EXPECT_EQ(TableMetadataToJson(*back), json);
}

TEST(IcebergTableMetadata, ReadsJavaV2Golden) {
  auto md = ReadGolden("java_v2_valid.metadata.json");
  ASSERT_TRUE(md.ok()) << md.status().ToString();
  EXPECT_EQ(md->format_version, 2);
  EXPECT_EQ(md->table_uuid, "9c12d441-03fe-4693-9a96-a0705ddf69c1");
  EXPECT_EQ(md->location, "s3://bucket/test/location");
  EXPECT_EQ(md->last_sequence_number, 34);
  EXPECT_EQ(md->last_updated_ms, 1602638573590);
  EXPECT_EQ(md->last_column_id, 3);
  ASSERT_EQ(md->schemas.size(), 2u);
  const Schema* current = md->CurrentSchema();
  ASSERT_NE(current, nullptr);
  EXPECT_EQ(current->schema_id(), 1);
  ASSERT_EQ(current->fields().size(), 3u);
  EXPECT_EQ(current->fields()[1].name, "y");
  EXPECT_EQ(current->fields()[1].doc, "comment");
  EXPECT_TRUE(current->fields()[2].required);
  EXPECT_EQ(current->fields()[2].type->id(), TypeId::kLong);
  ASSERT_NE(md->DefaultSpec(), nullptr);
  ASSERT_EQ(md->DefaultSpec()->fields.size(), 1u);
  EXPECT_EQ(md->DefaultSpec()->fields[0].field_id, 1000);
  EXPECT_EQ(md->last_partition_id, 1000);
  const SortOrder* order = md->DefaultSortOrder();
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->order_id, 3);
  ASSERT_EQ(order->fields.size(), 2u);
  EXPECT_EQ(order->fields[1].transform.ToString(), "bucket[4]");
  EXPECT_EQ(order->fields[1].direction, SortDirection::kDesc);
  EXPECT_EQ(order->fields[1].null_order, NullOrder::kNullsLast);
  // -1 means "no snapshot"; refs are absent and none is invented.
  EXPECT_FALSE(md->current_snapshot_id.has_value());
  EXPECT_EQ(md->CurrentSnapshot(), nullptr);
  EXPECT_TRUE(md->refs.empty());
  EXPECT_FALSE(md->FindLatestSummaryProperty("nilus.lsn").has_value());
  ExpectStableRoundTrip(*md);
}

TEST(IcebergTableMetadata, ReadsPyIcebergV2Golden) {
  auto md = ReadGolden("pyiceberg_v2_append.metadata.json");
  ASSERT_TRUE(md.ok()) << md.status().ToString();
  EXPECT_EQ(md->last_sequence_number, 1);
  ASSERT_TRUE(md->current_snapshot_id.has_value());
  EXPECT_EQ(*md->current_snapshot_id, 183538268866918898);
  const Snapshot* snap = md->CurrentSnapshot();
  ASSERT_NE(snap, nullptr);
  EXPECT_EQ(snap->sequence_number, 1);
  EXPECT_EQ(snap->operation(), "append");
  EXPECT_FALSE(snap->parent_snapshot_id.has_value());
  EXPECT_EQ(snap->schema_id, 0);
  EXPECT_NE(snap->manifest_list.find("snap-183538268866918898-0-"), std::string::npos);
  EXPECT_EQ(md->FindLatestSummaryProperty("total-records"), "2");
  ASSERT_EQ(md->refs.count("main"), 1u);
  EXPECT_EQ(md->refs.at("main").snapshot_id, 183538268866918898);
  EXPECT_EQ(md->refs.at("main").type, SnapshotRefType::kBranch);
  const PartitionSpec* spec = md->DefaultSpec();
  ASSERT_NE(spec, nullptr);
  ASSERT_EQ(spec->fields.size(), 2u);
  EXPECT_EQ(spec->fields[1].transform.ToString(), "bucket[16]");
  EXPECT_EQ(spec->fields[1].source_id, 2);
  ASSERT_EQ(md->snapshot_log.size(), 1u);
  EXPECT_EQ(md->snapshot_log[0].snapshot_id, 183538268866918898);
  ASSERT_EQ(md->metadata_log.size(), 1u);
  EXPECT_EQ(md->metadata_log[0].timestamp_ms, 1791332804550);
  EXPECT_EQ(ParseMetadataVersion(md->metadata_log[0].metadata_file).ValueOr(-1), 0);
  ExpectStableRoundTrip(*md);
}

Schema SampleSchema() {
  // Ids deliberately not in the order NewTableMetadata assigns.
  auto address = Type::Struct({NestedField::Optional(50, "city", Type::String()),
                               NestedField::Optional(51, "zip", Type::String())});
  return Schema(
      {NestedField::Required(10, "id", Type::Long()), NestedField::Optional(20, "address", address),
       NestedField::Optional(30, "tags", Type::List(31, Type::String(), false)),
       NestedField::Optional(40, "props", Type::Map(41, Type::String(), 42, Type::Int(), true)),
       NestedField::Optional(60, "ts", Type::TimestampTz())},
      /*schema_id=*/5, /*identifier_field_ids=*/{10});
}

TEST(IcebergTableMetadata, NewTableAssignsFreshIds) {
  PartitionSpec spec;
  spec.spec_id = 9;
  spec.fields.push_back({60, 7777, "ts_day", Transform::Day()});
  spec.fields.push_back({10, 7778, "id_bucket", *Transform::Bucket(8)});
  SortOrder order;
  order.order_id = 4;
  order.fields.push_back({Transform::Identity(), 60, SortDirection::kDesc, NullOrder::kNullsLast});

  auto md = NewTableMetadata(SampleSchema(), spec, order, "file:///wh/db/t/", {{"owner", "nilus"}});
  ASSERT_TRUE(md.ok()) << md.status().ToString();
  EXPECT_TRUE(IsValidUuid(md->table_uuid));
  EXPECT_EQ(md->location, "file:///wh/db/t");
  EXPECT_EQ(md->format_version, 2);
  EXPECT_EQ(md->last_sequence_number, 0);
  EXPECT_GT(md->last_updated_ms, 1700000000000);
  EXPECT_EQ(md->properties.at("owner"), "nilus");
  EXPECT_FALSE(md->current_snapshot_id.has_value());

  // Breadth-first, as Java assigns: top-level 1..5, then address's fields, the list element,
  // the map key and value.
  const Schema* s = md->CurrentSchema();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->schema_id(), 0);
  ASSERT_EQ(s->fields().size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(s->fields()[i].id, i + 1) << s->fields()[i].name;
  EXPECT_EQ(s->fields()[1].type->fields()[0].id, 6);
  EXPECT_EQ(s->fields()[1].type->fields()[1].id, 7);
  EXPECT_EQ(s->fields()[2].type->element().id, 8);
  EXPECT_FALSE(s->fields()[2].type->element().required);
  EXPECT_EQ(s->fields()[3].type->key().id, 9);
  EXPECT_EQ(s->fields()[3].type->value().id, 10);
  EXPECT_EQ(md->last_column_id, 10);
  EXPECT_EQ(s->identifier_field_ids(), std::vector<int32_t>{1});

  const PartitionSpec* fresh = md->DefaultSpec();
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(fresh->spec_id, 0);
  ASSERT_EQ(fresh->fields.size(), 2u);
  EXPECT_EQ(fresh->fields[0].source_id, 5);
  EXPECT_EQ(fresh->fields[0].field_id, 1000);
  EXPECT_EQ(fresh->fields[1].source_id, 1);
  EXPECT_EQ(fresh->fields[1].field_id, 1001);
  EXPECT_EQ(md->last_partition_id, 1001);
  ASSERT_NE(md->DefaultSortOrder(), nullptr);
  EXPECT_EQ(md->default_sort_order_id, 1);
  EXPECT_EQ(md->DefaultSortOrder()->fields[0].source_id, 5);
  ExpectStableRoundTrip(*md);

  // An unpartitioned, unsorted table.
  auto plain = NewTableMetadata(SampleSchema(), PartitionSpec::Unpartitioned(),
                                SortOrder::Unsorted(), "mem://t");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->last_partition_id, 999);
  EXPECT_EQ(plain->default_sort_order_id, 0);
  EXPECT_NE(plain->table_uuid, md->table_uuid);

  // A spec whose source column does not exist, or whose transform does not fit.
  PartitionSpec bad;
  bad.fields.push_back({99, 1000, "x", Transform::Identity()});
  auto r = NewTableMetadata(SampleSchema(), bad, SortOrder::Unsorted(), "mem://t");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("source id 99"), std::string::npos);
  PartitionSpec hour_of_long;
  hour_of_long.fields.push_back({10, 1000, "h", Transform::Hour()});
  EXPECT_EQ(NewTableMetadata(SampleSchema(), hour_of_long, SortOrder::Unsorted(), "mem://t")
                .status()
                .code(),
            StatusCode::kTypeError);
}

TEST(IcebergTableMetadata, WritesJavaV2Conventions) {
  auto md = NewTableMetadata(SampleSchema(), PartitionSpec::Unpartitioned(), SortOrder::Unsorted(),
                             "mem://t");
  ASSERT_TRUE(md.ok());
  auto doc = nlohmann::json::parse(TableMetadataToJson(*md));
  EXPECT_EQ(doc["format-version"], 2);
  EXPECT_EQ(doc["current-snapshot-id"], -1);
  EXPECT_TRUE(doc["refs"].is_object());
  EXPECT_TRUE(doc["refs"].empty());
  EXPECT_EQ(doc["last-partition-id"], 999);
  EXPECT_EQ(doc["partition-specs"][0]["fields"], nlohmann::json::array());
  EXPECT_EQ(doc["sort-orders"][0]["order-id"], 0);
  for (const char* key :
       {"table-uuid", "location", "last-sequence-number", "last-updated-ms", "last-column-id",
        "schemas", "current-schema-id", "default-spec-id", "default-sort-order-id", "properties",
        "snapshots", "snapshot-log", "metadata-log"}) {
    EXPECT_TRUE(doc.contains(key)) << key;
  }
}

// A table with history: s1 <- s2 <- s3 (current, main), and a branch "audit" off s1.
TableMetadata HistoryTable() {
  auto md = NewTableMetadata(SampleSchema(), PartitionSpec::Unpartitioned(), SortOrder::Unsorted(),
                             "mem://t")
                .MoveValue();
  auto snap = [](int64_t id, std::optional<int64_t> parent, int64_t seq,
                 std::map<std::string, std::string> extra) {
    Snapshot s;
    s.snapshot_id = id;
    s.parent_snapshot_id = parent;
    s.sequence_number = seq;
    s.timestamp_ms = 1700000000000 + seq;
    s.manifest_list = "mem://t/metadata/snap-" + std::to_string(id) + ".avro";
    s.summary = std::move(extra);
    s.summary["operation"] = "append";
    s.schema_id = 0;
    return s;
  };
  md.snapshots.push_back(
      snap(11, std::nullopt, 1, {{"nilus.lsn", "0/100"}, {"nilus.load-id", "a"}}));
  md.snapshots.push_back(snap(22, 11, 2, {{"nilus.load-id", "b"}}));
  md.snapshots.push_back(snap(33, 22, 3, {}));
  md.snapshots.push_back(snap(44, 11, 4, {{"nilus.lsn", "0/999"}}));
  md.last_sequence_number = 4;
  md.current_snapshot_id = 33;
  md.refs["main"] = SnapshotRef::Branch(33);
  md.refs["audit"] = SnapshotRef::Branch(44);
  SnapshotRef tag;
  tag.snapshot_id = 22;
  tag.type = SnapshotRefType::kTag;
  tag.max_ref_age_ms = 86400000;
  md.refs["v1"] = tag;
  for (const auto& s : md.snapshots) md.snapshot_log.push_back({s.timestamp_ms, s.snapshot_id});
  md.metadata_log.push_back({1700000000000, "mem://t/metadata/00000-x.metadata.json"});
  return md;
}

TEST(IcebergTableMetadata, AncestryAndSummaryLookup) {
  TableMetadata md = HistoryTable();
  ASSERT_TRUE(md.Validate().ok()) << md.Validate().ToString();

  std::vector<int64_t> ids;
  for (const Snapshot* s : md.Ancestors(33)) ids.push_back(s->snapshot_id);
  EXPECT_EQ(ids, (std::vector<int64_t>{33, 22, 11}));
  ids.clear();
  for (const Snapshot* s : md.Ancestors(44)) ids.push_back(s->snapshot_id);
  EXPECT_EQ(ids, (std::vector<int64_t>{44, 11}));
  EXPECT_TRUE(md.Ancestors(12345).empty());

  // The newest value along the current line wins; the "audit" branch's 0/999 is not on it.
  EXPECT_EQ(md.FindLatestSummaryProperty("nilus.load-id"), "b");
  EXPECT_EQ(md.FindLatestSummaryProperty("nilus.lsn"), "0/100");
  EXPECT_FALSE(md.FindLatestSummaryProperty("nilus.missing").has_value());

  // An expired ancestor ends the walk.
  TableMetadata expired = md;
  expired.snapshots.erase(expired.snapshots.begin() + 1);  // drop 22
  expired.refs.erase("v1");
  ASSERT_TRUE(expired.Validate().ok()) << expired.Validate().ToString();
  EXPECT_EQ(expired.Ancestors(33).size(), 1u);
  EXPECT_FALSE(expired.FindLatestSummaryProperty("nilus.load-id").has_value());

  // A parent cycle cannot hang the walk.
  TableMetadata cycle = md;
  cycle.snapshots[0].parent_snapshot_id = 33;
  EXPECT_LE(cycle.Ancestors(33).size(), cycle.snapshots.size());

  // History survives JSON.
  ExpectStableRoundTrip(md);
  auto back = TableMetadataFromJson(TableMetadataToJson(md));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->snapshots, md.snapshots);
  EXPECT_EQ(back->refs, md.refs);
  EXPECT_EQ(back->snapshot_log, md.snapshot_log);
  EXPECT_EQ(back->metadata_log, md.metadata_log);
  EXPECT_EQ(back->FindLatestSummaryProperty("nilus.load-id"), "b");
}

TEST(IcebergTableMetadata, AddSnapshotToMainAndMetadataLog) {
  auto md = NewTableMetadata(SampleSchema(), PartitionSpec::Unpartitioned(), SortOrder::Unsorted(),
                             "mem://t")
                .MoveValue();
  Snapshot first;
  first.snapshot_id = 100;
  first.sequence_number = 1;
  first.timestamp_ms = 1700000000123;
  first.manifest_list = "mem://t/metadata/snap-100.avro";
  first.summary = {{"operation", "append"}, {"nilus.lsn", "0/10"}};
  ASSERT_TRUE(md.AddSnapshotToMain(first).ok());
  EXPECT_EQ(md.current_snapshot_id, 100);
  EXPECT_EQ(md.refs.at("main").snapshot_id, 100);
  EXPECT_EQ(md.last_sequence_number, 1);
  EXPECT_EQ(md.last_updated_ms, 1700000000123);
  ASSERT_EQ(md.snapshot_log.size(), 1u);
  EXPECT_EQ(md.snapshot_log[0].snapshot_id, 100);
  EXPECT_TRUE(md.Validate().ok()) << md.Validate().ToString();

  Snapshot second = first;
  second.snapshot_id = 200;
  second.parent_snapshot_id = 100;
  second.sequence_number = 2;
  second.summary = {{"operation", "append"}};
  // Wrong parent, reused id, stale sequence number: refused, nothing changed.
  Snapshot orphan = second;
  orphan.parent_snapshot_id = 7;
  EXPECT_FALSE(md.AddSnapshotToMain(orphan).ok());
  Snapshot reused = second;
  reused.snapshot_id = 100;
  EXPECT_FALSE(md.AddSnapshotToMain(reused).ok());
  Snapshot stale = second;
  stale.sequence_number = 1;
  EXPECT_FALSE(md.AddSnapshotToMain(stale).ok());
  EXPECT_EQ(md.snapshots.size(), 1u);
  EXPECT_EQ(md.current_snapshot_id, 100);

  ASSERT_TRUE(md.AddSnapshotToMain(second).ok());
  EXPECT_EQ(md.CurrentSnapshot()->snapshot_id, 200);
  EXPECT_EQ(md.FindLatestSummaryProperty("nilus.lsn"), "0/10");
  EXPECT_TRUE(md.Validate().ok()) << md.Validate().ToString();

  for (int i = 0; i < 5; ++i) md.RecordPreviousMetadata("m" + std::to_string(i), i, 3);
  ASSERT_EQ(md.metadata_log.size(), 3u);
  EXPECT_EQ(md.metadata_log.front().metadata_file, "m2");
  EXPECT_EQ(md.metadata_log.back().metadata_file, "m4");
  ExpectStableRoundTrip(md);
}

TEST(IcebergTableMetadata, ToleratesOtherWritersConventions) {
  TableMetadata md = HistoryTable();
  auto doc = nlohmann::ordered_json::parse(TableMetadataToJson(md));
  // No refs (older writers): main comes from current-snapshot-id. Unknown fields are ignored.
  doc.erase("refs");
  doc["statistics"] = nlohmann::ordered_json::array();
  doc["some-future-field"] = {{"x", 1}};
  auto r = TableMetadataFromJson(doc.dump());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->refs.size(), 1u);
  EXPECT_EQ(r->refs.at("main").snapshot_id, 33);

  // "No snapshot" spelled null or left out.
  auto empty = nlohmann::ordered_json::parse(
      TableMetadataToJson(NewTableMetadata(SampleSchema(), PartitionSpec::Unpartitioned(),
                                           SortOrder::Unsorted(), "mem://t")
                              .MoveValue()));
  empty["current-snapshot-id"] = nullptr;
  auto with_null = TableMetadataFromJson(empty.dump());
  ASSERT_TRUE(with_null.ok()) << with_null.status().ToString();
  EXPECT_FALSE(with_null->current_snapshot_id.has_value());
  empty.erase("current-snapshot-id");
  empty.erase("snapshots");
  auto absent = TableMetadataFromJson(empty.dump());
  ASSERT_TRUE(absent.ok()) << absent.status().ToString();
  EXPECT_FALSE(absent->current_snapshot_id.has_value());
}

TEST(IcebergTableMetadata, BrokenFilesGiveErrorsNamingFileAndField) {
  MemoryFileIO io;
  const std::string base = TableMetadataToJson(HistoryTable());
  struct Case {
    std::string name;
    std::function<void(nlohmann::ordered_json&)> edit;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"no-uuid", [](auto& d) { d.erase("table-uuid"); }, "field 'table-uuid': missing"},
      {"bad-seq", [](auto& d) { d["last-sequence-number"] = "4"; },
       "field 'last-sequence-number': expected an integer"},
      {"bad-type",
       [](auto& d) { d["schemas"][0]["fields"][1]["type"]["fields"][0]["type"] = "strng"; },
       "field 'schemas[0].fields[1].type.fields[0].type': unknown or unsupported type 'strng'"},
      {"bad-transform",
       [](auto& d) {
         d["partition-specs"][0]["fields"] =
             nlohmann::ordered_json::parse(R"([{"name":"p","transform":"bucket[0]",
                                              "source-id":1,"field-id":1000}])");
       },
       "field 'partition-specs[0].fields[0].transform'"},
      {"snapshot-no-list", [](auto& d) { d["snapshots"][2].erase("manifest-list"); },
       "field 'snapshots[2].manifest-list': missing"},
      {"snapshot-no-op", [](auto& d) { d["snapshots"][1]["summary"].erase("operation"); },
       "field 'snapshots[1].summary.operation': missing"},
      {"ref-type", [](auto& d) { d["refs"]["audit"]["type"] = "twig"; }, "field 'refs.audit.type'"},
      {"huge-id", [](auto& d) { d["snapshots"][0]["snapshot-id"] = 18446744073709551615ull; },
       "field 'snapshots[0].snapshot-id': 18446744073709551615 is out of range"},
      {"v3", [](auto& d) { d["format-version"] = 3; }, "format-version 3 is not supported"},
      {"schema-id", [](auto& d) { d["current-schema-id"] = 8; },
       "current-schema-id 8 names no schema"},
      {"dangling-ref", [](auto& d) { d["refs"]["audit"]["snapshot-id"] = 5; },
       "ref 'audit' points at snapshot 5"},
      {"main-disagrees", [](auto& d) { d["current-snapshot-id"] = 22; },
       "current-snapshot-id 22 and the main branch (33) disagree"},
      {"column-id", [](auto& d) { d["last-column-id"] = 3; }, "above last-column-id 3"},
  };
  for (const auto& c : cases) {
    auto doc = nlohmann::ordered_json::parse(base);
    c.edit(doc);
    const std::string path = "mem://t/metadata/" + c.name + ".metadata.json";
    ASSERT_TRUE(io.WriteFile(path, doc.dump()).ok());
    auto r = ReadTableMetadata(&io, path);
    ASSERT_FALSE(r.ok()) << c.name;
    const std::string msg = r.status().message();
    EXPECT_NE(msg.find(path), std::string::npos) << c.name << ": " << msg;
    EXPECT_NE(msg.find(c.want), std::string::npos) << c.name << ": " << msg;
  }

  // Truncated JSON, and a file that is not there.
  const std::string truncated = "mem://t/metadata/00001-cut.metadata.json";
  ASSERT_TRUE(io.WriteFile(truncated, base.substr(0, base.size() / 2)).ok());
  auto r = ReadTableMetadata(&io, truncated);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find(truncated), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("malformed JSON"), std::string::npos);

  auto missing = ReadTableMetadata(&io, "mem://t/metadata/00009-nope.metadata.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("00009-nope.metadata.json"), std::string::npos);

  auto gz = ReadTableMetadata(&io, "mem://t/metadata/00001-x.gz.metadata.json");
  EXPECT_EQ(gz.status().code(), StatusCode::kNotImplemented);
}

TEST(IcebergTableMetadata, FileNamesAndVersions) {
  std::string name = MetadataFileName(1);
  ASSERT_EQ(name.size(), 5 + 1 + 36 + std::string(".metadata.json").size()) << name;
  EXPECT_EQ(name.substr(0, 6), "00001-");
  EXPECT_TRUE(IsValidUuid(name.substr(6, 36))) << name;
  EXPECT_NE(MetadataFileName(1), name);
  EXPECT_EQ(MetadataFileName(123456).substr(0, 7), "123456-");

  std::string path = NewMetadataFilePath("s3://b/wh/t/", 42);
  EXPECT_EQ(path.rfind("s3://b/wh/t/metadata/00042-", 0), 0u) << path;
  EXPECT_EQ(ParseMetadataVersion(path).ValueOr(-1), 42);
  EXPECT_EQ(
      ParseMetadataVersion("00000-d3e658ee-d643-415e-aa1c-ef39949503f5.metadata.json").ValueOr(-1),
      0);
  EXPECT_EQ(ParseMetadataVersion("/wh/t/metadata/v7.metadata.json").ValueOr(-1), 7);
  EXPECT_EQ(ParseMetadataVersion("/wh/t/metadata/00003-abc.gz.metadata.json").ValueOr(-1), 3);
  for (const char* bad :
       {"/wh/t/metadata/version-hint.text", "/wh/t/metadata/abc-1.metadata.json",
        "/wh/t/metadata/v.metadata.json", "/wh/t/metadata/-1.metadata.json", "snap-1-2-3.avro"}) {
    auto r = ParseMetadataVersion(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find(bad), std::string::npos);
    }
  }
}

TEST(IcebergTableMetadata, WriteIsExclusiveAndHintNamesTheFile) {
  MemoryFileIO io;
  TableMetadata md = HistoryTable();
  const std::string path = NewMetadataFilePath(md.location, 1);
  ASSERT_TRUE(WriteTableMetadata(&io, path, md).ok());
  auto again = WriteTableMetadata(&io, path, md);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();

  auto back = ReadTableMetadata(&io, path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(TableMetadataToJson(*back), TableMetadataToJson(md));

  // Invalid metadata is refused before anything is written.
  TableMetadata bad = md;
  bad.current_snapshot_id = 777;
  const std::string bad_path = NewMetadataFilePath(md.location, 2);
  Status st = WriteTableMetadata(&io, bad_path, bad);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(bad_path), std::string::npos) << st.ToString();
  EXPECT_FALSE(io.Exists(bad_path).ValueOr(true));

  ASSERT_TRUE(WriteVersionHint(&io, md.location + "/", path).ok());
  auto hint = io.ReadFile("mem://t/metadata/version-hint.text");
  ASSERT_TRUE(hint.ok()) << hint.status().ToString();
  const std::string file_name = path.substr(path.rfind('/') + 1);
  EXPECT_EQ(*hint + ".metadata.json", file_name);
  // Replaced on the next commit.
  const std::string path2 = NewMetadataFilePath(md.location, 2);
  ASSERT_TRUE(WriteVersionHint(&io, md.location, path2).ok());
  EXPECT_EQ(
      ParseMetadataVersion(*io.ReadFile("mem://t/metadata/version-hint.text") + ".metadata.json")
          .ValueOr(-1),
      2);
  EXPECT_FALSE(WriteVersionHint(&io, md.location, "mem://t/metadata/snap-1.avro").ok());
}

TEST(IcebergTableMetadata, SnapshotJson) {
  Snapshot s = HistoryTable().snapshots[1];
  auto doc = nlohmann::ordered_json::parse(SnapshotToJson(s));
  EXPECT_EQ(doc["snapshot-id"], 22);
  EXPECT_EQ(doc["parent-snapshot-id"], 11);
  EXPECT_EQ(doc["sequence-number"], 2);
  EXPECT_EQ(doc["summary"].begin().key(), "operation");
  EXPECT_EQ(doc["schema-id"], 0);
  auto back = SnapshotFromJson(doc.dump());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);

  doc["summary"]["added-records"] = 5;  // summary values are strings
  auto bad = SnapshotFromJson(doc.dump());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("summary.added-records"), std::string::npos)
      << bad.status().ToString();

  std::set<int64_t> ids;
  for (int i = 0; i < 1000; ++i) {
    int64_t id = NewSnapshotId();
    EXPECT_GT(id, 0);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(IcebergUuid, V4FormatAndParsing) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string u = NewUuidV4();
    ASSERT_EQ(u.size(), 36u);
    EXPECT_EQ(u[8], '-');
    EXPECT_EQ(u[13], '-');
    EXPECT_EQ(u[14], '4') << u;                                          // version
    EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos) << u;  // variant 10xx
    EXPECT_EQ(u[18], '-');
    EXPECT_EQ(u[23], '-');
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 1000u);

  auto b = ParseUuid("F79C3E09-677C-4BBD-A479-3F349CB785E7");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)[0], 0xF7);
  EXPECT_EQ((*b)[15], 0xE7);
  EXPECT_EQ(UuidToString(*b), "f79c3e09-677c-4bbd-a479-3f349cb785e7");
  for (const char* bad :
       {"", "f79c3e09677c4bbda4793f349cb785e7", "f79c3e09-677c-4bbd-a479-3f349cb785eg",
        "f79c3e09-677c-4bbd-a4793-f349cb785e7"}) {
    EXPECT_FALSE(IsValidUuid(bad)) << bad;
  }
}

}  // namespace
}  // namespace nilus::iceberg
