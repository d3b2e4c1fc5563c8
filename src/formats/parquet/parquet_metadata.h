// The Parquet file metadata, as plain structs mirroring parquet.thrift (the subset Nilus
// writes and reads). Serialization to and from the Thrift compact protocol lives in
// metadata_serde.h. Field numbers in comments are the Thrift field ids.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/buffer.h"
#include "core/result.h"

namespace nilus::parquet {

enum class PhysicalType : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};

enum class ConvertedType : int32_t {
  kUtf8 = 0,
  kMap = 1,
  kMapKeyValue = 2,
  kList = 3,
  kEnum = 4,
  kDecimal = 5,
  kDate = 6,
  kTimeMillis = 7,
  kTimeMicros = 8,
  kTimestampMillis = 9,
  kTimestampMicros = 10,
  kJson = 19,
};

enum class Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };

enum class Encoding : int32_t {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9,
};

enum class CompressionCodec : int32_t {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,
  kZstd = 6,
  kLz4Raw = 7,
};

enum class PageType : int32_t {
  kDataPage = 0,
  kIndexPage = 1,
  kDictionaryPage = 2,
  kDataPageV2 = 3,
};

enum class TimeUnit : int32_t { kMillis = 1, kMicros = 2, kNanos = 3 };

// The LogicalType union: `kind` says which member is set (the Thrift field id).
struct LogicalType {
  enum Kind : int32_t {
    kNone = 0,
    kString = 1,
    kMap = 2,
    kList = 3,
    kEnum = 4,
    kDecimal = 5,
    kDate = 6,
    kTime = 7,
    kTimestamp = 8,
    kInteger = 10,
    kUnknown = 11,
    kJson = 12,
    kBson = 13,
    kUuid = 14,
  };
  Kind kind = kNone;
  int32_t decimal_scale = 0;          // kDecimal: DecimalType.scale (1)
  int32_t decimal_precision = 0;      // kDecimal: DecimalType.precision (2)
  bool is_adjusted_to_utc = false;    // kTime / kTimestamp (1)
  TimeUnit unit = TimeUnit::kMicros;  // kTime / kTimestamp (2)
  int8_t bit_width = 0;               // kInteger (1)
  bool is_signed = true;              // kInteger (2)
};

struct SchemaElement {
  std::optional<PhysicalType> type;             // 1
  std::optional<int32_t> type_length;           // 2
  std::optional<Repetition> repetition_type;    // 3
  std::string name;                             // 4
  std::optional<int32_t> num_children;          // 5
  std::optional<ConvertedType> converted_type;  // 6
  std::optional<int32_t> scale;                 // 7
  std::optional<int32_t> precision;             // 8
  std::optional<int32_t> field_id;              // 9
  std::optional<LogicalType> logical_type;      // 10
};

struct Statistics {
  std::optional<std::string> max;          // 1 (deprecated; read only)
  std::optional<std::string> min;          // 2 (deprecated; read only)
  std::optional<int64_t> null_count;       // 3
  std::optional<int64_t> distinct_count;   // 4
  std::optional<std::string> max_value;    // 5
  std::optional<std::string> min_value;    // 6
  std::optional<bool> is_max_value_exact;  // 7
  std::optional<bool> is_min_value_exact;  // 8
  std::optional<int64_t> nan_count;        // 9
};

struct KeyValue {
  std::string key;                   // 1
  std::optional<std::string> value;  // 2
};

struct PageEncodingStats {
  PageType page_type = PageType::kDataPage;  // 1
  Encoding encoding = Encoding::kPlain;      // 2
  int32_t count = 0;                         // 3
};

