#include "load/conform.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace nilus::load {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Equal apart from field ids (names, requiredness and types at every depth).
bool SameShape(const Type& a, const Type& b) {
  if (a.id() != b.id() || a.precision() != b.precision() || a.scale() != b.scale() ||
      a.fixed_length() != b.fixed_length() || a.fields().size() != b.fields().size()) {
    return false;
  }
  for (size_t i = 0; i < a.fields().size(); ++i) {
    const NestedField& x = a.fields()[i];
    const NestedField& y = b.fields()[i];
    if (x.name != y.name || x.required != y.required || !SameShape(*x.type, *y.type)) return false;
  }
  return true;
}

// Whether Iceberg's schema evolution may change a column of type `from` to `to`.
bool IsPromotion(const Type& from, const Type& to) {
  if (from.id() == TypeId::kInt && to.id() == TypeId::kLong) return true;
  if (from.id() == TypeId::kFloat && to.id() == TypeId::kDouble) return true;
  return from.id() == TypeId::kDecimal && to.id() == TypeId::kDecimal &&
         from.scale() == to.scale() && to.precision() > from.precision();
}

// A column of `to` holding `src`'s values (an IsPromotion pair, or a decimal of equal scale).
std::unique_ptr<Column> CastColumn(const Column& src, const TypePtr& to) {
  auto out = Column::Make(to);
  const int64_t n = src.length();
  out->Reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    if (src.IsNull(i)) {
      out->AppendNull();
      continue;
    }
    switch (to->id()) {
      case TypeId::kLong:
        out->AppendInt64(src.Value<int32_t>(i));
        break;
      case TypeId::kDouble:
        out->AppendDouble(src.Value<float>(i));
        break;
      default:  // decimal: same unscaled value
        out->AppendDecimal(src.Value<__int128>(i));
        break;
    }
  }
  return out;
}

// `src`'s entries moved into a column of `to`, a type of the same shape whose nested field
// ids may differ (the table assigns its own): leaves are moved, the nested levels rebuilt.
std::unique_ptr<Column> Retype(Column* src, const TypePtr& to) {
  if (to->is_primitive()) return std::make_unique<Column>(std::move(*src));
  auto out = Column::Make(to);
  for (int c = 0; c < src->num_children(); ++c) {
    *out->mutable_child(c) = std::move(*Retype(src->mutable_child(c), to->fields()[c].type));
  }
  if (to->id() != TypeId::kStruct) *out->mutable_offsets() = *src->mutable_offsets();
  out->SetLengthAllValid(src->length());
  if (src->null_count() > 0) {
    for (int64_t i = 0; i < src->length(); ++i) {
      if (src->IsNull(i)) out->SetNull(i);
    }
  }
  return out;
}

}  // namespace

Result<PartitionHint> ParsePartitionHint(std::string_view text) {
  const std::string_view t = Trim(text);
  auto bad = [&](std::string_view why) {
    return Status::Invalid(fmt::format("partition hint '{}': {}", text, why));
  };
  if (t.empty()) return bad("empty");
  PartitionHint hint;
  const size_t open = t.find('(');
  if (open == std::string_view::npos) {
    if (t.find(')') != std::string_view::npos) return bad("unbalanced parentheses");
    hint.column = std::string(t);
    hint.field_name = hint.column;
    return hint;
  }
  if (t.back() != ')') return bad("expected 'transform(column)'");
  const std::string_view fn = Trim(t.substr(0, open));
  std::string_view args = t.substr(open + 1, t.size() - open - 2);
  std::string_view param;
  const size_t comma = args.find(',');
  if (comma != std::string_view::npos) {
    param = Trim(args.substr(0, comma));
    args = args.substr(comma + 1);
  }
  hint.column = std::string(Trim(args));
  if (hint.column.empty()) return bad("no column");
  auto parse_param = [&]() -> Result<int32_t> {
    int32_t v = 0;
    auto [p, ec] = std::from_chars(param.data(), param.data() + param.size(), v);
    if (param.empty() || ec != std::errc() || p != param.data() + param.size()) {
      return bad("expected an integer parameter, as in bucket(16, id)");
    }
    return v;
  };
  const bool takes_param = fn == "bucket" || fn == "truncate";
  const bool has_param = comma != std::string_view::npos;
  if (takes_param != has_param) {
    return bad(takes_param ? "missing the parameter" : "unexpected parameter");
  }
  std::string suffix;
  if (fn == "identity") {
    hint.transform = iceberg::Transform::Identity();
  } else if (fn == "year") {
    hint.transform = iceberg::Transform::Year();
    suffix = "_year";
  } else if (fn == "month") {
    hint.transform = iceberg::Transform::Month();
    suffix = "_month";
  } else if (fn == "day") {
    hint.transform = iceberg::Transform::Day();
    suffix = "_day";
  } else if (fn == "hour") {
    hint.transform = iceberg::Transform::Hour();
    suffix = "_hour";
  } else if (fn == "void") {
    hint.transform = iceberg::Transform::Void();
    suffix = "_null";
  } else if (fn == "bucket") {
    NILUS_ASSIGN_OR_RAISE(int32_t n, parse_param());
    NILUS_ASSIGN_OR_RAISE(hint.transform, iceberg::Transform::Bucket(n));
    suffix = "_bucket";
  } else if (fn == "truncate") {
    NILUS_ASSIGN_OR_RAISE(int32_t w, parse_param());
    NILUS_ASSIGN_OR_RAISE(hint.transform, iceberg::Transform::Truncate(w));
    suffix = "_trunc";
  } else {
    return bad(fmt::format("unknown transform '{}'", fn));
  }
  hint.field_name = hint.column + suffix;
  return hint;
}

