// Partition specs: how partition values are derived from source columns (spec "Partitioning").
//
// A Transform here is only a descriptor: its kind, its parameter, parsing from and printing to
// the spec's strings ("identity", "bucket[16]", "truncate[10]", ...), and which source types it
// accepts. Applying a transform to values lives in iceberg/transforms.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/schema.h"

namespace nilus::iceberg {

enum class TransformKind : uint8_t {
  kIdentity,
  kYear,
  kMonth,
  kDay,
  kHour,
  kBucket,    // parameter: the number of buckets N > 0
  kTruncate,  // parameter: the width W > 0
  kVoid,      // always null
};

class Transform {
 public:
  static Transform Identity() { return Transform(TransformKind::kIdentity, 0); }
  static Transform Year() { return Transform(TransformKind::kYear, 0); }
  static Transform Month() { return Transform(TransformKind::kMonth, 0); }
  static Transform Day() { return Transform(TransformKind::kDay, 0); }
  static Transform Hour() { return Transform(TransformKind::kHour, 0); }
  static Transform Void() { return Transform(TransformKind::kVoid, 0); }
  // InvalidArgument unless num_buckets > 0.
  static Result<Transform> Bucket(int32_t num_buckets);
  // InvalidArgument unless width > 0.
  static Result<Transform> Truncate(int32_t width);

  // Parses the spec's spelling. InvalidArgument naming the text for an unknown transform or a
  // bad parameter ("bucket[0]", "truncate[x]").
  static Result<Transform> Parse(std::string_view text);

  TransformKind kind() const { return kind_; }
  // N for bucket, W for truncate, 0 otherwise.
  int32_t param() const { return param_; }

  // "identity", "bucket[16]", ...: what Parse accepts and metadata stores.
  std::string ToString() const;

  // The type of the partition value for a source column of type `source`: the source type for
  // identity, truncate and void; int for bucket, year, month and hour; date for day (as Java and
  // PyIceberg do; stored as an int of days). TypeError when the transform cannot apply to the
  // source type (e.g. hour of a date, bucket of a double, any transform but void of a nested
  // type).
  Result<TypePtr> ResultType(const Type& source) const;

  // Whether values ordered by the source stay ordered by the result (all but bucket and void).
  bool PreservesOrder() const;

  bool operator==(const Transform& other) const {
    return kind_ == other.kind_ && param_ == other.param_;
  }
  bool operator!=(const Transform& other) const { return !(*this == other); }

 private:
  Transform(TransformKind kind, int32_t param) : kind_(kind), param_(param) {}

  TransformKind kind_;
  int32_t param_;
};

// The first partition field id Iceberg assigns; an unpartitioned table has last-partition-id
// kPartitionDataIdStart - 1.
inline constexpr int32_t kPartitionDataIdStart = 1000;

struct PartitionField {
  int32_t source_id = 0;  // the source column's field id in the table schema
  int32_t field_id = 0;   // the partition field's own id, 1000 and up, unique in the table
  std::string name;
  Transform transform = Transform::Identity();

  bool operator==(const PartitionField& o) const {
    return source_id == o.source_id && field_id == o.field_id && name == o.name &&
           transform == o.transform;
  }
};

struct PartitionSpec {
  int32_t spec_id = 0;
  std::vector<PartitionField> fields;

  static PartitionSpec Unpartitioned() { return PartitionSpec{}; }

  // True when there are no fields or every field is void.
  bool IsUnpartitioned() const;
  // The highest field id, or kPartitionDataIdStart - 1 when there are no fields.
  int32_t LastAssignedFieldId() const;

  // Checks the spec against `schema`: every source id names a primitive column whose type the
  // transform accepts, field ids are unique and >= 1000, names are non-empty and unique.
  // InvalidArgument or TypeError naming the partition field.
  Status Validate(const Schema& schema) const;

  // The partition tuple's type: a struct of optional fields (field id, name, result type), in
  // spec order. What manifests store as the `partition` struct. Fails as Validate does.
  Result<TypePtr> PartitionType(const Schema& schema) const;

  bool operator==(const PartitionSpec& o) const {
    return spec_id == o.spec_id && fields == o.fields;
  }
};

// Compact JSON: {"spec-id": 0, "fields": [...]}.
std::string PartitionSpecToJson(const PartitionSpec& spec);
// Compact JSON of the field list alone, what manifests store under "partition-spec".
std::string PartitionFieldsToJson(const PartitionSpec& spec);
// Corruption naming the field for malformed input; an unknown transform is named too.
Result<PartitionSpec> PartitionSpecFromJson(std::string_view json);

}  // namespace nilus::iceberg
