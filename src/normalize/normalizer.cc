#include "normalize/normalizer.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <array>
#include <charconv>
#include <cmath>
#include <unordered_map>

#include "core/column_take.h"
#include "core/value.h"
#include "normalize/identifier.h"
#include "normalize/nilus_id.h"
#include "normalize/text_parse.h"

namespace nilus::normalize {

namespace {

constexpr std::string_view kLoadIdCol = "_nilus_load_id";
constexpr std::string_view kIdCol = "_nilus_id";
constexpr std::string_view kParentIdCol = "_nilus_parent_id";
constexpr std::string_view kListIdxCol = "_nilus_list_idx";
constexpr std::string_view kRootIdCol = "_nilus_root_id";
constexpr std::string_view kValueField = "value";
constexpr size_t kMaxValueInMessage = 64;

// The kind of one incoming value, before it meets a column.
enum class VKind : uint8_t {
  kNull,
  kBool,
  kLong,
  kDouble,
  kDecimal,
  kString,
  kDate,
  kTimestamp,
  kTimestampTz,
};
constexpr int kNumKinds = 9;

std::string_view KindName(VKind k) {
  switch (k) {
    case VKind::kNull:
      return "null";
    case VKind::kBool:
      return "bool";
    case VKind::kLong:
      return "long";
    case VKind::kDouble:
      return "double";
    case VKind::kDecimal:
      return "decimal";
    case VKind::kString:
      return "string";
    case VKind::kDate:
      return "date";
    case VKind::kTimestamp:
      return "timestamp";
    case VKind::kTimestampTz:
      return "timestamptz";
  }
  return "?";
}

// Variant suffix for a typed source column's type.
std::string_view TypeKindName(const Type& t) {
  switch (t.id()) {
    case TypeId::kBoolean:
      return "bool";
    case TypeId::kInt:
      return "int";
    case TypeId::kLong:
      return "long";
    case TypeId::kFloat:
      return "float";
    case TypeId::kDouble:
      return "double";
    case TypeId::kDecimal:
      return "decimal";
    case TypeId::kDate:
      return "date";
    case TypeId::kTime:
      return "time";
    case TypeId::kTimestamp:
      return "timestamp";
    case TypeId::kTimestampTz:
      return "timestamptz";
    case TypeId::kString:
      return "string";
    case TypeId::kUuid:
      return "uuid";
    case TypeId::kFixed:
      return "fixed";
    case TypeId::kBinary:
      return "binary";
    case TypeId::kStruct:
      return "struct";
    case TypeId::kList:
      return "list";
    case TypeId::kMap:
      return "map";
  }
  return "?";
}

// One value on its way into a column. Text values keep their text in `s`: JSON strings and CSV
// cells may be parsed into a typed column (`parseable`); CSV cells are also accepted as-is by
// a string column (`text_origin`) and have their kind inferred only when needed (`infer`).
struct Scalar {
  VKind kind = VKind::kNull;
  bool b = false;
  int64_t i = 0;  // long; date (days); timestamps (µs)
  double d = 0;
  __int128 dec = 0;
  int scale = 0;
  std::string_view s;
  bool parseable = false;
  bool text_origin = false;
  bool infer = false;
};

void InferScalar(Scalar* v) {
  if (!v->infer) return;
  v->infer = false;
  switch (InferTextKind(v->s)) {
    case TextKind::kBool:
      v->kind = VKind::kBool;
      ParseBoolText(v->s, &v->b);
      break;
    case TextKind::kLong:
      v->kind = VKind::kLong;
      ParseLongText(v->s, &v->i);
      break;
    case TextKind::kBigInteger:
      v->kind = VKind::kDecimal;
      v->scale = 0;
      ParseDecimalText(v->s, 38, 0, &v->dec);
      break;
    case TextKind::kDouble:
      v->kind = VKind::kDouble;
      ParseDoubleText(v->s, &v->d);
      break;
    case TextKind::kDate: {
      int32_t days = 0;
      ParseDateText(v->s, &days);
      v->kind = VKind::kDate;
      v->i = days;
      break;
    }
    case TextKind::kTimestamp:
      v->kind = VKind::kTimestamp;
      ParseTimestampText(v->s, &v->i);
      break;
    case TextKind::kTimestampTz:
      v->kind = VKind::kTimestampTz;
      ParseTimestampTzText(v->s, &v->i);
      break;
    case TextKind::kString:
      v->kind = VKind::kString;
      break;
  }
}

TypePtr TypeOfScalar(const Scalar& v) {
  switch (v.kind) {
    case VKind::kBool:
      return Type::Boolean();
    case VKind::kLong:
      return Type::Long();
    case VKind::kDouble:
      return Type::Double();
    case VKind::kDecimal:
      return Type::Decimal(38, v.scale);
    case VKind::kDate:
      return Type::Date();
    case VKind::kTimestamp:
      return Type::Timestamp();
    case VKind::kTimestampTz:
      return Type::TimestampTz();
    default:
      return Type::String();
  }
}

std::string ScalarText(const Scalar& v) {
  std::string out;
  if (!v.s.empty() || v.kind == VKind::kString) {
    out = std::string(v.s);
  } else {
    switch (v.kind) {
      case VKind::kBool:
        out = v.b ? "true" : "false";
        break;
      case VKind::kLong:
        out = std::to_string(v.i);
        break;
      case VKind::kDouble:
        out = fmt::format("{}", v.d);
        break;
      case VKind::kDecimal:
        out = DecimalToString(v.dec, v.scale);
        break;
      case VKind::kDate:
        out = DateToString(static_cast<int32_t>(v.i));
        break;
      case VKind::kTimestamp:
      case VKind::kTimestampTz:
        out = TimestampToString(v.i);
        break;
      default:
        out = "null";
    }
  }
  if (out.size() > kMaxValueInMessage) out = out.substr(0, kMaxValueInMessage) + "...";
  return out;
}

__int128 Pow10(int n) {
  __int128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

bool FitsDecimal(__int128 unscaled, int precision) {
  __int128 max = MaxDecimalUnscaled(precision);
  return unscaled <= max && unscaled >= -max;
}

// Appends v to `col` (of type `type`) when it fits without loss; false leaves col unchanged.
bool TryAppend(Column* col, const Type& type, const Scalar& v) {
  switch (type.id()) {
    case TypeId::kString:
      if (v.kind == VKind::kString || v.text_origin) {
        col->AppendBytes(v.s);
        return true;
      }
      return false;
    case TypeId::kBoolean: {
      bool b = v.b;
      if (v.kind == VKind::kBool || (v.parseable && ParseBoolText(v.s, &b))) {
        col->AppendBool(b);
        return true;
      }
      return false;
    }
    case TypeId::kInt:
    case TypeId::kLong: {
      int64_t x = v.i;
      if (v.kind != VKind::kLong && !(v.parseable && ParseLongText(v.s, &x))) return false;
      if (type.id() == TypeId::kInt) {
        if (x < INT32_MIN || x > INT32_MAX) return false;
        col->AppendInt32(static_cast<int32_t>(x));
      } else {
        col->AppendInt64(x);
      }
      return true;
    }
    case TypeId::kFloat:
    case TypeId::kDouble: {
      double x;
      if (v.kind == VKind::kDouble) {
        x = v.d;
      } else if (v.kind == VKind::kLong && v.i >= -(1LL << 53) && v.i <= (1LL << 53)) {
        x = static_cast<double>(v.i);
      } else if (!(v.parseable && ParseDoubleText(v.s, &x))) {
        return false;
      }
      if (type.id() == TypeId::kFloat) {
        float f = static_cast<float>(x);
        if (!std::isnan(x) && static_cast<double>(f) != x) return false;
        col->AppendFloat(f);
      } else {
        col->AppendDouble(x);
      }
      return true;
    }
    case TypeId::kDecimal: {
      const int p = type.precision(), s = type.scale();
      __int128 u;
      if (v.kind == VKind::kLong) {
        u = static_cast<__int128>(v.i) * Pow10(s);
      } else if (v.kind == VKind::kDecimal) {
        if (v.scale > s) return false;
        u = v.dec * Pow10(s - v.scale);
      } else if (v.kind == VKind::kDouble) {
        if (!std::isfinite(v.d)) return false;
        // The shortest text that reads back as the same double, so 12.5 stays 12.5.
        std::string text = fmt::format("{}", v.d);
        if (!ParseDecimalText(text, p, s, &u)) return false;
      } else if (!(v.parseable && ParseDecimalText(v.s, p, s, &u))) {
        return false;
      }
      if (!FitsDecimal(u, p)) return false;
      col->AppendDecimal(u);
      return true;
    }
    case TypeId::kDate: {
      int32_t days;
      if (v.kind == VKind::kDate) {
        days = static_cast<int32_t>(v.i);
      } else if (!(v.parseable && ParseDateText(v.s, &days))) {
        return false;
      }
      col->AppendInt32(days);
      return true;
    }
    case TypeId::kTimestamp: {
      int64_t us;
      int32_t days;
      if (v.kind == VKind::kTimestamp) {
        us = v.i;
      } else if (v.kind == VKind::kDate) {
        us = v.i * 86400000000LL;
      } else if (!(v.parseable && ParseTimestampText(v.s, &us))) {
        if (!(v.parseable && ParseDateText(v.s, &days))) return false;
        us = days * 86400000000LL;
      }
      col->AppendInt64(us);
      return true;
    }
    case TypeId::kTimestampTz: {
      int64_t us;
      if (v.kind == VKind::kTimestampTz) {
        us = v.i;
      } else if (!(v.parseable && ParseTimestampTzText(v.s, &us))) {
        return false;
      }
      col->AppendInt64(us);
      return true;
    }
    case TypeId::kTime: {
      int64_t us;
      if (!(v.parseable && ParseTimeText(v.s, &us))) return false;
      col->AppendInt64(us);
      return true;
    }
    case TypeId::kUuid: {
      std::string bytes;
      if (!(v.parseable && ParseUuidText(v.s, &bytes))) return false;
      col->AppendBytes(bytes);
      return true;
    }
    case TypeId::kBinary:
      if (v.kind != VKind::kString) return false;
      col->AppendBytes(v.s);
      return true;
    default:
      return false;
  }
}

// Whether Iceberg schema evolution can promote `from` to `to` (int->long, float->double,
// decimal(P,S)->decimal(P2,S) with P2 > P).
bool IcebergPromotable(const Type& from, const Type& to) {
  if (from.id() == TypeId::kInt && to.id() == TypeId::kLong) return true;
  if (from.id() == TypeId::kFloat && to.id() == TypeId::kDouble) return true;
  return from.id() == TypeId::kDecimal && to.id() == TypeId::kDecimal &&
         from.scale() == to.scale() && to.precision() > from.precision();
}

// Rewrites a column's values as `to`, for the widenings the ladder allows.
Result<std::unique_ptr<Column>> ConvertColumn(const Column& src, const TypePtr& to) {
  auto out = Column::Make(to);
  const TypeId from = src.type()->id();
  const int64_t n = src.length();
  out->Reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    if (src.IsNull(i)) {
      out->AppendNull();
      continue;
    }
    switch (to->id()) {
      case TypeId::kLong:
        if (from == TypeId::kInt) {
          out->AppendInt64(src.Value<int32_t>(i));
          continue;
        }
        break;
      case TypeId::kDouble:
        if (from == TypeId::kFloat) {
          out->AppendDouble(src.Value<float>(i));
          continue;
        }
        if (from == TypeId::kLong) {
          out->AppendDouble(static_cast<double>(src.Value<int64_t>(i)));
          continue;
        }
        if (from == TypeId::kInt) {
          out->AppendDouble(src.Value<int32_t>(i));
          continue;
        }
        break;
      case TypeId::kDecimal:
        if (from == TypeId::kDecimal && src.type()->scale() == to->scale()) {
          out->AppendDecimal(src.Value<__int128>(i));
          continue;
        }
        if (from == TypeId::kLong) {
          out->AppendDecimal(static_cast<__int128>(src.Value<int64_t>(i)) * Pow10(to->scale()));
          continue;
        }
        if (from == TypeId::kInt) {
          out->AppendDecimal(static_cast<__int128>(src.Value<int32_t>(i)) * Pow10(to->scale()));
          continue;
        }
        break;
      case TypeId::kTimestamp:
        if (from == TypeId::kDate) {
          out->AppendInt64(static_cast<int64_t>(src.Value<int32_t>(i)) * 86400000000LL);
          continue;
        }
        break;
      default:
        break;
    }
    return Status::Internal(
        fmt::format("cannot convert {} to {}", src.type()->ToString(), to->ToString()));
  }
  return out;
}

bool CanConvert(const Type& from, const Type& to) {
  if (IcebergPromotable(from, to)) return true;
  switch (to.id()) {
    case TypeId::kDouble:
      return from.id() == TypeId::kLong || from.id() == TypeId::kInt;
    case TypeId::kDecimal:
      return from.id() == TypeId::kLong || from.id() == TypeId::kInt;
    case TypeId::kTimestamp:
      return from.id() == TypeId::kDate;
    default:
      return false;
  }
}

// Whether every value of `from` converts to `to` exactly (typed sources only).
bool FitsWithoutLoss(const Type& from, const Type& to) {
  if (IcebergPromotable(from, to)) return true;
  if (to.id() == TypeId::kDouble) return from.id() == TypeId::kInt;
  if (to.id() == TypeId::kTimestamp) return from.id() == TypeId::kDate;
  if (to.id() == TypeId::kDecimal) {
    int int_digits = to.precision() - to.scale();
    return (from.id() == TypeId::kInt && int_digits >= 10) ||
           (from.id() == TypeId::kLong && int_digits >= 19);
  }
  return false;
}

// A value's text for hashing a primary key: the same for equal values of one type.
std::string KeyText(const Column& col, int64_t row) {
  const Type& t = col.type_ref();
  switch (t.id()) {
    case TypeId::kBoolean:
      return col.Value<uint8_t>(row) ? "true" : "false";
    case TypeId::kInt:
      return std::to_string(col.Value<int32_t>(row));
    case TypeId::kLong:
    case TypeId::kTime:
      return std::to_string(col.Value<int64_t>(row));
    case TypeId::kFloat:
      return fmt::format("{}", col.Value<float>(row));
    case TypeId::kDouble:
      return fmt::format("{}", col.Value<double>(row));
    case TypeId::kDecimal:
      return DecimalToString(col.Value<__int128>(row), t.scale());
    case TypeId::kDate:
      return DateToString(col.Value<int32_t>(row));
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return TimestampToString(col.Value<int64_t>(row));
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kUuid:
    case TypeId::kFixed:
      return std::string(col.Bytes(row));
    default:
      return {};
  }
}

// Gives every field inside a nested type a fresh id from *next, keeping names and types.
TypePtr RenumberNested(const TypePtr& type, int32_t* next) {
  switch (type->id()) {
    case TypeId::kStruct: {
      std::vector<NestedField> fields;
      for (const auto& f : type->fields()) {
        fields.push_back({(*next)++, f.name, nullptr, f.required, f.doc});
      }
      for (size_t i = 0; i < fields.size(); ++i) {
        fields[i].type = RenumberNested(type->fields()[i].type, next);
      }
      return Type::Struct(std::move(fields));
    }
    case TypeId::kList: {
      int32_t id = (*next)++;
      return Type::List(id, RenumberNested(type->element().type, next), type->element().required);
    }
    case TypeId::kMap: {
      int32_t kid = (*next)++;
      int32_t vid = (*next)++;
      return Type::Map(kid, RenumberNested(type->key().type, next), vid,
                       RenumberNested(type->value().type, next), type->value().required);
    }
    default:
      return type;
  }
}

// Copies a JSON text, appending "e0" to every integer literal of more than 19 digits outside
// strings, so that a parser limited to 64-bit integers reads it as a double. False when there
// is none (the error lies elsewhere).
bool MarkBigIntegersAsFloat(std::string_view in, std::string* out) {
  out->clear();
  bool changed = false, in_string = false;
  for (size_t i = 0; i < in.size();) {
    char c = in[i];
    if (in_string) {
      out->push_back(c);
      if (c == '\\' && i + 1 < in.size()) {
        out->push_back(in[i + 1]);
        i += 2;
        continue;
      }
      if (c == '"') in_string = false;
      ++i;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out->push_back(c);
      ++i;
      continue;
    }
    if ((c >= '0' && c <= '9') || c == '-') {
      size_t j = i + (c == '-' ? 1 : 0);
      size_t start = j;
      while (j < in.size() && in[j] >= '0' && in[j] <= '9') ++j;
      out->append(in.substr(i, j - i));
      bool integral = j >= in.size() || (in[j] != '.' && in[j] != 'e' && in[j] != 'E');
      if (integral && j - start > 19) {
        out->append("e0");
        changed = true;
      }
      i = j;  // j > i: a digit or '-' was consumed
      continue;
    }
    out->push_back(c);
    ++i;
  }
  return changed;
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace

std::string_view VariantTypeSuffix(const Type& type) { return TypeKindName(type); }

// ---------------------------------------------------------------------------------------------
// State

namespace {

struct NormColumn {
  std::string name;
  TypePtr type;
  bool required = false;
  bool hinted = false;   // type fixed by a hint: never widened
  bool settled = false;  // emitted before, or known at the destination: Iceberg promotions only
  std::unique_ptr<Column> data;
};

struct NormObjectNode;

// One normalized key of an object (several raw spellings may lead here).
struct NormField {
  std::string path;  // the output column name for a scalar here: node prefix + normalized key
  uint64_t stamp = 0;
  std::string_view stamp_raw;  // the raw key that set `stamp`; valid while its document is
  int col = -1;
  std::array<int, kNumKinds> variants;
  std::unique_ptr<NormObjectNode> object;
  int child_table = -1;
  NormField() { variants.fill(-1); }
};

constexpr size_t kShapeCacheKeys = 256;

struct NormObjectNode {
  // Per key position: the raw key last seen there (a key of by_raw, whose nodes never move).
  std::vector<std::pair<const std::string*, NormField*>> order;
  std::string prefix;  // "" or "address__"
  std::unordered_map<std::string, NormField*, StringHash, std::equal_to<>> by_raw;
  std::unordered_map<std::string, std::unique_ptr<NormField>> by_norm;
};

struct NormTable {
  std::string name;
  int parent = -1;
  bool known = false;    // existed at the destination before this run
  bool created = false;  // announced (kTableCreated) or known
  std::vector<NormColumn> cols;
  std::unordered_map<std::string, int> by_name;
  NormObjectNode node;
  int64_t rows = 0;
  std::vector<int64_t> root_row;  // per row: the root row it belongs to
  std::vector<int64_t> lines;     // per row: the source line
  int id_col = -1, parent_col = -1, idx_col = -1, load_col = -1, root_id_col = -1;
  uint64_t name_hash = 0;            // HashParts({name}), for child row ids
  NormField* value_field = nullptr;  // the "value" field, once looked up
  SchemaPtr schema;                  // cached; reset when columns change
};

struct PendingList {
  NormField* field;
  simdjson::dom::array array;
  int depth;
};

struct RowCtx {
  std::string_view source;
  int64_t line = 0;
  int64_t root_row = 0;
  // The root row's _nilus_id, once known (child rows carry it as _nilus_root_id so that a merge
  // can replace every descendant of an updated root row).
  std::string_view root_id;
  bool drop = false;
  std::vector<PendingList>* pending = nullptr;  // root-table lists, walked once the id is known
};

enum class Action { kApply, kSkipValue, kDropRow };

}  // namespace

struct Normalizer::Impl {
  NormalizerOptions options;
  SchemaContract contract;
  std::vector<std::string> pk;  // normalized
  std::unordered_map<std::string, ColumnHint> hints;
  std::vector<std::unique_ptr<NormTable>> tables;  // [0] is the root
  simdjson::dom::parser parser;
  uint64_t stamp = 0;
  int64_t seq = 0;
  bool root_discarded = false;
  std::vector<bool> dropped_roots;
  std::vector<SchemaChange> changes;
  NormalizeStats stats;
  std::vector<PendingList> pending;
  std::string scratch;

  NormTable& root() { return *tables[0]; }

  int FindTable(std::string_view name) const {
    for (size_t i = 0; i < tables.size(); ++i) {
      if (tables[i]->name == name) return static_cast<int>(i);
    }
    return -1;
  }

  static int FindColumn(const NormTable& t, const std::string& name) {
    auto it = t.by_name.find(name);
    return it == t.by_name.end() ? -1 : it->second;
  }

  const ColumnHint* FindHint(const NormTable& t, const std::string& name) const {
    if (t.parent >= 0 || &t != tables[0].get()) return nullptr;
    auto it = hints.find(name);
    return it == hints.end() ? nullptr : &it->second;
  }

  bool IsPk(const NormTable& t, const std::string& name) const {
    if (&t != tables[0].get()) return false;
    for (const auto& k : pk) {
      if (k == name) return true;
    }
    return false;
  }

  int AddColumn(NormTable& t, const std::string& name, TypePtr type, bool required, bool hinted) {
    NormColumn c;
    c.name = name;
    c.type = std::move(type);
    c.required = required;
    c.hinted = hinted;
    c.data = Column::Make(c.type);
    t.cols.push_back(std::move(c));
    int idx = static_cast<int>(t.cols.size()) - 1;
    t.by_name[name] = idx;
    t.schema.reset();
    return idx;
  }

  void Change(SchemaChange::Kind kind, const NormTable& t, std::string column, TypePtr old_type,
              TypePtr new_type, std::string reason) {
    SchemaChange c;
    c.kind = kind;
    c.table = t.name;
    c.column = std::move(column);
    c.old_type = std::move(old_type);
    c.new_type = std::move(new_type);
    c.reason = std::move(reason);
    if (t.parent >= 0) c.parent_table = tables[t.parent]->name;
    changes.push_back(std::move(c));
  }

  // Adds the linking columns a table needs and that it does not have yet.
  void AddLinkColumns(NormTable& t, bool is_root) {
    auto ensure = [&](std::string_view name, TypePtr type, int* slot) {
      int c = FindColumn(t, std::string(name));
      if (c < 0) {
        c = AddColumn(t, std::string(name), std::move(type), !t.known, false);
        if (t.known) {
          Change(SchemaChange::Kind::kColumnAdded, t, std::string(name), nullptr, t.cols[c].type,
                 "linking column missing at the destination");
        }
      }
      *slot = c;
    };
    if (is_root) {
      ensure(kLoadIdCol, Type::String(), &t.load_col);
      ensure(kIdCol, Type::String(), &t.id_col);
    } else {
      ensure(kIdCol, Type::String(), &t.id_col);
      ensure(kParentIdCol, Type::String(), &t.parent_col);
      ensure(kListIdxCol, Type::Long(), &t.idx_col);
      ensure(kRootIdCol, Type::String(), &t.root_id_col);
    }
  }

  Result<Action> Contract(ContractMode mode, std::string_view what, const NormTable& t,
                          std::string_view column, const std::string& value, const RowCtx& ctx) {
    switch (mode) {
      case ContractMode::kEvolve:
        return Action::kApply;
      case ContractMode::kDiscardRow:
        return Action::kDropRow;
      case ContractMode::kDiscardValue:
        return Action::kSkipValue;
      case ContractMode::kFreeze:
        break;
    }
    if (what == "tables") {
      return Status::Invalid(
          fmt::format("schema contract violation (tables frozen): new table '{}'{} {}", t.name,
                      column.empty() ? std::string() : fmt::format(" for field '{}'", column),
                      ctx.line > 0 ? fmt::format("at {}:{}", ctx.source, ctx.line)
                                   : fmt::format("for rows from {}", ctx.source)));
    }
    return Status::Invalid(fmt::format(
        "schema contract violation ({} frozen): table '{}', column '{}', value '{}' at {}:{}", what,
        t.name, column, value, ctx.source, ctx.line));
  }

  // Makes sure the root table exists; false when its rows are all to be dropped.
  Result<bool> EnsureRoot(std::string_view source) {
    NormTable& r = root();
    if (root_discarded) return false;
    if (r.created) return true;
    if (!r.known) {
      RowCtx ctx;
      ctx.source = source;
      NILUS_ASSIGN_OR_RAISE(Action a,
                            Contract(contract.tables, "tables", r, "", "(new table)", ctx));
      if (a != Action::kApply) {
        root_discarded = true;
        return false;
      }
      Change(SchemaChange::Kind::kTableCreated, r, "", nullptr, nullptr,
             fmt::format("first rows from {}", source));
    }
    r.created = true;
    AddLinkColumns(r, true);
    return true;
  }

  // ---- values ----

  void Pad(Column* c, int64_t row) {
    while (c->length() < row) c->AppendNull();
  }

  Status Put(NormTable& t, NormField& f, Scalar v, RowCtx& ctx, int64_t row) {
    if (v.kind == VKind::kNull && !v.infer) return Status::OK();
    if (f.col < 0) {
      int c = FindColumn(t, f.path);
      if (c < 0) {
        const ColumnHint* hint = FindHint(t, f.path);
        bool hinted = hint && hint->type;
        InferScalar(&v);
        TypePtr type = hinted ? hint->type : TypeOfScalar(v);
        bool required = IsPk(t, f.path) || (hint && hint->nullable == false);
        if (t.known) {
          NILUS_ASSIGN_OR_RAISE(
              Action a, Contract(contract.columns, "columns", t, f.path, ScalarText(v), ctx));
          if (a == Action::kSkipValue) {
            ++stats.values_discarded;
            return Status::OK();
          }
          if (a == Action::kDropRow) {
            ctx.drop = true;
            return Status::OK();
          }
        }
        c = AddColumn(t, f.path, type, required, hinted);
        Change(SchemaChange::Kind::kColumnAdded, t, f.path, nullptr, type,
               fmt::format("first value {} at {}:{}", ScalarText(v), ctx.source, ctx.line));
      }
      f.col = c;
    }
    NormColumn* col = &t.cols[f.col];
    Pad(col->data.get(), row);
    if (col->data->length() > row) return Collision(t, col->name, ctx);
    if (TryAppend(col->data.get(), *col->type, v)) return Status::OK();

    // The value does not fit the column: an existing variant, a widening, or a new variant.
    InferScalar(&v);
    const int k = static_cast<int>(v.kind);
    if (f.variants[k] < 0) {
      f.variants[k] = FindColumn(t, f.path + "__v_" + std::string(KindName(v.kind)));
    }
    if (f.variants[k] >= 0) {
      NormColumn& vc = t.cols[f.variants[k]];
      Pad(vc.data.get(), row);
      if (vc.data->length() > row) return Collision(t, vc.name, ctx);
      if (TryAppend(vc.data.get(), *vc.type, v)) {
        ++stats.variant_values;
        return Status::OK();
      }
    }
    TypePtr wider = WidenFor(*col, v);
    NILUS_ASSIGN_OR_RAISE(
        Action a, Contract(contract.data_type, "data_type", t, col->name, ScalarText(v), ctx));
    if (a == Action::kSkipValue) {
      ++stats.values_discarded;
      return Status::OK();
    }
    if (a == Action::kDropRow) {
      ctx.drop = true;
      return Status::OK();
    }
    std::string reason = fmt::format("value {} at {}:{} does not fit {}", ScalarText(v), ctx.source,
                                     ctx.line, col->type->ToString());
    if (wider) {
      NILUS_ASSIGN_OR_RAISE(auto converted, ConvertColumn(*col->data, wider));
      Change(SchemaChange::Kind::kColumnWidened, t, col->name, col->type, wider, std::move(reason));
      col->data = std::move(converted);
      col->type = wider;
      t.schema.reset();
      if (!TryAppend(col->data.get(), *col->type, v)) {
        return Status::Internal("a widened column refused its value");
      }
      return Status::OK();
    }
    std::string vname = f.path + "__v_" + std::string(KindName(v.kind));
    TypePtr vtype = TypeOfScalar(v);
    if (f.variants[k] >= 0) {
      // Only a variant column that exists at the destination with another type gets here.
      return Status::TypeError(fmt::format(
          "variant column '{}' of table '{}' has type {}, which cannot hold the value {} at {}:{}",
          vname, t.name, t.cols[f.variants[k]].type->ToString(), ScalarText(v), ctx.source,
          ctx.line));
    }
    int vc = AddColumn(t, vname, vtype, false, false);
    Change(SchemaChange::Kind::kVariantAdded, t, vname, nullptr, vtype, std::move(reason));
    f.variants[k] = vc;
    Column* data = t.cols[vc].data.get();
    Pad(data, row);
    if (!TryAppend(data, *vtype, v)) return Status::Internal("a variant column refused its value");
    ++stats.variant_values;
    return Status::OK();
  }

  // The type the column widens to so that v fits, or nullptr (see the ladder in normalizer.h).
  static TypePtr WidenFor(const NormColumn& c, const Scalar& v) {
    if (c.hinted) return nullptr;
    const TypeId id = c.type->id();
    if (id == TypeId::kInt && v.kind == VKind::kLong) return Type::Long();
    if (id == TypeId::kFloat && v.kind == VKind::kDouble) return Type::Double();
    if (id == TypeId::kDecimal && c.type->precision() < 38) {
      TypePtr wide = Type::Decimal(38, c.type->scale());
      Column probe(wide);
      if (TryAppend(&probe, *wide, v)) return wide;
    }
    if (c.settled) return nullptr;
    if (id == TypeId::kLong && v.kind == VKind::kDouble) return Type::Double();
    if (id == TypeId::kLong && v.kind == VKind::kDecimal && v.scale == 0) {
      return Type::Decimal(38, 0);
    }
    if (id == TypeId::kDate && v.kind == VKind::kTimestamp) return Type::Timestamp();
    return nullptr;
  }

  Status Collision(const NormTable& t, const std::string& column, const RowCtx& ctx) {
    return Status::Invalid(
        fmt::format("two fields of one record map to column '{}' of table '{}' at {}:{}", column,
                    t.name, ctx.source, ctx.line));
  }

  // ---- JSON ----

  // The field for key `raw`, the pos-th key of its object. Records of one source mostly list
  // their keys in the same order, so the key seen at this position last time is tried first.
  Result<NormField*> Lookup(NormTable& t, NormObjectNode& node, std::string_view raw, size_t pos,
                            uint64_t object_stamp, const RowCtx& ctx) {
    NormField* f;
    if (pos < node.order.size() && *node.order[pos].first == raw) {
      f = node.order[pos].second;
    } else {
      auto it = node.by_raw.find(raw);
      if (it == node.by_raw.end()) {
        std::string norm = NormalizeIdentifier(raw);
        if (node.prefix.empty() && IsReserved(norm)) return Reserved(t, raw, ctx);
        auto& slot = node.by_norm[norm];
        if (!slot) {
          slot = std::make_unique<NormField>();
          slot->path = node.prefix + norm;
        }
        it = node.by_raw.emplace(std::string(raw), slot.get()).first;
      }
      f = it->second;
      if (pos < node.order.size()) {
        node.order[pos] = {&it->first, f};
      } else if (pos == node.order.size() && pos < kShapeCacheKeys) {
        node.order.emplace_back(&it->first, f);
      }
    }
    if (f->stamp == object_stamp) {
      if (f->stamp_raw == raw) {
        return Status::Invalid(
            fmt::format("key '{}' appears twice in one object of table '{}' at {}:{}", raw, t.name,
                        ctx.source, ctx.line));
      }
      return Status::Invalid(
          fmt::format("keys '{}' and '{}' both normalize to column '{}' in table '{}' at {}:{}",
                      f->stamp_raw, raw, f->path, t.name, ctx.source, ctx.line));
    }
    f->stamp = object_stamp;
    f->stamp_raw = raw;
    return f;
  }

  static bool IsReserved(std::string_view name) { return name.rfind("_nilus_", 0) == 0; }

  static Status Reserved(const NormTable& t, std::string_view raw, const RowCtx& ctx) {
    return Status::Invalid(
        fmt::format("key '{}' of table '{}' at {}:{} is reserved: names starting with _nilus_ "
                    "are Nilus's linking columns",
                    raw, t.name, ctx.source, ctx.line));
  }

  NormField* ValueField(NormTable& t) {
    if (t.value_field) return t.value_field;
    auto& slot = t.node.by_norm[std::string(kValueField)];
    if (!slot) {
      slot = std::make_unique<NormField>();
      slot->path = std::string(kValueField);
      t.node.by_raw.emplace(std::string(kValueField), slot.get());
    }
    t.value_field = slot.get();
    return slot.get();
  }

  static Scalar ScalarOf(simdjson::dom::element el) {
    Scalar v;
    switch (el.type()) {
      case simdjson::dom::element_type::INT64:
        v.kind = VKind::kLong;
        v.i = el.get_int64().value_unsafe();
        break;
      case simdjson::dom::element_type::UINT64:
        v.kind = VKind::kDecimal;
        v.dec = static_cast<__int128>(el.get_uint64().value_unsafe());
        break;
      case simdjson::dom::element_type::DOUBLE:
        v.kind = VKind::kDouble;
        v.d = el.get_double().value_unsafe();
        break;
      case simdjson::dom::element_type::STRING:
        v.kind = VKind::kString;
        v.s = el.get_string().value_unsafe();
        v.parseable = true;
        break;
      case simdjson::dom::element_type::BOOL:
        v.kind = VKind::kBool;
        v.b = el.get_bool().value_unsafe();
        break;
      default:
        break;
    }
    return v;
  }

  Status PutJsonText(NormTable& t, NormField& f, simdjson::dom::element el, RowCtx& ctx,
                     int64_t row) {
    std::string text = simdjson::minify(el);
    Scalar v;
    v.kind = VKind::kString;
    v.s = text;
    return Put(t, f, v, ctx, row);
  }

  Status WalkObject(NormTable& t, NormObjectNode& node, simdjson::dom::object obj, int depth,
                    std::string_view parent_id, RowCtx& ctx, int64_t row) {
    const uint64_t my_stamp = ++stamp;
    size_t pos = 0;
    for (auto [key, val] : obj) {
      NILUS_ASSIGN_OR_RAISE(NormField * f, Lookup(t, node, key, pos++, my_stamp, ctx));
      switch (val.type()) {
        case simdjson::dom::element_type::OBJECT:
          if (depth + 1 > options.max_nesting) {
            NILUS_RETURN_NOT_OK(PutJsonText(t, *f, val, ctx, row));
          } else {
            if (!f->object) {
              f->object = std::make_unique<NormObjectNode>();
              f->object->prefix = f->path + "__";
            }
            NILUS_RETURN_NOT_OK(WalkObject(t, *f->object, val.get_object().value_unsafe(),
                                           depth + 1, parent_id, ctx, row));
          }
          break;
        case simdjson::dom::element_type::ARRAY:
          if (depth + 1 > options.max_nesting) {
            NILUS_RETURN_NOT_OK(PutJsonText(t, *f, val, ctx, row));
          } else if (ctx.pending) {
            ctx.pending->push_back({f, val.get_array().value_unsafe(), depth + 1});
          } else {
            NILUS_RETURN_NOT_OK(
                WalkList(t, *f, val.get_array().value_unsafe(), depth + 1, parent_id, ctx));
          }
          break;
        default:
          NILUS_RETURN_NOT_OK(Put(t, *f, ScalarOf(val), ctx, row));
      }
      if (ctx.drop) return Status::OK();
    }
    return Status::OK();
  }

  // Finds or creates the child table for list field f of table t; -1 when the contract
  // discards it (ctx.drop tells whether the whole row goes).
  Result<int> ChildTable(NormTable& t, NormField& f, RowCtx& ctx) {
    if (f.child_table >= 0) return f.child_table;
    std::string name = t.name + "__" + f.path;
    int ti = FindTable(name);
    if (ti < 0 || !tables[ti]->created) {
      bool known = ti >= 0 && tables[ti]->known;
      if (!known) {
        NormTable probe;
        probe.name = name;
        NILUS_ASSIGN_OR_RAISE(Action a,
                              Contract(contract.tables, "tables", probe, f.path, "(list)", ctx));
        if (a == Action::kSkipValue) {
          ++stats.values_discarded;
          return -1;
        }
        if (a == Action::kDropRow) {
          ctx.drop = true;
          return -1;
        }
      }
      if (ti < 0) {
        tables.push_back(std::make_unique<NormTable>());
        ti = static_cast<int>(tables.size()) - 1;
        tables[ti]->name = name;
        tables[ti]->name_hash = HashParts({name});
      }
      NormTable& c = *tables[ti];
      c.parent = IndexOf(t);
      if (!c.known) {
        Change(SchemaChange::Kind::kTableCreated, c, "", nullptr, nullptr,
               fmt::format("list '{}' at {}:{}", f.path, ctx.source, ctx.line));
      }
      c.created = true;
      AddLinkColumns(c, false);
    }
    f.child_table = ti;
    return ti;
  }

  int IndexOf(const NormTable& t) const {
    for (size_t i = 0; i < tables.size(); ++i) {
      if (tables[i].get() == &t) return static_cast<int>(i);
    }
    return -1;
  }

  Status WalkList(NormTable& parent, NormField& f, simdjson::dom::array arr, int depth,
                  std::string_view parent_id, RowCtx& ctx) {
    if (arr.size() == 0) return Status::OK();
    NILUS_ASSIGN_OR_RAISE(int ti, ChildTable(parent, f, ctx));
    if (ti < 0) return Status::OK();
    NormTable& c = *tables[ti];
    uint64_t parent_hash = 0;
    if (!ParseHashHex(parent_id, &parent_hash)) {
      return Status::Internal(fmt::format("bad parent id '{}'", parent_id));
    }
    int64_t idx = 0;
    char id[16];
    for (simdjson::dom::element el : arr) {
      const int64_t row = c.rows++;
      c.root_row.push_back(ctx.root_row);
      c.lines.push_back(ctx.line);
      HashToHex(ChildHash(parent_hash, c.name_hash, idx), id);
      std::string_view id_view(id, 16);
      Column* idc = c.cols[c.id_col].data.get();
      Pad(idc, row);
      idc->AppendBytes(id_view);
      Column* pc = c.cols[c.parent_col].data.get();
      Pad(pc, row);
      pc->AppendBytes(parent_id);
      Column* xc = c.cols[c.idx_col].data.get();
      Pad(xc, row);
      xc->AppendInt64(idx);
      Column* rc = c.cols[c.root_id_col].data.get();
      Pad(rc, row);
      rc->AppendBytes(ctx.root_id);
      // id_view points into `id`, which stays put until the next element: the recursion
      // below (grandchild rows) finishes before that.
      switch (el.type()) {
        case simdjson::dom::element_type::OBJECT:
          NILUS_RETURN_NOT_OK(
              WalkObject(c, c.node, el.get_object().value_unsafe(), depth, id_view, ctx, row));
          break;
        case simdjson::dom::element_type::ARRAY: {
          NormField* vf = ValueField(c);
          if (depth + 1 > options.max_nesting) {
            NILUS_RETURN_NOT_OK(PutJsonText(c, *vf, el, ctx, row));
          } else {
            NILUS_RETURN_NOT_OK(
                WalkList(c, *vf, el.get_array().value_unsafe(), depth + 1, id_view, ctx));
          }
          break;
        }
        default:
          NILUS_RETURN_NOT_OK(Put(c, *ValueField(c), ScalarOf(el), ctx, row));
      }
      if (ctx.drop) return Status::OK();
      ++idx;
    }
    return Status::OK();
  }

  // The root row's _nilus_id.
  Result<uint64_t> RootId(const RowCtx& ctx, int64_t row) {
    NormTable& r = root();
    if (pk.empty()) {
      std::string line = std::to_string(ctx.line);
      std::string s = std::to_string(seq++);
      return HashParts({options.load_id, r.name, ctx.source, line, s});
    }
    std::vector<std::string> parts;
    parts.reserve(pk.size());
    for (const auto& k : pk) {
      int c = FindColumn(r, k);
      const Column* col = c >= 0 ? r.cols[c].data.get() : nullptr;
      if (!col || col->length() <= row || col->IsNull(row)) {
        return Status::Invalid(
            fmt::format("primary key column '{}' of table '{}' has no value at {}:{}", k, r.name,
                        ctx.source, ctx.line));
      }
      parts.push_back(KeyText(*col, row));
    }
    return HashKey(r.name, parts);
  }

  static uint64_t HashKey(const std::string& table, const std::vector<std::string>& values) {
    switch (values.size()) {
      case 1:
        return HashParts({table, values[0]});
      case 2:
        return HashParts({table, values[0], values[1]});
      case 3:
        return HashParts({table, values[0], values[1], values[2]});
      default: {
        // Longer keys: the values are hashed in pairs of (length, bytes) as one part.
        std::string joined;
        for (const auto& v : values) {
          joined += std::to_string(v.size());
          joined.push_back(':');
          joined += v;
        }
        return HashParts({table, joined});
      }
    }
  }

  Status StartRow(RowCtx* ctx, std::string_view source, int64_t line, int64_t* row) {
    NormTable& r = root();
    *row = r.rows++;
    r.root_row.push_back(*row);
    r.lines.push_back(line);
    dropped_roots.push_back(false);
    ++stats.rows_in;
    ctx->source = source;
    ctx->line = line;
    ctx->root_row = *row;
    Column* lc = r.cols[r.load_col].data.get();
    Pad(lc, *row);
    lc->AppendBytes(options.load_id);
    return Status::OK();
  }

  Status FinishRootRow(RowCtx& ctx, int64_t row) {
    NormTable& r = root();
    if (!ctx.drop) {
      NILUS_ASSIGN_OR_RAISE(uint64_t hash, RootId(ctx, row));
      char id_text[16];
      HashToHex(hash, id_text);
      std::string_view id(id_text, 16);
      Column* idc = r.cols[r.id_col].data.get();
      Pad(idc, row);
      idc->AppendBytes(id);
      ctx.pending = nullptr;
      ctx.root_id = id;
      for (size_t i = 0; i < pending.size() && !ctx.drop; ++i) {
        PendingList p = pending[i];
        NILUS_RETURN_NOT_OK(WalkList(r, *p.field, p.array, p.depth, id, ctx));
      }
    }
    if (ctx.drop) {
      dropped_roots[row] = true;
      ++stats.rows_discarded;
    }
    pending.clear();
    return Status::OK();
  }

  Status NormalizeDocs(const DocumentBatch& docs) {
    NILUS_ASSIGN_OR_RAISE(bool keep, EnsureRoot(docs.source));
    if (!keep) {
      stats.rows_in += static_cast<int64_t>(docs.size());
      stats.rows_discarded += static_cast<int64_t>(docs.size());
      return Status::OK();
    }
    NormTable& r = root();
    for (size_t i = 0; i < docs.size(); ++i) {
      const auto& d = docs.docs[i];
      simdjson::dom::element el;
      bool padded = d.offset + d.length + simdjson::SIMDJSON_PADDING <= docs.buffer.size();
      auto err = parser.parse(docs.buffer.data() + d.offset, d.length, !padded).get(el);
      if (err == simdjson::NUMBER_ERROR) {
        // simdjson refuses integers beyond 64 bits; read them as doubles instead.
        if (MarkBigIntegersAsFloat(docs.DocText(i), &scratch)) {
          err = parser.parse(scratch).get(el);
        }
      }
      if (err) {
        return Status::Invalid(fmt::format("malformed JSON at {}:{}: {}", docs.source, d.line,
                                           simdjson::error_message(err)));
      }
      RowCtx ctx;
      int64_t row;
      NILUS_RETURN_NOT_OK(StartRow(&ctx, docs.source, d.line, &row));
      ctx.pending = &pending;
      if (el.type() == simdjson::dom::element_type::OBJECT) {
        NILUS_RETURN_NOT_OK(WalkObject(r, r.node, el.get_object().value_unsafe(), 0, {}, ctx, row));
      } else if (el.type() == simdjson::dom::element_type::ARRAY) {
        // A document that is not an object is stored as if it were {"value": document}.
        pending.push_back({ValueField(r), el.get_array().value_unsafe(), 1});
      } else {
        NILUS_RETURN_NOT_OK(Put(r, *ValueField(r), ScalarOf(el), ctx, row));
      }
      NILUS_RETURN_NOT_OK(FinishRootRow(ctx, row));
    }
    return Status::OK();
  }

  Status NormalizeText(const TextBatch& tb) {
    NILUS_ASSIGN_OR_RAISE(bool keep, EnsureRoot(tb.source));
    if (!keep) {
      stats.rows_in += static_cast<int64_t>(tb.rows());
      stats.rows_discarded += static_cast<int64_t>(tb.rows());
      return Status::OK();
    }
    NormTable& r = root();
    std::vector<NormField*> fields;
    const uint64_t header_stamp = ++stamp;
    RowCtx hctx;
    hctx.source = tb.source;
    hctx.line = tb.lines.empty() ? 1 : tb.lines[0];
    for (const auto& name : tb.column_names) {
      NILUS_ASSIGN_OR_RAISE(NormField * f,
                            Lookup(r, r.node, name, fields.size(), header_stamp, hctx));
      fields.push_back(f);
    }
    for (auto* f : fields) f->stamp = 0;  // the raw names' views die with the batch
    const size_t ncols = tb.column_names.size();
    for (size_t i = 0; i < tb.rows(); ++i) {
      RowCtx ctx;
      int64_t row;
      NILUS_RETURN_NOT_OK(StartRow(&ctx, tb.source, tb.lines[i], &row));
      for (size_t c = 0; c < ncols && !ctx.drop; ++c) {
        if (tb.IsNull(i, c)) continue;
        std::string_view cell = tb.Cell(i, c);
        if (cell.empty()) continue;
        Scalar v;
        v.kind = VKind::kString;
        v.s = cell;
        v.parseable = v.text_origin = v.infer = true;
        NILUS_RETURN_NOT_OK(Put(r, *fields[c], v, ctx, row));
      }
      NILUS_RETURN_NOT_OK(FinishRootRow(ctx, row));
    }
    return Status::OK();
  }

  SchemaPtr TableSchema(NormTable& t) {
    if (t.schema) return t.schema;
    std::vector<NestedField> fields;
    int32_t next = static_cast<int32_t>(t.cols.size()) + 1;
    std::vector<int32_t> identifier;
    for (size_t i = 0; i < t.cols.size(); ++i) {
      const auto& c = t.cols[i];
      TypePtr type = c.type->is_nested() ? RenumberNested(c.type, &next) : c.type;
      fields.push_back({static_cast<int32_t>(i) + 1, c.name, type, c.required, {}});
      if (IsPk(t, c.name)) identifier.push_back(static_cast<int32_t>(i) + 1);
    }
    t.schema = std::make_shared<Schema>(std::move(fields), 0, std::move(identifier));
    return t.schema;
  }

  // Moves every table's buffered rows into output batches.
  Result<NormalizeResult> Emit() {
    NormalizeResult out;
    bool any_drop = false;
    for (bool d : dropped_roots) any_drop |= d;
    for (auto& tp : tables) {
      NormTable& t = *tp;
      if (t.rows == 0) continue;
      std::vector<int64_t> keep;
      if (any_drop) {
        for (int64_t r = 0; r < t.rows; ++r) {
          if (!dropped_roots[t.root_row[r]]) keep.push_back(r);
        }
      }
      for (auto& c : t.cols) {
        Pad(c.data.get(), t.rows);
        if (!c.required || c.data->null_count() == 0) continue;
        for (int64_t r = 0; r < t.rows; ++r) {
          if (c.data->IsNull(r) && !dropped_roots[t.root_row[r]]) {
            return Status::Invalid(
                fmt::format("required column '{}' of table '{}' has no value in the row at line {}",
                            c.name, t.name, t.lines[r]));
          }
        }
      }
      SchemaPtr schema = TableSchema(t);
      auto batch = std::make_unique<ColumnBatch>(schema);
      for (size_t i = 0; i < t.cols.size(); ++i) {
        *batch->mutable_column(static_cast<int>(i)) = std::move(*t.cols[i].data);
        t.cols[i].data = Column::Make(t.cols[i].type);
        t.cols[i].settled = true;
        // The next input is likely the same size: reserve so the builders do not regrow.
        const Column& emitted = batch->column(static_cast<int>(i));
        const TypeId id = emitted.type()->id();
        const bool bytes = id == TypeId::kString || id == TypeId::kBinary;
        t.cols[i].data->Reserve(emitted.length(),
                                bytes ? static_cast<int64_t>(emitted.value_buffer().size()) : 0);
      }
      if (any_drop && keep.size() != static_cast<size_t>(t.rows)) {
        NILUS_ASSIGN_OR_RAISE(batch, TakeRows(*batch, keep));
      }
      t.rows = 0;
      t.root_row.clear();
      t.lines.clear();
      if (batch->num_rows() == 0) continue;
      stats.rows_out[t.name] += batch->num_rows();
      NormalizedBatch nb;
      nb.table = t.name;
      if (t.parent >= 0) nb.parent_table = tables[t.parent]->name;
      nb.schema = schema;
      nb.batch = std::move(batch);
      out.batches.push_back(std::move(nb));
    }
    dropped_roots.clear();
    out.changes = std::move(changes);
    changes.clear();
    return out;
  }

  Status NormalizeTyped(std::unique_ptr<ColumnBatch> in, std::string_view source,
                        NormalizeResult* out);
};

// ---------------------------------------------------------------------------------------------

Status Normalizer::Impl::NormalizeTyped(std::unique_ptr<ColumnBatch> in, std::string_view source,
                                        NormalizeResult* out) {
  const int64_t n = in->num_rows();
  NILUS_ASSIGN_OR_RAISE(bool root_ok, EnsureRoot(source));
  stats.rows_in += n;
  if (!root_ok) {
    stats.rows_discarded += n;
    out->changes = std::move(changes);
    changes.clear();
    return Status::OK();
  }
  NormTable& r = root();
  RowCtx ctx;
  ctx.source = source;
  std::vector<bool> drop(static_cast<size_t>(n), false);
  std::vector<std::unique_ptr<Column>> placed;  // by root column index
  auto place = [&](int c, std::unique_ptr<Column> col) {
    if (placed.size() < r.cols.size()) placed.resize(r.cols.size());
    placed[c] = std::move(col);
  };
  auto first_value = [&](const Column& col, int64_t* at) {
    for (int64_t i = 0; i < col.length(); ++i) {
      if (col.IsValid(i)) {
        *at = i;
        std::string s = KeyText(col, i);
        return s.size() > kMaxValueInMessage ? s.substr(0, kMaxValueInMessage) + "..." : s;
      }
    }
    *at = 0;
    return std::string("null");
  };
  auto apply_drop = [&](Action a, const Column& col) {
    for (int64_t i = 0; i < n; ++i) {
      if (col.IsValid(i)) {
        if (a == Action::kDropRow) {
          drop[i] = true;
        } else {
          ++stats.values_discarded;
        }
      }
    }
  };

  std::unordered_map<std::string, std::string> seen;  // normalized -> original
  const auto& fields = in->schema()->fields();
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string norm = NormalizeIdentifier(fields[i].name);
    if (IsReserved(norm)) return Reserved(r, fields[i].name, ctx);
    auto [it, fresh] = seen.emplace(norm, fields[i].name);
    if (!fresh) {
      return Status::Invalid(
          fmt::format("columns '{}' and '{}' both normalize to column '{}' in table '{}' ({})",
                      it->second, fields[i].name, norm, r.name, source));
    }
    auto src = std::make_unique<Column>(std::move(*in->mutable_column(static_cast<int>(i))));
    const ColumnHint* hint = FindHint(r, norm);
    if (hint && hint->type && !hint->type->Equals(*src->type())) {
      if (!CanConvert(*src->type(), *hint->type)) {
        return Status::NotImplemented(
            fmt::format("hint type {} for column '{}' of table '{}': the source gives {}",
                        hint->type->ToString(), norm, r.name, src->type()->ToString()));
      }
      NILUS_ASSIGN_OR_RAISE(src, ConvertColumn(*src, hint->type));
    }
    int64_t at = 0;
    int c = FindColumn(r, norm);
    if (c < 0) {
      if (r.known) {
        std::string v = first_value(*src, &at);
        ctx.line = at + 1;
        NILUS_ASSIGN_OR_RAISE(Action a, Contract(contract.columns, "columns", r, norm, v, ctx));
        if (a != Action::kApply) {
          apply_drop(a, *src);
          continue;
        }
      }
      bool required =
          IsPk(r, norm) || (hint && hint->nullable == false) || (!r.known && fields[i].required);
      c = AddColumn(r, norm, src->type(), required, hint && hint->type);
      Change(SchemaChange::Kind::kColumnAdded, r, norm, nullptr, src->type(),
             fmt::format("source column '{}' of {}", fields[i].name, source));
      place(c, std::move(src));
      continue;
    }
    NormColumn& col = r.cols[c];
    if (col.type->EqualsIgnoringIds(*src->type())) {
      place(c, std::move(src));
      continue;
    }
    if (FitsWithoutLoss(*src->type(), *col.type)) {
      // A narrower source type fits the column as it is.
      NILUS_ASSIGN_OR_RAISE(auto converted, ConvertColumn(*src, col.type));
      place(c, std::move(converted));
      continue;
    }
    std::string v = first_value(*src, &at);
    ctx.line = at + 1;
    NILUS_ASSIGN_OR_RAISE(Action a, Contract(contract.data_type, "data_type", r, norm, v, ctx));
    if (a != Action::kApply) {
      apply_drop(a, *src);
      continue;
    }
    std::string reason = fmt::format("source column '{}' of {} has type {}", fields[i].name, source,
                                     src->type()->ToString());
    if (!col.hinted && IcebergPromotable(*col.type, *src->type())) {
      Change(SchemaChange::Kind::kColumnWidened, r, norm, col.type, src->type(), std::move(reason));
      col.type = src->type();
      col.data = Column::Make(col.type);
      r.schema.reset();
      place(c, std::move(src));
      continue;
    }
    std::string vname = norm + "__v_" + std::string(TypeKindName(*src->type()));
    int vc = FindColumn(r, vname);
    if (vc >= 0 && !r.cols[vc].type->EqualsIgnoringIds(*src->type())) {
      return Status::TypeError(
          fmt::format("variant column '{}' of table '{}' has type {}, the source gives {}", vname,
                      r.name, r.cols[vc].type->ToString(), src->type()->ToString()));
    }
    if (vc < 0) {
      vc = AddColumn(r, vname, src->type(), false, false);
      Change(SchemaChange::Kind::kVariantAdded, r, vname, nullptr, src->type(), std::move(reason));
    }
    stats.variant_values += src->length() - src->null_count();
    place(vc, std::move(src));
  }
  placed.resize(r.cols.size());

  // Linking columns and columns this batch does not have.
  for (size_t c = 0; c < r.cols.size(); ++c) {
    if (placed[c]) continue;
    auto col = Column::Make(r.cols[c].type);
    if (static_cast<int>(c) == r.load_col) {
      for (int64_t i = 0; i < n; ++i) col->AppendBytes(options.load_id);
    } else if (static_cast<int>(c) != r.id_col) {
      for (int64_t i = 0; i < n; ++i) col->AppendNull();
    }
    placed[c] = std::move(col);
  }
  Column* idc = placed[r.id_col].get();
  std::vector<std::string> key(pk.size());
  std::vector<const Column*> key_cols;
  for (const auto& k : pk) {
    int c = FindColumn(r, k);
    if (c < 0) {
      return Status::Invalid(
          fmt::format("primary key column '{}' is not in table '{}' ({})", k, r.name, source));
    }
    key_cols.push_back(placed[c].get());
  }
  std::string src_text(source);
  for (int64_t i = 0; i < n; ++i) {
    if (pk.empty()) {
      std::string s = std::to_string(seq++);
      std::string pos = std::to_string(i + 1);
      idc->AppendBytes(HashToHex(HashParts({options.load_id, r.name, src_text, pos, s})));
      continue;
    }
    bool ok = true;
    for (size_t k = 0; k < key_cols.size(); ++k) {
      if (key_cols[k]->IsNull(i)) {
        ok = false;
        if (!drop[i]) {
          return Status::Invalid(
              fmt::format("primary key column '{}' of table '{}' has no value in row {} of {}",
                          pk[k], r.name, i + 1, source));
        }
        break;
      }
      key[k] = KeyText(*key_cols[k], i);
    }
    idc->AppendBytes(ok ? HashToHex(HashKey(r.name, key)) : std::string(16, '0'));
  }

  SchemaPtr schema = TableSchema(r);
  auto batch = std::make_unique<ColumnBatch>(schema);
  for (size_t c = 0; c < r.cols.size(); ++c) {
    r.cols[c].settled = true;
    *batch->mutable_column(static_cast<int>(c)) = std::move(*placed[c]);
  }
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < n; ++i) {
    if (!drop[i]) keep.push_back(i);
  }
  stats.rows_discarded += n - static_cast<int64_t>(keep.size());
  if (keep.size() != static_cast<size_t>(n)) {
    NILUS_ASSIGN_OR_RAISE(batch, TakeRows(*batch, keep));
  }
  for (size_t c = 0; c < r.cols.size(); ++c) {
    const Column& col = batch->column(static_cast<int>(c));
    if (r.cols[c].required && col.null_count() > 0) {
      for (int64_t i = 0; i < col.length(); ++i) {
        if (col.IsNull(i)) {
          return Status::Invalid(
              fmt::format("required column '{}' of table '{}' has no value in row {} of {}",
                          r.cols[c].name, r.name, keep[i] + 1, source));
        }
      }
    }
  }
  out->changes = std::move(changes);
  changes.clear();
  if (batch->num_rows() > 0) {
    stats.rows_out[r.name] += batch->num_rows();
    NormalizedBatch nb;
    nb.table = r.name;
    nb.schema = schema;
    nb.batch = std::move(batch);
    out->batches.push_back(std::move(nb));
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------------------------

std::string_view ContractModeName(ContractMode mode) {
  switch (mode) {
    case ContractMode::kEvolve:
      return "evolve";
    case ContractMode::kFreeze:
      return "freeze";
    case ContractMode::kDiscardRow:
      return "discard_row";
    case ContractMode::kDiscardValue:
      return "discard_value";
  }
  return "?";
}

Result<ContractMode> ParseContractMode(std::string_view name) {
  for (auto m : {ContractMode::kEvolve, ContractMode::kFreeze, ContractMode::kDiscardRow,
                 ContractMode::kDiscardValue}) {
    if (ContractModeName(m) == name) return m;
  }
  return Status::Invalid(
      fmt::format("unknown schema contract mode '{}' (expected evolve, freeze, discard_row or "
                  "discard_value)",
                  name));
}

std::string SchemaChange::ToString() const {
  switch (kind) {
    case Kind::kTableCreated:
      return fmt::format("table {} created ({})", table, reason);
    case Kind::kColumnAdded:
      return fmt::format("column {}.{} added as {} ({})", table, column, new_type->ToString(),
                         reason);
    case Kind::kColumnWidened:
      return fmt::format("column {}.{} widened from {} to {} ({})", table, column,
                         old_type->ToString(), new_type->ToString(), reason);
    case Kind::kVariantAdded:
      return fmt::format("variant column {}.{} added as {} ({})", table, column,
                         new_type->ToString(), reason);
  }
  return {};
}

Normalizer::Normalizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Normalizer::~Normalizer() = default;

Result<std::unique_ptr<Normalizer>> Normalizer::Make(NormalizerOptions options) {
  if (options.max_nesting < 0) return Status::Invalid("max_nesting must be >= 0");
  if (options.table.empty()) return Status::Invalid("the normalizer needs a table name");
  auto impl = std::make_unique<Impl>();
  impl->contract = options.hints.contract.value_or(options.contract);
  for (const auto& k : options.hints.primary_key) impl->pk.push_back(NormalizeIdentifier(k));
  for (const auto& [name, hint] : options.hints.columns) {
    if (hint.type && hint.type->is_nested()) {
      return Status::NotImplemented(
          fmt::format("hint for column '{}': nested hint types are not supported", name));
    }
    impl->hints[NormalizeIdentifier(name)] = hint;
  }
  auto root = std::make_unique<NormTable>();
  root->name = NormalizeIdentifier(options.table);
  root->name_hash = HashParts({root->name});
  impl->tables.push_back(std::move(root));
  impl->options = std::move(options);
  return std::unique_ptr<Normalizer>(new Normalizer(std::move(impl)));
}

Status Normalizer::AddKnownTable(std::string_view table, const Schema& schema) {
  Impl& m = *impl_;
  int ti = m.FindTable(table);
  if (ti < 0) {
    m.tables.push_back(std::make_unique<NormTable>());
    ti = static_cast<int>(m.tables.size()) - 1;
    m.tables[ti]->name = std::string(table);
    m.tables[ti]->name_hash = HashParts({table});
  }
  NormTable& t = *m.tables[ti];
  if (t.created || t.rows > 0) {
    return Status::Invalid(fmt::format("table '{}' is already in use", table));
  }
  t.known = true;
  for (const auto& f : schema.fields()) {
    if (Impl::FindColumn(t, f.name) >= 0) continue;
    int c = m.AddColumn(t, f.name, f.type, f.required, false);
    t.cols[c].settled = true;
    if (ti == 0 && m.hints.count(f.name)) t.cols[c].hinted = true;
  }
  return Status::OK();
}

Result<NormalizeResult> Normalizer::Normalize(const DocumentBatch& docs) {
  NILUS_RETURN_NOT_OK(impl_->NormalizeDocs(docs));
  return impl_->Emit();
}

Result<NormalizeResult> Normalizer::Normalize(const TextBatch& rows) {
  NILUS_RETURN_NOT_OK(impl_->NormalizeText(rows));
  return impl_->Emit();
}

Result<NormalizeResult> Normalizer::Normalize(std::unique_ptr<ColumnBatch> batch,
                                              std::string_view source) {
  NormalizeResult out;
  NILUS_RETURN_NOT_OK(impl_->NormalizeTyped(std::move(batch), source, &out));
  return out;
}

const std::string& Normalizer::table_name() const { return impl_->tables[0]->name; }

std::vector<std::string> Normalizer::TableNames() const {
  std::vector<std::string> out;
  for (const auto& t : impl_->tables) out.push_back(t->name);
  return out;
}

SchemaPtr Normalizer::CurrentSchema(std::string_view table) const {
  int ti = impl_->FindTable(table);
  if (ti < 0) return nullptr;
  return impl_->TableSchema(*impl_->tables[ti]);
}

const NormalizeStats& Normalizer::stats() const { return impl_->stats; }

}  // namespace nilus::normalize