Result<iceberg::PartitionSpec> BuildPartitionSpec(const Schema& schema,
                                                  const std::vector<std::string>& hints) {
  iceberg::PartitionSpec spec;
  int32_t next_id = iceberg::kPartitionDataIdStart;
  for (const std::string& text : hints) {
    NILUS_ASSIGN_OR_RAISE(PartitionHint hint, ParsePartitionHint(text));
    const int idx = schema.FindTopLevelIndex(hint.column);
    if (idx < 0) {
      return Status::Invalid(
          fmt::format("partition hint '{}': no column '{}' in the data", text, hint.column));
    }
    const NestedField& field = schema.fields()[idx];
    Result<TypePtr> result_type = hint.transform.ResultType(*field.type);
    if (!result_type.ok()) {
      return result_type.status().WithContext(fmt::format("partition hint '{}'", text));
    }
    spec.fields.push_back({field.id, next_id++, hint.field_name, hint.transform});
  }
  NILUS_RETURN_NOT_OK(spec.Validate(schema));
  return spec;
}

bool CanStoreAs(const Type& from, const Type& to) {
  return SameShape(from, to) || IsPromotion(from, to);
}

Result<SchemaEvolutionPlan> PlanSchemaEvolution(iceberg::Table* table, std::string_view table_name,
                                                const Schema& table_schema,
                                                const Schema& batch_schema,
                                                const std::vector<std::string>& ignore) {
  SchemaEvolutionPlan plan;
  plan.update = table != nullptr ? iceberg::SchemaUpdate::For(table)
                                 : iceberg::SchemaUpdate::ForTableName(std::string(table_name));
  const auto& identifiers = table_schema.identifier_field_ids();
  for (const NestedField& bf : batch_schema.fields()) {
    if (Contains(ignore, bf.name)) continue;
    const int idx = table_schema.FindTopLevelIndex(bf.name);
    if (idx < 0) {
      plan.update.AddColumn(bf.name, bf.type);
      plan.changes.push_back(fmt::format("add column {}: {}", bf.name, bf.type->ToString()));
      continue;
    }
    const NestedField& tf = table_schema.fields()[idx];
    if (!CanStoreAs(*bf.type, *tf.type)) {
      if (!IsPromotion(*tf.type, *bf.type)) {
        return Status::TypeError(fmt::format(
            "table {}: column '{}' has type {} in the table, the data has {}, which cannot be "
            "stored in it or widened to",
            table_name, bf.name, tf.type->ToString(), bf.type->ToString()));
      }
      plan.update.UpdateColumnType(bf.name, bf.type);
      plan.changes.push_back(fmt::format("widen column {}: {} -> {}", bf.name, tf.type->ToString(),
                                         bf.type->ToString()));
    }
    const bool is_identifier =
        std::find(identifiers.begin(), identifiers.end(), tf.id) != identifiers.end();
    if (tf.required && !bf.required && !is_identifier) {
      plan.update.MakeOptional(bf.name);
      plan.changes.push_back(fmt::format("make column {} optional", bf.name));
    }
  }
  // A required column the data no longer has gets nulls from now on.
  for (const NestedField& tf : table_schema.fields()) {
    if (!tf.required || batch_schema.FindTopLevelIndex(tf.name) >= 0) continue;
    if (std::find(identifiers.begin(), identifiers.end(), tf.id) != identifiers.end()) continue;
    plan.update.MakeOptional(tf.name);
    plan.changes.push_back(fmt::format("make column {} optional", tf.name));
  }
  return plan;
}

