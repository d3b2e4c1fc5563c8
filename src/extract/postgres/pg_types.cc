#include "extract/postgres/pg_types.h"

#include <fmt/format.h>

#include <unordered_map>

#include "extract/postgres/pg_connection.h"

namespace nilus {

namespace {

PgTypeMapping Scalar(TypePtr type, PgWireKind kind) { return {std::move(type), kind, false, {}}; }

PgTypeMapping AsText() { return {Type::String(), PgWireKind::kText, true, {}}; }

// numeric(p,s) from atttypmod; PostgreSQL 15 stores the scale as an 11-bit signed field.
void NumericTypmod(int32_t typmod, int* precision, int* scale) {
  const int32_t t = typmod - 4;
  *precision = (t >> 16) & 0xffff;
  *scale = ((t & 0x7ff) ^ 1024) - 1024;
}

Result<PgTypeMapping> MapNumeric(int32_t typmod, const PgTypePolicy& policy) {
  const PgTypeMapping as_string = Scalar(Type::String(), PgWireKind::kNumeric);
  if (typmod < 4) {
    if (policy.unconstrained_numeric == PgTypePolicy::UnconstrainedNumeric::kString) {
      return as_string;
    }
    NILUS_ASSIGN_OR_RAISE(TypePtr t, Type::MakeDecimal(38, policy.unconstrained_scale));
    return Scalar(std::move(t), PgWireKind::kNumeric);
  }
  int p = 0, s = 0;
  NumericTypmod(typmod, &p, &s);
  // Negative scale: values are multiples of 10^-s with p significant digits.
  if (s < 0) {
    p -= s;
    s = 0;
  }
  // Scale above precision: |value| < 10^(p-s), so s digits hold every value.
  if (s > p) p = s;
  if (p < 1 || p > 38) return as_string;
  NILUS_ASSIGN_OR_RAISE(TypePtr t, Type::MakeDecimal(p, s));
  return Scalar(std::move(t), PgWireKind::kNumeric);
}

Result<PgTypeMapping> MapBase(const PgTypeDesc& d, const PgTypePolicy& policy) {
  if (d.typtype != 'b') return AsText();  // enums, composites, ranges, ...
  switch (d.oid) {
    case pg_oid::kBool:
      return Scalar(Type::Boolean(), PgWireKind::kBool);
    case pg_oid::kBytea:
      return Scalar(Type::Binary(), PgWireKind::kBytea);
    case pg_oid::kName:
    case pg_oid::kText:
    case pg_oid::kBpchar:
    case pg_oid::kVarchar:
      return Scalar(Type::String(), PgWireKind::kText);
    case pg_oid::kInt8:
      return Scalar(Type::Long(), PgWireKind::kInt8);
    case pg_oid::kInt2:
      return Scalar(Type::Int(), PgWireKind::kInt2);
    case pg_oid::kInt4:
      return Scalar(Type::Int(), PgWireKind::kInt4);
    case pg_oid::kJson:
      return Scalar(Type::String(), PgWireKind::kJson);
    case pg_oid::kJsonb:
      return Scalar(Type::String(), PgWireKind::kJsonb);
    case pg_oid::kFloat4:
      return Scalar(Type::Float(), PgWireKind::kFloat4);
    case pg_oid::kFloat8:
      return Scalar(Type::Double(), PgWireKind::kFloat8);
    case pg_oid::kDate:
      return Scalar(Type::Date(), PgWireKind::kDate);
    case pg_oid::kTime:
      return Scalar(Type::Time(), PgWireKind::kTime);
    case pg_oid::kTimestamp:
      return Scalar(Type::Timestamp(), PgWireKind::kTimestamp);
    case pg_oid::kTimestampTz:
      return Scalar(Type::TimestampTz(), PgWireKind::kTimestampTz);
    case pg_oid::kInterval:
      return Scalar(Type::String(), PgWireKind::kInterval);
    case pg_oid::kUuid:
      return Scalar(Type::Uuid(), PgWireKind::kUuid);
    case pg_oid::kNumeric:
      return MapNumeric(d.typmod, policy);
    default:
      return AsText();  // inet, cidr, macaddr, money, "char", oid, timetz, xml, ...
  }
}

std::shared_ptr<const PgValueDecoder> MakeDecoder(const PgTypeMapping& m, const TypePtr& target,
                                                  bool required, const std::string& column,
                                                  uint32_t wire_element_oid) {
  auto d = std::make_shared<PgValueDecoder>();
  d->kind = m.kind;
  d->target = target;
  d->required = required;
  d->column = column;
  if (m.kind == PgWireKind::kArray) {
    d->element_oid = m.element->cast_to_text ? pg_oid::kText : wire_element_oid;
    d->element = MakeDecoder(*m.element, target->element().type, false, column + ".element", 0);
  }
  return d;
}

// Splits "schema.table"; a bare name is in schema public.
void SplitQualified(std::string_view q, std::string* schema, std::string* table) {
  const size_t dot = q.find('.');
  if (dot == std::string_view::npos) {
    *schema = "public";
    *table = std::string(q);
  } else {
    *schema = std::string(q.substr(0, dot));
    *table = std::string(q.substr(dot + 1));
  }
}

struct PgTypeRow {
  std::string name;
  char typtype;
  uint32_t basetype;
  int32_t typtypmod;
  uint32_t typelem;
  char category;
  bool notnull;
};

class TypeResolver {
 public:
  explicit TypeResolver(PgConnection* conn) : conn_(conn) {}

