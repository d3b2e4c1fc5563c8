// Expected-values JSON for the interop checkers, built from the in-memory ColumnBatch (never
// from the Parquet writer or its output), plus helpers to write a file and its JSON.
//
// Canonical value encoding, shared with tests/interop/lib/canon.mjs:
//   boolean -> true/false           int, date -> number (days for date)
//   long, time, timestamp, timestamptz -> decimal string of the integer (micros)
//   float, double -> string: "NaN", "Infinity", "-Infinity", "-0", or %.17g of the value
//   decimal -> string with exactly `scale` fractional digits, e.g. "-1.50"
//   string -> the string          uuid, fixed, binary -> lower-case hex
//   list -> array                 map -> array of [key, value] pairs, in order
//   struct -> object keyed by field name          null -> null
// The schema is written in the Iceberg JSON schema form (ids, required, nested types).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/column_batch.h"
#include "core/schema.h"
#include "formats/parquet/writer.h"
#include "storage/file_io.h"

namespace nilus::interop {

using Json = nlohmann::ordered_json;

Json TypeToJson(const Type& type);
Json SchemaToJson(const Schema& schema);
// Entry `row` of `column`, in the canonical encoding.
Json ValueToJson(const Column& column, int64_t row);
// The writer's options, for the metadata checks.
Json OptionsToJson(const parquet::ParquetWriterOptions& options);
// What the writer reported at Close() (kept apart from the expected values).
Json MetricsToJson(const parquet::ParquetFileMetrics& metrics);

// One zoo or random file: its batches, writer options and what the checkers should verify.
struct FileSpec {
  std::string name;  // file name without extension
  SchemaPtr schema;
  std::vector<std::shared_ptr<ColumnBatch>> batches;  // written in order
  parquet::ParquetWriterOptions options;
  Json checks = Json::object();  // extra expectations for the metadata checker
};

// Writes `<dir>/<name>.parquet` with ParquetWriter and `<dir>/<name>.expected.json` holding
// the schema, the options, `checks`, the expected values (column-wise, from the batches) and
// the writer's metrics.
Status WriteFileAndExpected(FileIO* io, const std::string& dir, const FileSpec& spec);

}  // namespace nilus::interop
