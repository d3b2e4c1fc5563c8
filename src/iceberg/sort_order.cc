#include "iceberg/sort_order.h"

#include <fmt/format.h>

#include "iceberg/metadata_json_internal.h"

namespace nilus::iceberg {

std::string_view SortDirectionName(SortDirection d) {
  return d == SortDirection::kAsc ? "asc" : "desc";
}

std::string_view NullOrderName(NullOrder n) {
  return n == NullOrder::kNullsFirst ? "nulls-first" : "nulls-last";
}

Status SortOrder::Validate(const Schema& schema) const {
  if (fields.empty() && order_id != 0) {
    return Status::Invalid(fmt::format("sort order {} has no fields (only order 0 may)", order_id));
  }
  if (!fields.empty() && order_id == 0) {
    return Status::Invalid("sort order id 0 is reserved for the unsorted order");
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    const SortField& f = fields[i];
    const NestedField* source = schema.FindFieldById(f.source_id);
    if (source == nullptr) {
      return Status::Invalid(fmt::format(
          "sort order {} field {}: source id {} is not in the schema", order_id, i, f.source_id));
    }
    auto type = f.transform.ResultType(*source->type);
    if (!type.ok()) {
      return type.status().WithContext(fmt::format("sort order {} field {}", order_id, i));
    }
  }
  return Status::OK();
}

namespace json_internal {

Json SortOrderToJsonValue(const SortOrder& order) {
  Json out = Json::object();
  out["order-id"] = order.order_id;
  Json fields = Json::array();
  for (const auto& f : order.fields) {
    Json jf = Json::object();
    jf["transform"] = f.transform.ToString();
    jf["source-id"] = f.source_id;
    jf["direction"] = SortDirectionName(f.direction);
    jf["null-order"] = NullOrderName(f.null_order);
    fields.push_back(std::move(jf));
  }
  out["fields"] = std::move(fields);
  return out;
}

Result<SortOrder> SortOrderFromJsonValue(const Json& v, std::string_view path) {
  SortOrder order;
  NILUS_ASSIGN_OR_RAISE(order.order_id, GetInt(v, "order-id", path));
  NILUS_ASSIGN_OR_RAISE(const Json* fields, GetArray(v, "fields", path, false));
  const std::string fields_path = Child(path, "fields");
  for (size_t i = 0; i < fields->size(); ++i) {
    const Json& jf = (*fields)[i];
    const std::string where = Index(fields_path, i);
    SortField f;
    NILUS_ASSIGN_OR_RAISE(std::string transform, GetString(jf, "transform", where));
    auto parsed = Transform::Parse(transform);
    if (!parsed.ok()) return FieldError(Child(where, "transform"), parsed.status().message());
    f.transform = parsed.MoveValue();
    NILUS_ASSIGN_OR_RAISE(f.source_id, GetInt(jf, "source-id", where));
    NILUS_ASSIGN_OR_RAISE(std::string direction, GetString(jf, "direction", where));
    if (direction == "asc") {
      f.direction = SortDirection::kAsc;
    } else if (direction == "desc") {
      f.direction = SortDirection::kDesc;
    } else {
      return FieldError(Child(where, "direction"),
                        fmt::format("expected \"asc\" or \"desc\", found \"{}\"", direction));
    }
    NILUS_ASSIGN_OR_RAISE(std::string nulls, GetString(jf, "null-order", where));
    if (nulls == "nulls-first") {
      f.null_order = NullOrder::kNullsFirst;
    } else if (nulls == "nulls-last") {
      f.null_order = NullOrder::kNullsLast;
    } else {
      return FieldError(
          Child(where, "null-order"),
          fmt::format("expected \"nulls-first\" or \"nulls-last\", found \"{}\"", nulls));
    }
    order.fields.push_back(std::move(f));
  }
  return order;
}

}  // namespace json_internal

std::string SortOrderToJson(const SortOrder& order) {
  return json_internal::SortOrderToJsonValue(order).dump();
}

Result<SortOrder> SortOrderFromJson(std::string_view json) {
  NILUS_ASSIGN_OR_RAISE(auto v, json_internal::Parse(json));
  return json_internal::SortOrderFromJsonValue(v, "");
}

}  // namespace nilus::iceberg
