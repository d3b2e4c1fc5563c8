#include "pipeline/cdc/cdc_table.h"

#include <fmt/format.h>

#include <unordered_map>

#include "core/column_take.h"
#include "extract/postgres/pg_connection.h"
#include "extract/postgres/pg_query.h"
#include "load/conform.h"
#include "normalize/normalizer.h"
#include "pipeline/cdc/row_json.h"

namespace nilus::pipeline {

namespace {

using pgoutput::Tuple;
using pgoutput::TupleValue;
using Kind = pgoutput::TupleValue::Kind;

// Field id of the delete marker in mirror batches; the sink never writes it to the table.
constexpr int32_t kMarkerFieldId = 1'000'000;
// Keys per look-up query (PostgreSQL allows 65535 parameters).
constexpr size_t kLookupBatch = 1000;

// One key value in the layout of CdcTable::KeyBytes: a length prefix and the bytes, or a null
// marker. Tuples and look-up rows use it alike, so their keys compare equal.
void AppendKeyPart(const std::string_view* value, std::string* out) {
  if (value == nullptr) {
    out->append("\xff", 1);
    return;
  }
  const uint32_t n = static_cast<uint32_t>(value->size());
  out->append(reinterpret_cast<const char*>(&n), sizeof n);
  out->append(*value);
}

}  // namespace

SchemaPtr ChangelogSchema() {
  static const SchemaPtr schema = std::make_shared<Schema>(std::vector<NestedField>{
      NestedField::Required(1, "operation", Type::String()),
      NestedField::Optional(2, "before", Type::String()),
      NestedField::Optional(3, "after", Type::String()),
      NestedField::Required(4, "lsn", Type::Long()),
      NestedField::Required(5, "commit_lsn", Type::Long()),
      NestedField::Optional(6, "commit_time", Type::TimestampTz()),
      NestedField::Optional(7, "txid", Type::Long()),
      NestedField::Optional(8, "seq", Type::Long()),
  });
  return schema;
}

void AppendChangelogRow(ColumnBatch* batch, char op, const std::optional<std::string>& before,
                        const std::optional<std::string>& after, Lsn lsn, Lsn commit_lsn,
                        int64_t commit_time_us, std::optional<int64_t> txid,
                        std::optional<int64_t> seq) {
  batch->mutable_column(0)->AppendBytes(std::string_view(&op, 1));
  auto opt_string = [](Column* c, const std::optional<std::string>& v) {
    if (v) {
      c->AppendBytes(*v);
    } else {
      c->AppendNull();
    }
  };
  auto opt_long = [](Column* c, std::optional<int64_t> v) {
    if (v) {
      c->AppendInt64(*v);
    } else {
      c->AppendNull();
    }
  };
  opt_string(batch->mutable_column(1), before);
  opt_string(batch->mutable_column(2), after);
  batch->mutable_column(3)->AppendInt64(static_cast<int64_t>(lsn));
  batch->mutable_column(4)->AppendInt64(static_cast<int64_t>(commit_lsn));
  batch->mutable_column(5)->AppendInt64(commit_time_us);
  opt_long(batch->mutable_column(6), txid);
  opt_long(batch->mutable_column(7), seq);
}

CdcTable::CdcTable(std::string source_name, PgTableDesc desc, std::vector<std::string> key,
                   PgTypePolicy policy, bool full_row_key, ContractMode data_type)
    : source_name_(std::move(source_name)),
      desc_(std::move(desc)),
      key_(std::move(key)),
      policy_(policy),
      full_row_key_(full_row_key),
      data_type_contract_(data_type) {
  for (const auto& c : desc_.columns) base_types_.emplace(c.name, c.mapping.type);
}

Result<bool> CdcTable::OnRelation(const pgoutput::Relation& rel, PgConnection* catalog) {
  auto find = [&](const std::string& name) -> int {
    for (size_t i = 0; i < desc_.columns.size(); ++i) {
      if (desc_.columns[i].name == name) return static_cast<int>(i);
    }
    return -1;
  };
  // The catalog is at least as new as the stream: describe the table again, at most once per
  // Relation, when it brings a column or a type we do not know.
  std::optional<PgTableDesc> fresh;
  auto describe = [&]() -> Status {
    if (!fresh && catalog != nullptr) {
      NILUS_ASSIGN_OR_RAISE(fresh, DescribePgTable(catalog, source_name_, policy_));
    }
    return Status::OK();
  };
  bool missing = false;
  for (const auto& c : rel.columns) missing |= find(c.name) < 0;
  if (missing) {
    NILUS_RETURN_NOT_OK(describe());
    // Keep the columns we knew (dropped ones too, so old relations still map), add the new.
    for (const auto& c : fresh ? fresh->columns : std::vector<PgColumnDesc>{}) {
      if (find(c.name) < 0) desc_.columns.push_back(c);
    }
  }
  std::vector<ColumnMap> cols;
  for (const auto& c : rel.columns) {
    ColumnMap m;
    m.desc_index = find(c.name);
    m.type_oid = c.type_oid;
    if (m.desc_index >= 0) {
      const PgColumnDesc& d = desc_.columns[m.desc_index];
      if (d.type.oid != c.type_oid && d.type.oid != 0) {
        // The column's type changed since it was described: describe it again.
        NILUS_RETURN_NOT_OK(describe());
        for (const auto& fc : fresh ? fresh->columns : std::vector<PgColumnDesc>{}) {
          if (fc.name == c.name) desc_.columns[m.desc_index] = fc;
        }
      }
      // Enums send their label in binary too; other text-read types need the text look-up.
      m.read_as_text = d.mapping.cast_to_text && !(d.type.typtype == 'e' && !d.type.is_array);
    }
    cols.push_back(m);
  }
  bool changed = !has_relation_ || cols.size() != columns_.size();
  for (size_t i = 0; !changed && i < cols.size(); ++i) {
    changed =
        cols[i].desc_index != columns_[i].desc_index || cols[i].type_oid != columns_[i].type_oid;
  }
  columns_ = std::move(cols);
  has_relation_ = true;
  key_relation_idx_.clear();
  for (const auto& k : key_) {
    int found = -1;
    for (size_t j = 0; j < rel.columns.size(); ++j) {
      if (rel.columns[j].name == k) found = static_cast<int>(j);
    }
    if (found < 0) {
      return Status::Invalid(fmt::format(
          "table {}: key column {} is not in the replication stream's relation", source_name_, k));
    }
    key_relation_idx_.push_back(found);
  }
  NILUS_RETURN_NOT_OK(RebuildSchema());
  return changed;
}

Status CdcTable::RebuildSchema() {
  std::vector<NestedField> fields;
  for (auto& m : columns_) {
    m.discarded = false;
    if (m.desc_index < 0) continue;
    const PgColumnDesc& d = desc_.columns[m.desc_index];
    bool is_key = false;
    for (const auto& k : key_) is_key |= k == d.name && !full_row_key_;
    std::string name = d.name;
    auto [base, inserted] = base_types_.emplace(d.name, d.mapping.type);
    const Type& was = *base->second;
    const Type& now = *d.mapping.type;
    if (!inserted && !is_key && !load::CanStoreAs(was, now) && !load::CanStoreAs(now, was)) {
      // A type change Iceberg cannot widen: the schema contract decides.
      switch (data_type_contract_) {
        case ContractMode::kFreeze:
          return Status::TypeError(fmt::format(
              "table {}: column {} changed type from {} to {} and the schema contract for "
              "data_type is freeze",
              source_name_, d.name, was.ToString(), now.ToString()));
        case ContractMode::kDiscardValue:
        case ContractMode::kDiscardRow:
          m.discarded = true;
          continue;
        case ContractMode::kEvolve:
          name = d.name + "__v_" + std::string(normalize::VariantTypeSuffix(now));
          break;
      }
    }
    // Non-key columns are optional in the mirror: a delete carries only the key. Under
    // REPLICA IDENTITY FULL every column is part of the key and may be null.
    fields.push_back(is_key ? NestedField::Required(m.desc_index + 1, name, d.mapping.type)
                            : NestedField::Optional(m.desc_index + 1, name, d.mapping.type));
  }
  fields.push_back(
      NestedField::Optional(kMarkerFieldId, std::string(kCdcDeletedColumn), Type::Boolean()));
  mirror_schema_ = std::make_shared<Schema>(std::move(fields));
  return Status::OK();
}

void CdcTable::Add(CdcChange change) {
  pending_bytes_ +=
      static_cast<int64_t>(change.old_tuple.bytes.size() + change.new_tuple.bytes.size() + 96 +
                           8 * (change.old_tuple.values.size() + change.new_tuple.values.size()));
  pending_.push_back(std::move(change));
}

bool CdcTable::NeedsLookup(const Tuple& t, size_t j) const {
  if (j >= t.values.size() || j >= columns_.size() || columns_[j].desc_index < 0 ||
      columns_[j].discarded) {
    return false;
  }
  const Kind k = t.values[j].kind;
  if (k == Kind::kUnchanged) return true;
  return columns_[j].read_as_text && k != Kind::kNull;
}

std::string CdcTable::KeyBytes(const Tuple& t) const {
  std::string out;
  for (int j : key_relation_idx_) {
    if (static_cast<size_t>(j) >= t.values.size() || t.values[j].kind == Kind::kNull) {
      AppendKeyPart(nullptr, &out);
    } else {
      const std::string_view v = t.ValueBytes(j);
      AppendKeyPart(&v, &out);
    }
  }
  return out;
}

Status CdcTable::ResolveMissing(PgConnection* lookup) {
  // Old-tuple first: under REPLICA IDENTITY FULL the old row holds the unchanged value.
  std::vector<size_t> need_lookup;
  std::vector<bool> lookup_column(columns_.size(), false);
  for (size_t i = 0; i < pending_.size(); ++i) {
    CdcChange& ch = pending_[i];
    if (!ch.has_new) continue;
    bool needs = false;
    for (size_t j = 0; j < ch.new_tuple.values.size(); ++j) {
      if (!NeedsLookup(ch.new_tuple, j)) continue;
      if (ch.new_tuple.values[j].kind == Kind::kUnchanged && ch.old_kind == 'O' &&
          j < ch.old_tuple.values.size() && ch.old_tuple.values[j].kind != Kind::kUnchanged &&
          !columns_[j].read_as_text) {
        TupleValue& v = ch.new_tuple.values[j];
        const std::string_view old = ch.old_tuple.ValueBytes(j);
        v.kind = ch.old_tuple.values[j].kind;
        v.offset = static_cast<uint32_t>(ch.new_tuple.bytes.size());
        v.length = static_cast<uint32_t>(old.size());
        ch.new_tuple.bytes.append(old);
        continue;
      }
      needs = true;
      lookup_column[j] = true;
    }
    if (needs) need_lookup.push_back(i);
  }
  if (need_lookup.empty()) return Status::OK();
  if (key_.empty() || lookup == nullptr) {
    return Status::Invalid(fmt::format(
        "table {}: pgoutput sent a value it did not include (unchanged TOAST or a type read as "
        "text), and without a key it cannot be read from the source; set REPLICA IDENTITY FULL",
        source_name_));
  }
  // SELECT <key>, <columns> FROM t WHERE (<key>) IN ((...), ...), results in binary.
  std::string select, key_list;
  for (int j : key_relation_idx_) {
    const PgColumnDesc& d = desc_.columns[columns_[j].desc_index];
    if (!select.empty()) select += ", ";
    select += PgConnection::QuoteIdent(d.name);
    if (!key_list.empty()) key_list += ", ";
    key_list += PgConnection::QuoteIdent(d.name);
  }
  std::vector<size_t> fetched;  // relation column indexes fetched after the key
  for (size_t j = 0; j < columns_.size(); ++j) {
    if (!lookup_column[j]) continue;
    select += ", " + desc_.columns[columns_[j].desc_index].select_expr;
    fetched.push_back(j);
  }
  const std::string from = PgConnection::QuoteIdent(desc_.schema_name) + "." +
                           PgConnection::QuoteIdent(desc_.table_name);
  const size_t nkey = key_relation_idx_.size();
  for (size_t start = 0; start < need_lookup.size(); start += kLookupBatch) {
    const size_t end = std::min(need_lookup.size(), start + kLookupBatch);
    std::vector<PgParam> params;
    std::string in;
    std::unordered_map<std::string, int> seen;  // key bytes -> param group
    for (size_t n = start; n < end; ++n) {
      const CdcChange& ch = pending_[need_lookup[n]];
      std::string kb = KeyBytes(ch.new_tuple);
      if (seen.count(kb)) continue;
      seen.emplace(kb, 0);
      if (!in.empty()) in += ", ";
      in += nkey > 1 ? "(" : "";
      for (size_t k = 0; k < nkey; ++k) {
        const int j = key_relation_idx_[k];
        const TupleValue& v = ch.new_tuple.values[j];
        PgParam p;
        if (v.kind == Kind::kText || v.kind == Kind::kBinary) {
          p.value = std::string(ch.new_tuple.ValueBytes(j));
        }
        p.binary = v.kind == Kind::kBinary;
        p.type_oid = columns_[j].type_oid;
        params.push_back(std::move(p));
        if (k > 0) in += ", ";
        in += "$" + std::to_string(params.size());
      }
      in += nkey > 1 ? ")" : "";
    }
    const std::string sql = "SELECT " + select + " FROM " + from + " WHERE " +
                            (nkey > 1 ? "(" + key_list + ")" : key_list) + " IN (" + in + ")";
    NILUS_ASSIGN_OR_RAISE(PgRows rows, PgQueryParams(lookup, sql, params, /*binary=*/true));
    // Index the rows by key bytes in the same layout as KeyBytes.
    std::unordered_map<std::string, int> by_key;
    for (int r = 0; r < rows.num_rows(); ++r) {
      std::string kb;
      for (size_t k = 0; k < nkey; ++k) {
        if (rows.IsNull(r, static_cast<int>(k))) {
          AppendKeyPart(nullptr, &kb);
        } else {
          const std::string_view v = rows.Get(r, static_cast<int>(k));
          AppendKeyPart(&v, &kb);
        }
      }
      by_key.emplace(std::move(kb), r);
    }
    for (size_t n = start; n < end; ++n) {
      CdcChange& ch = pending_[need_lookup[n]];
      auto it = by_key.find(KeyBytes(ch.new_tuple));
      for (size_t f = 0; f < fetched.size(); ++f) {
        const size_t j = fetched[f];
        if (!NeedsLookup(ch.new_tuple, j)) continue;
        TupleValue& v = ch.new_tuple.values[j];
        const int col = static_cast<int>(nkey + f);
        if (it == by_key.end() || rows.IsNull(it->second, col)) {
          // The row is gone (a later delete in the WAL removes it again) or the value is null.
          if (it == by_key.end()) ++values_unresolved_;
          v.kind = Kind::kNull;
          continue;
        }
        const std::string_view bytes = rows.Get(it->second, col);
        v.kind = Kind::kBinary;
        v.offset = static_cast<uint32_t>(ch.new_tuple.bytes.size());
        v.length = static_cast<uint32_t>(bytes.size());
        ch.new_tuple.bytes.append(bytes);
        ++values_looked_up_;
      }
      // Looked-up text-read columns are now in their text form; mark them decoded.
    }
  }
  return Status::OK();
}

Status CdcTable::DecodeRow(const Tuple& t, bool key_only, bool deleted, ColumnBatch* out) {
  int c = 0;
  for (size_t j = 0; j < columns_.size(); ++j) {
    const ColumnMap& m = columns_[j];
    if (m.desc_index < 0 || m.discarded) continue;
    Column* col = out->mutable_column(c++);
    const PgColumnDesc& d = desc_.columns[m.desc_index];
    if (j >= t.values.size()) {
      col->AppendNull();
      continue;
    }
    const TupleValue& v = t.values[j];
    bool is_key = false;
    for (int k : key_relation_idx_) is_key |= static_cast<size_t>(k) == j;
    if (v.kind == Kind::kNull || v.kind == Kind::kUnchanged || (key_only && !is_key)) {
      if (v.kind == Kind::kNull && is_key && !key_only && !full_row_key_) {
        return Status::Invalid(
            fmt::format("table {}: key column {} is null in the stream", source_name_, d.name));
      }
      col->AppendNull();
      continue;
    }
    const std::string_view bytes = t.ValueBytes(j);
    // A text-format value of a text-read column decodes as text; binary values of text-read
    // columns were replaced by the look-up (their text form, sent as binary text).
    Status st = PgDecodeValue(*d.decoder, reinterpret_cast<const uint8_t*>(bytes.data()),
                              static_cast<int32_t>(bytes.size()), col, &decode_ctx_);
    if (!st.ok()) {
      return st.WithContext(fmt::format("table {} column {}", source_name_, d.name));
    }
  }
  Column* marker = out->mutable_column(c);
  marker->AppendBool(deleted);
  return Status::OK();
}

Status CdcTable::Build(PgConnection* lookup, std::unique_ptr<ColumnBatch>* mirror,
                       std::unique_ptr<ColumnBatch>* changelog) {
  mirror->reset();
  changelog->reset();
  if (pending_.empty()) return Status::OK();
  if (!has_relation_) {
    return Status::Invalid(
        fmt::format("table {}: a change arrived before its Relation message", source_name_));
  }
  NILUS_RETURN_NOT_OK(ResolveMissing(lookup));
  auto rows = std::make_unique<ColumnBatch>(mirror_schema_);
  auto before_rows = std::make_unique<ColumnBatch>(mirror_schema_);
  auto log = std::make_unique<ColumnBatch>(ChangelogSchema());
  const int marker = static_cast<int>(mirror_schema_->fields().size()) - 1;
  std::vector<int> row_columns;  // every column but the marker
  for (int c = 0; c < marker; ++c) row_columns.push_back(c);
  std::vector<int> key_columns;
  for (const auto& k : key_) key_columns.push_back(mirror_schema_->FindTopLevelIndex(k));
  std::string before_json, after_json;
  // Rows of `rows` that go to the mirror: every row, unless some change is in the mirror
  // already (see CdcChange::to_mirror).
  std::vector<int64_t> keep;
  bool drop_some = false;
  for (const CdcChange& ch : pending_) {
    std::optional<std::string> before, after;
    if (ch.old_kind != 0) {
      const bool key_only = ch.old_kind == 'K';
      NILUS_RETURN_NOT_OK(DecodeRow(ch.old_tuple, key_only, ch.op == 'd', before_rows.get()));
      before_json.clear();
      AppendRowJson(*before_rows, before_rows->num_rows() - 1, key_only ? key_columns : row_columns,
                    &before_json);
      before = before_json;
    }
    const bool to_mirror = mirrored() && ch.to_mirror;
    drop_some |= !to_mirror;
    if (ch.op == 'u' && ch.old_kind != 0 && mirrored() &&
        KeyBytes(ch.old_tuple) != KeyBytes(ch.new_tuple)) {
      // The key changed: the old key's row goes, before the new key's row is written.
      NILUS_RETURN_NOT_OK(DecodeRow(ch.old_tuple, true, true, rows.get()));
      if (to_mirror) keep.push_back(rows->num_rows() - 1);
    }
    if (ch.has_new) {
      NILUS_RETURN_NOT_OK(DecodeRow(ch.new_tuple, false, false, rows.get()));
      if (to_mirror) keep.push_back(rows->num_rows() - 1);
      after_json.clear();
      AppendRowJson(*rows, rows->num_rows() - 1, row_columns, &after_json);
      after = after_json;
    } else if (ch.op == 'd' && mirrored()) {
      NILUS_RETURN_NOT_OK(DecodeRow(ch.old_tuple, true, true, rows.get()));
      if (to_mirror) keep.push_back(rows->num_rows() - 1);
    }
    if (!ch.to_changelog) continue;
    AppendChangelogRow(log.get(), ch.op, before, after, ch.lsn, ch.commit_lsn, ch.commit_time_us,
                       static_cast<int64_t>(ch.xid), ch.seq);
  }
  pending_.clear();
  pending_bytes_ = 0;
  if (mirrored() && drop_some) {
    NILUS_ASSIGN_OR_RAISE(rows, TakeRows(*rows, keep));
  }
  if (mirrored() && rows->num_rows() > 0) *mirror = std::move(rows);
  *changelog = std::move(log);
  return Status::OK();
}

}  // namespace nilus::pipeline
