// Maps an Iceberg schema to a Parquet schema (Iceberg spec, "Parquet" appendix) and describes
// every leaf column: its path through the nested ColumnBatch columns and its levels.
// Internal to the Parquet writer.
#pragma once

#include <string>
#include <vector>

#include "core/schema.h"
#include "formats/parquet/parquet_metadata.h"

namespace nilus::parquet {

// One node on the way from a top-level column down to a leaf.
struct LeafStep {
  TypeId kind;            // the Iceberg type id of the column at this depth
  bool optional;          // the field at this depth may be null (adds a definition level)
  int child = 0;          // which child to descend into (struct field, 0 for list, 0/1 for map)
  int16_t rep_level = 0;  // list/map only: the repetition level of its repeated group
  std::string name;       // the field's name, for error messages
};

struct LeafColumn {
  int top_level_index = 0;      // index of the top-level column in the batch
  std::vector<LeafStep> steps;  // from the top-level column down to the leaf itself
  int16_t max_def = 0;
  int16_t max_rep = 0;
  TypePtr type;  // the leaf's Iceberg type
  int32_t field_id = 0;
  PhysicalType physical = PhysicalType::kInt32;
  int32_t type_length = 0;  // FIXED_LEN_BYTE_ARRAY only
  std::vector<std::string> path_in_schema;
  std::string dotted_path;
};

struct ParquetSchema {
  std::vector<SchemaElement> elements;  // depth-first, root first
  std::vector<LeafColumn> leaves;
};

// Bytes of the minimal two's-complement representation of any decimal of this precision.
int DecimalFixedLength(int precision);

Result<ParquetSchema> MapSchema(const Schema& schema);

}  // namespace nilus::parquet