Result<std::unique_ptr<ColumnBatch>> ConformBatch(std::unique_ptr<ColumnBatch> batch,
                                                  const SchemaPtr& table_schema,
                                                  std::string_view table_name,
                                                  const std::vector<std::string>& ignore) {
  const Schema& in = *batch->schema();
  // The data's columns that the table lacks must have been added by PlanSchemaEvolution.
  for (const NestedField& bf : in.fields()) {
    if (Contains(ignore, bf.name)) continue;
    if (table_schema->FindTopLevelIndex(bf.name) < 0) {
      return Status::Invalid(fmt::format(
          "table {}: column '{}' of the data is not in the table schema", table_name, bf.name));
    }
  }
  const int64_t rows = batch->num_rows();
  auto out = std::make_unique<ColumnBatch>(table_schema);
  for (int i = 0; i < out->num_columns(); ++i) {
    const NestedField& tf = table_schema->fields()[i];
    const int src_idx = in.FindTopLevelIndex(tf.name);
    if (src_idx < 0) {
      if (tf.required) {
        return Status::Invalid(fmt::format(
            "table {}: required column '{}' is missing from the data", table_name, tf.name));
      }
      Column* col = out->mutable_column(i);
      col->Reserve(rows);
      for (int64_t r = 0; r < rows; ++r) col->AppendNull();
      continue;
    }
    Column* src = batch->mutable_column(src_idx);
    if (tf.required && src->null_count() > 0) {
      return Status::Invalid(fmt::format("table {}: required column '{}' holds {} null(s)",
                                         table_name, tf.name, src->null_count()));
    }
    if (src->type_ref().Equals(*tf.type)) {
      *out->mutable_column(i) = std::move(*src);
    } else if (tf.type->is_primitive() && SameShape(src->type_ref(), *tf.type)) {
      // Primitive types carry no ids; a distinct but equal TypePtr is fine to keep.
      *out->mutable_column(i) = std::move(*src);
    } else if (IsPromotion(src->type_ref(), *tf.type)) {
      *out->mutable_column(i) = std::move(*CastColumn(*src, tf.type));
    } else if (SameShape(src->type_ref(), *tf.type)) {
      *out->mutable_column(i) = std::move(*Retype(src, tf.type));
    } else {
      return Status::TypeError(fmt::format("table {}: column '{}' has type {}, the data has {}",
                                           table_name, tf.name, tf.type->ToString(),
                                           src->type_ref().ToString()));
    }
  }
  return out;
}

void AppendKeyBytes(const ColumnBatch& batch, const std::vector<int>& columns, int64_t row,
                    std::string* out) {
  for (int c : columns) {
    const Column& col = batch.column(c);
    if (col.IsNull(row)) {
      out->push_back('\0');
      continue;
    }
    out->push_back('\1');
    const TypeId id = col.type_ref().id();
    if (id == TypeId::kString || id == TypeId::kBinary || id == TypeId::kFixed ||
        id == TypeId::kUuid) {
      const std::string_view b = col.Bytes(row);
      const uint64_t len = b.size();
      out->append(reinterpret_cast<const char*>(&len), sizeof(len));
      out->append(b);
    } else {
      const int width = FixedWidthOf(col.type_ref());
      const auto* base = col.value_buffer().data();
      out->append(reinterpret_cast<const char*>(base + row * width), width);
    }
  }
}

Result<bool> MatchesMarker(const Column& column, int64_t row, std::string_view marker) {
  if (column.IsNull(row)) return false;
  switch (column.type_ref().id()) {
    case TypeId::kBoolean:
      return (column.Value<uint8_t>(row) != 0 ? "true" : "false") == marker;
    case TypeId::kInt:
      return std::to_string(column.Value<int32_t>(row)) == marker;
    case TypeId::kLong:
      return std::to_string(column.Value<int64_t>(row)) == marker;
    case TypeId::kString:
      return column.Bytes(row) == marker;
    default:
      return Status::Invalid(
          fmt::format("delete marker column of type {}: use a boolean, "
                      "integer or string column",
                      column.type_ref().ToString()));
  }
}

}  // namespace nilus::load
