// Sort orders (spec "Sorting"): how writers should order rows within data files. Readers do not
// rely on them; Nilus records them so other engines see the order a table asks for.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/schema.h"
#include "iceberg/partition_spec.h"

namespace nilus::iceberg {

enum class SortDirection : uint8_t { kAsc, kDesc };
enum class NullOrder : uint8_t { kNullsFirst, kNullsLast };

struct SortField {
  Transform transform = Transform::Identity();
  int32_t source_id = 0;
  SortDirection direction = SortDirection::kAsc;
  NullOrder null_order = NullOrder::kNullsFirst;

  bool operator==(const SortField& o) const {
    return transform == o.transform && source_id == o.source_id && direction == o.direction &&
           null_order == o.null_order;
  }
};

struct SortOrder {
  // Order id 0 is reserved for the unsorted order.
  int32_t order_id = 0;
  std::vector<SortField> fields;

  static SortOrder Unsorted() { return SortOrder{}; }
  bool IsUnsorted() const { return fields.empty(); }

  // Every source id names a column of `schema` whose type the transform accepts, and the
  // unsorted order (no fields) has id 0 while a sorted one does not. InvalidArgument or
  // TypeError naming the sort field.
  Status Validate(const Schema& schema) const;

  bool operator==(const SortOrder& o) const { return order_id == o.order_id && fields == o.fields; }
};

// "asc"/"desc" and "nulls-first"/"nulls-last", the spec's spellings.
std::string_view SortDirectionName(SortDirection d);
std::string_view NullOrderName(NullOrder n);

// Compact JSON: {"order-id": 1, "fields": [...]}.
std::string SortOrderToJson(const SortOrder& order);
Result<SortOrder> SortOrderFromJson(std::string_view json);

}  // namespace nilus::iceberg
