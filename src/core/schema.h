// An Iceberg schema: a list of top-level fields with unique field ids.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/types.h"

namespace nilus {

class Schema {
 public:
  Schema(std::vector<NestedField> fields, int32_t schema_id = 0,
         std::vector<int32_t> identifier_field_ids = {});

  // Checks that field ids are positive and unique at every depth, that names are unique within
  // each struct, and that map keys are required primitives or structs.
  Status Validate() const;

  int32_t schema_id() const { return schema_id_; }
  const std::vector<NestedField>& fields() const { return fields_; }
  const std::vector<int32_t>& identifier_field_ids() const { return identifier_field_ids_; }

  // Searches every depth. nullptr when absent.
  const NestedField* FindFieldById(int32_t id) const;
  // Top-level fields only; -1 when absent.
  int FindTopLevelIndex(std::string_view name) const;
  // The largest field id at any depth (0 for an empty schema).
  int32_t HighestFieldId() const;

  std::string ToString() const;
  bool Equals(const Schema& other) const;

 private:
  std::vector<NestedField> fields_;
  int32_t schema_id_;
  std::vector<int32_t> identifier_field_ids_;
};

using SchemaPtr = std::shared_ptr<const Schema>;

}  // namespace nilus