struct ColumnMetaData {
  PhysicalType type = PhysicalType::kInt32;                  // 1
  std::vector<Encoding> encodings;                           // 2
  std::vector<std::string> path_in_schema;                   // 3
  CompressionCodec codec = CompressionCodec::kUncompressed;  // 4
  int64_t num_values = 0;                                    // 5
  int64_t total_uncompressed_size = 0;                       // 6
  int64_t total_compressed_size = 0;                         // 7
  std::vector<KeyValue> key_value_metadata;                  // 8
  int64_t data_page_offset = 0;                              // 9
  std::optional<int64_t> index_page_offset;                  // 10
  std::optional<int64_t> dictionary_page_offset;             // 11
  std::optional<Statistics> statistics;                      // 12
  std::vector<PageEncodingStats> encoding_stats;             // 13
};

struct ColumnChunk {
  std::optional<std::string> file_path;     // 1
  int64_t file_offset = 0;                  // 2 (deprecated: writers set 0 or the chunk start)
  std::optional<ColumnMetaData> meta_data;  // 3
};

struct RowGroup {
  std::vector<ColumnChunk> columns;              // 1
  int64_t total_byte_size = 0;                   // 2 (uncompressed)
  int64_t num_rows = 0;                          // 3
  std::optional<int64_t> file_offset;            // 5
  std::optional<int64_t> total_compressed_size;  // 6
  std::optional<int16_t> ordinal;                // 7
};

struct FileMetaData {
  int32_t version = 1;                       // 1
  std::vector<SchemaElement> schema;         // 2 (depth-first, root first)
  int64_t num_rows = 0;                      // 3
  std::vector<RowGroup> row_groups;          // 4
  std::vector<KeyValue> key_value_metadata;  // 5
  std::optional<std::string> created_by;     // 6
  // 7: column_orders, one per leaf; Nilus writes TypeDefinedOrder for every leaf. Readers keep
  // how many TYPE_ORDER entries were found.
  int32_t num_type_defined_column_orders = 0;
};

struct DataPageHeader {
  int32_t num_values = 0;                               // 1 (including nulls)
  Encoding encoding = Encoding::kPlain;                 // 2
  Encoding definition_level_encoding = Encoding::kRle;  // 3
  Encoding repetition_level_encoding = Encoding::kRle;  // 4
  std::optional<Statistics> statistics;                 // 5
};

struct DictionaryPageHeader {
  int32_t num_values = 0;                // 1
  Encoding encoding = Encoding::kPlain;  // 2
  std::optional<bool> is_sorted;         // 3
};

struct DataPageHeaderV2 {
  int32_t num_values = 0;                     // 1
  int32_t num_nulls = 0;                      // 2
  int32_t num_rows = 0;                       // 3
  Encoding encoding = Encoding::kPlain;       // 4
  int32_t definition_levels_byte_length = 0;  // 5
  int32_t repetition_levels_byte_length = 0;  // 6
  std::optional<bool> is_compressed;          // 7
};

struct PageHeader {
  PageType type = PageType::kDataPage;                         // 1
  int32_t uncompressed_page_size = 0;                          // 2
  int32_t compressed_page_size = 0;                            // 3
  std::optional<int32_t> crc;                                  // 4
  std::optional<DataPageHeader> data_page_header;              // 5
  std::optional<DictionaryPageHeader> dictionary_page_header;  // 7
  std::optional<DataPageHeaderV2> data_page_header_v2;         // 8
};

// --- Serialization (Thrift compact protocol) ---

// Appends the compact-protocol encoding of the struct to `out`.
void SerializeFileMetaData(const FileMetaData& md, Buffer* out);
void SerializePageHeader(const PageHeader& header, Buffer* out);

// Parses a compact-protocol FileMetaData. Unknown fields are skipped. Malformed input
// (truncated, bad type codes, absurd lengths) is a Corruption error, never a crash.
Result<FileMetaData> DeserializeFileMetaData(const uint8_t* data, size_t size);
// Parses a PageHeader at the start of `data`; *consumed receives its length in bytes.
Result<PageHeader> DeserializePageHeader(const uint8_t* data, size_t size, size_t* consumed);

std::string_view PhysicalTypeName(PhysicalType t);
std::string_view EncodingName(Encoding e);
std::string_view CodecName(CompressionCodec c);
std::string_view ConvertedTypeName(ConvertedType c);

}  // namespace nilus::parquet