  // Resolves domains (collecting their NOT NULL) and arrays.
  Result<PgTypeDesc> Resolve(uint32_t oid, int32_t typmod, bool* domain_not_null) {
    for (int depth = 0; depth < 32; ++depth) {
      NILUS_ASSIGN_OR_RAISE(const PgTypeRow* row, Lookup(oid));
      if (row->typtype == 'd') {
        if (row->notnull && domain_not_null) *domain_not_null = true;
        if (typmod < 0) typmod = row->typtypmod;
        oid = row->basetype;
        continue;
      }
      PgTypeDesc d;
      d.oid = oid;
      d.name = row->name;
      d.typtype = row->typtype;
      d.typmod = typmod;
      if (row->category == 'A' && row->typelem != 0) {
        d.is_array = true;
        d.wire_element_oid = row->typelem;
        NILUS_ASSIGN_OR_RAISE(PgTypeDesc elem, Resolve(row->typelem, typmod, nullptr));
        d.element = std::make_shared<PgTypeDesc>(std::move(elem));
      }
      return d;
    }
    return Status::Invalid(fmt::format("type {}: domain nesting too deep", oid));
  }

 private:
  Result<const PgTypeRow*> Lookup(uint32_t oid) {
    auto it = cache_.find(oid);
    if (it != cache_.end()) return &it->second;
    NILUS_ASSIGN_OR_RAISE(
        PgRows rows,
        conn_->Query("SELECT typname, typtype, typbasetype, typtypmod, typelem, typcategory, "
                     "typnotnull FROM pg_catalog.pg_type WHERE oid = $1",
                     {std::to_string(oid)}));
    if (rows.num_rows() != 1) return Status::NotFound(fmt::format("type oid {}", oid));
    PgTypeRow r;
    r.name = std::string(rows.Get(0, 0));
    r.typtype = rows.Get(0, 1).empty() ? 'b' : rows.Get(0, 1)[0];
    NILUS_ASSIGN_OR_RAISE(int64_t base, rows.GetInt(0, 2));
    NILUS_ASSIGN_OR_RAISE(int64_t tm, rows.GetInt(0, 3));
    NILUS_ASSIGN_OR_RAISE(int64_t elem, rows.GetInt(0, 4));
    r.basetype = static_cast<uint32_t>(base);
    r.typtypmod = static_cast<int32_t>(tm);
    r.typelem = static_cast<uint32_t>(elem);
    r.category = rows.Get(0, 5).empty() ? 'X' : rows.Get(0, 5)[0];
    r.notnull = rows.Get(0, 6) == "t";
    return &cache_.emplace(oid, std::move(r)).first->second;
  }

