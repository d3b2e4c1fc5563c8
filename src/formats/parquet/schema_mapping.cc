#include "formats/parquet/schema_mapping.h"

#include <fmt/format.h>

namespace nilus::parquet {

int DecimalFixedLength(int precision) {
  // The smallest n with 2^(8n-1) > 10^precision - 1.
  __int128 max = MaxDecimalUnscaled(precision);
  int n = 1;
  while (n < 16 && (static_cast<__int128>(1) << (8 * n - 1)) <= max) ++n;
  return n;
}

namespace {

// Fills a primitive element's physical, logical and converted types.
void MapPrimitive(const Type& t, SchemaElement* e, LeafColumn* leaf) {
  LogicalType lt;
  auto set_physical = [&](PhysicalType p) {
    e->type = p;
    leaf->physical = p;
  };
  switch (t.id()) {
    case TypeId::kBoolean:
      set_physical(PhysicalType::kBoolean);
      break;
    case TypeId::kInt:
      set_physical(PhysicalType::kInt32);
      break;
    case TypeId::kLong:
      set_physical(PhysicalType::kInt64);
      break;
    case TypeId::kFloat:
      set_physical(PhysicalType::kFloat);
      break;
    case TypeId::kDouble:
      set_physical(PhysicalType::kDouble);
      break;
    case TypeId::kDecimal:
      if (t.precision() <= 9) {
        set_physical(PhysicalType::kInt32);
      } else if (t.precision() <= 18) {
        set_physical(PhysicalType::kInt64);
      } else {
        set_physical(PhysicalType::kFixedLenByteArray);
        e->type_length = leaf->type_length = DecimalFixedLength(t.precision());
      }
      e->converted_type = ConvertedType::kDecimal;
      e->scale = t.scale();
      e->precision = t.precision();
      lt.kind = LogicalType::kDecimal;
      lt.decimal_scale = t.scale();
      lt.decimal_precision = t.precision();
      e->logical_type = lt;
      break;
    case TypeId::kDate:
      set_physical(PhysicalType::kInt32);
      e->converted_type = ConvertedType::kDate;
      lt.kind = LogicalType::kDate;
      e->logical_type = lt;
      break;
    case TypeId::kTime:
      set_physical(PhysicalType::kInt64);
      e->converted_type = ConvertedType::kTimeMicros;
      lt.kind = LogicalType::kTime;
      lt.is_adjusted_to_utc = false;
      lt.unit = TimeUnit::kMicros;
      e->logical_type = lt;
      break;
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      set_physical(PhysicalType::kInt64);
      e->converted_type = ConvertedType::kTimestampMicros;
      lt.kind = LogicalType::kTimestamp;
      lt.is_adjusted_to_utc = t.id() == TypeId::kTimestampTz;
      lt.unit = TimeUnit::kMicros;
      e->logical_type = lt;
      break;
    case TypeId::kString:
      set_physical(PhysicalType::kByteArray);
      e->converted_type = ConvertedType::kUtf8;
      lt.kind = LogicalType::kString;
      e->logical_type = lt;
      break;
    case TypeId::kUuid:
      set_physical(PhysicalType::kFixedLenByteArray);
      e->type_length = leaf->type_length = 16;
      lt.kind = LogicalType::kUuid;
      e->logical_type = lt;
      break;
    case TypeId::kFixed:
      set_physical(PhysicalType::kFixedLenByteArray);
      e->type_length = leaf->type_length = t.fixed_length();
      break;
    case TypeId::kBinary:
      set_physical(PhysicalType::kByteArray);
      break;
    default:
      break;
  }
}

class Mapper {
 public:
  explicit Mapper(ParquetSchema* out) : out_(out) {}

  // Appends the elements of `field` (and its subtree) and the leaves below it.
  void MapField(const NestedField& field, std::vector<LeafStep> steps,
                std::vector<std::string> path, int16_t def, int16_t rep, int top) {
    const Type& t = *field.type;
    SchemaElement e;
    e.name = field.name;
    e.field_id = field.id;
    e.repetition_type = field.required ? Repetition::kRequired : Repetition::kOptional;
    path.push_back(field.name);
    if (!field.required) ++def;
    LeafStep step{t.id(), !field.required, 0, 0, field.name};

    switch (t.id()) {
      case TypeId::kStruct: {
        e.num_children = static_cast<int32_t>(t.fields().size());
        out_->elements.push_back(e);
        for (size_t i = 0; i < t.fields().size(); ++i) {
          step.child = static_cast<int>(i);
          auto s = steps;
          s.push_back(step);
          MapField(t.fields()[i], std::move(s), path, def, rep, top);
        }
        return;
      }
      case TypeId::kList:
      case TypeId::kMap: {
        bool is_list = t.id() == TypeId::kList;
        e.num_children = 1;
        e.converted_type = is_list ? ConvertedType::kList : ConvertedType::kMap;
        LogicalType lt;
        lt.kind = is_list ? LogicalType::kList : LogicalType::kMap;
        e.logical_type = lt;
        out_->elements.push_back(e);
        // The repeated group: "list" or "key_value". It has no field id in Iceberg.
        SchemaElement group;
        group.name = is_list ? "list" : "key_value";
        group.repetition_type = Repetition::kRepeated;
        group.num_children = is_list ? 1 : 2;
        out_->elements.push_back(group);
        path.push_back(group.name);
        step.rep_level = static_cast<int16_t>(rep + 1);
        for (size_t i = 0; i < t.fields().size(); ++i) {
          step.child = static_cast<int>(i);
          auto s = steps;
          s.push_back(step);
          MapField(t.fields()[i], std::move(s), path, static_cast<int16_t>(def + 1),
                   static_cast<int16_t>(rep + 1), top);
        }
        return;
      }
      default: {
        LeafColumn leaf;
        MapPrimitive(t, &e, &leaf);
        out_->elements.push_back(e);
        steps.push_back(step);
        leaf.top_level_index = top;
        leaf.steps = std::move(steps);
        leaf.max_def = def;
        leaf.max_rep = rep;
        leaf.type = field.type;
        leaf.field_id = field.id;
        leaf.path_in_schema = path;
        leaf.dotted_path = fmt::format("{}", fmt::join(path, "."));
        out_->leaves.push_back(std::move(leaf));
        return;
      }
    }
  }

 private:
  ParquetSchema* out_;
};

}  // namespace

Result<ParquetSchema> MapSchema(const Schema& schema) {
  NILUS_RETURN_NOT_OK(schema.Validate());
  ParquetSchema out;
  SchemaElement root;
  root.name = "table";
  root.num_children = static_cast<int32_t>(schema.fields().size());
  out.elements.push_back(root);
  Mapper mapper(&out);
  for (size_t i = 0; i < schema.fields().size(); ++i) {
    mapper.MapField(schema.fields()[i], {}, {}, 0, 0, static_cast<int>(i));
  }
  return out;
}

}  // namespace nilus::parquet