  PgConnection* conn_;
  std::unordered_map<uint32_t, PgTypeRow> cache_;
};

}  // namespace

Result<PgTypeMapping> MapPgType(const PgTypeDesc& desc, const PgTypePolicy& policy,
                                int32_t list_element_id) {
  if (policy.unconstrained_scale < 0 || policy.unconstrained_scale > 38) {
    return Status::Invalid(
        fmt::format("unconstrained numeric scale {} is outside 0..38", policy.unconstrained_scale));
  }
  if (!desc.is_array) return MapBase(desc, policy);
  if (desc.element == nullptr) return Status::Invalid("array type without element");
  if (desc.element->is_array) return Status::Invalid("array of arrays");
  NILUS_ASSIGN_OR_RAISE(PgTypeMapping elem, MapBase(*desc.element, policy));
  PgTypeMapping m;
  m.type = Type::List(list_element_id, elem.type, /*element_required=*/false);
  m.kind = PgWireKind::kArray;
  m.cast_to_text = elem.cast_to_text;
  m.element = std::make_shared<PgTypeMapping>(std::move(elem));
  return m;
}

Result<PgTableDesc> DescribePgTable(PgConnection* conn, std::string_view qualified_name,
                                    const PgTypePolicy& policy,
                                    const std::vector<std::string>& columns) {
  PgTableDesc t;
  SplitQualified(qualified_name, &t.schema_name, &t.table_name);
  t.info.qualified_name = t.schema_name + "." + t.table_name;
  NILUS_ASSIGN_OR_RAISE(PgRows rel,
                        conn->Query("SELECT c.oid, c.relkind, c.reltuples::bigint, "
                                    "pg_catalog.pg_relation_size(c.oid), "
                                    "pg_catalog.current_setting('block_size')::bigint "
                                    "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                                    "ON n.oid = c.relnamespace "
                                    "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN "
                                    "('r','p','v','m','f')",
                                    {t.schema_name, t.table_name}));
  if (rel.num_rows() == 0) {
    return Status::NotFound(fmt::format("PostgreSQL table {} not found on {}",
                                        t.info.qualified_name, conn->description()));
  }
  NILUS_ASSIGN_OR_RAISE(int64_t oid, rel.GetInt(0, 0));
  t.oid = static_cast<uint32_t>(oid);
  t.relkind = rel.Get(0, 1)[0];
  NILUS_ASSIGN_OR_RAISE(int64_t reltuples, rel.GetInt(0, 2));
  NILUS_ASSIGN_OR_RAISE(int64_t bytes, rel.GetInt(0, 3));
  NILUS_ASSIGN_OR_RAISE(int64_t block_size, rel.GetInt(0, 4));
  t.relation_pages = block_size > 0 ? bytes / block_size : 0;
  t.info.estimated_rows = reltuples >= 0 ? reltuples : -1;
  t.info.estimated_bytes = bytes;

  NILUS_ASSIGN_OR_RAISE(
      PgRows cols,
      conn->Query("SELECT attname, attnotnull, atttypid, atttypmod, "
                  "pg_catalog.format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute "
                  "WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                  {std::to_string(t.oid)}));
  struct RawColumn {
    std::string name, source_type;
    bool not_null;
    uint32_t typid;
    int32_t typmod;
  };
  std::vector<RawColumn> all;
  for (int r = 0; r < cols.num_rows(); ++r) {
    NILUS_ASSIGN_OR_RAISE(int64_t typid, cols.GetInt(r, 2));
    NILUS_ASSIGN_OR_RAISE(int64_t typmod, cols.GetInt(r, 3));
    all.push_back({std::string(cols.Get(r, 0)), std::string(cols.Get(r, 4)), cols.Get(r, 1) == "t",
                   static_cast<uint32_t>(typid), static_cast<int32_t>(typmod)});
  }
  std::vector<const RawColumn*> chosen;
  if (columns.empty()) {
    for (const auto& c : all) chosen.push_back(&c);
  } else {
    for (const auto& name : columns) {
      const RawColumn* found = nullptr;
      for (const auto& c : all) {
        if (c.name == name) found = &c;
      }
      if (found == nullptr) {
        return Status::NotFound(
            fmt::format("column {} not found in PostgreSQL table {}", name, t.info.qualified_name));
      }
      chosen.push_back(found);
    }
  }
  if (chosen.empty()) {
    return Status::Invalid(
        fmt::format("PostgreSQL table {} has no columns to read", t.info.qualified_name));
  }

  TypeResolver resolver(conn);
  const int32_t n = static_cast<int32_t>(chosen.size());
  int32_t next_nested_id = n + 1;
  std::vector<NestedField> fields;
  for (int32_t i = 0; i < n; ++i) {
    const RawColumn& raw = *chosen[i];
    PgColumnDesc c;
    c.name = raw.name;
    c.source_type = raw.source_type;
    c.not_null = raw.not_null;
    NILUS_ASSIGN_OR_RAISE(c.type, resolver.Resolve(raw.typid, raw.typmod, &c.not_null));
    const int32_t elem_id = c.type.is_array ? next_nested_id++ : 0;
    NILUS_ASSIGN_OR_RAISE(c.mapping, MapPgType(c.type, policy, elem_id));
    c.select_expr = PgConnection::QuoteIdent(c.name);
    if (c.mapping.cast_to_text) c.select_expr += c.type.is_array ? "::text[]" : "::text";
    c.decoder = MakeDecoder(c.mapping, c.mapping.type, c.not_null, c.name, c.type.wire_element_oid);
    fields.push_back(c.not_null ? NestedField::Required(i + 1, c.name, c.mapping.type)
                                : NestedField::Optional(i + 1, c.name, c.mapping.type));
    t.info.source_types.push_back(c.source_type);
    t.columns.push_back(std::move(c));
  }

  NILUS_ASSIGN_OR_RAISE(
      PgRows pk,
      conn->Query("SELECT a.attname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a "
                  "ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[]) "
                  "WHERE i.indrelid = $1 AND i.indisprimary "
                  "ORDER BY array_position(i.indkey::int2[], a.attnum)",
                  {std::to_string(t.oid)}));
  std::vector<int32_t> identifier_ids;
  for (int r = 0; r < pk.num_rows(); ++r) {
    std::string name(pk.Get(r, 0));
    for (int32_t i = 0; i < n; ++i) {
      if (t.columns[i].name == name) identifier_ids.push_back(i + 1);
    }
    t.info.primary_key.push_back(std::move(name));
  }
  // Identifier fields only when every key column is read (they are NOT NULL in PostgreSQL).
  if (identifier_ids.size() != t.info.primary_key.size()) identifier_ids.clear();
  auto schema = std::make_shared<Schema>(std::move(fields), 0, std::move(identifier_ids));
  NILUS_RETURN_NOT_OK_CTX(schema->Validate(), t.info.qualified_name);
  t.info.schema = std::move(schema);
  return t;
}

std::string PgSelectList(const PgTableDesc& table) {
  std::string out;
  for (const auto& c : table.columns) {
    if (!out.empty()) out += ", ";
    out += c.select_expr;
  }
  return out;
}

}  // namespace nilus
