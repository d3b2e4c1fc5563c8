// Names of the Parquet enum values as parquet.thrift spells them; "UNKNOWN" for values this
// build does not know (a newer writer, or corruption), which the reader keeps as numbers.
#include "formats/parquet/parquet_metadata.h"

namespace nilus::parquet {

std::string_view PhysicalTypeName(PhysicalType t) {
  switch (t) {
    case PhysicalType::kBoolean:
      return "BOOLEAN";
    case PhysicalType::kInt32:
      return "INT32";
    case PhysicalType::kInt64:
      return "INT64";
    case PhysicalType::kInt96:
      return "INT96";
    case PhysicalType::kFloat:
      return "FLOAT";
    case PhysicalType::kDouble:
      return "DOUBLE";
    case PhysicalType::kByteArray:
      return "BYTE_ARRAY";
    case PhysicalType::kFixedLenByteArray:
      return "FIXED_LEN_BYTE_ARRAY";
  }
  return "UNKNOWN";
}

std::string_view EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kPlain:
      return "PLAIN";
    case Encoding::kPlainDictionary:
      return "PLAIN_DICTIONARY";
    case Encoding::kRle:
      return "RLE";
    case Encoding::kBitPacked:
      return "BIT_PACKED";
    case Encoding::kDeltaBinaryPacked:
      return "DELTA_BINARY_PACKED";
    case Encoding::kDeltaLengthByteArray:
      return "DELTA_LENGTH_BYTE_ARRAY";
    case Encoding::kDeltaByteArray:
      return "DELTA_BYTE_ARRAY";
    case Encoding::kRleDictionary:
      return "RLE_DICTIONARY";
    case Encoding::kByteStreamSplit:
      return "BYTE_STREAM_SPLIT";
  }
  return "UNKNOWN";
}

std::string_view CodecName(CompressionCodec c) {
  switch (c) {
    case CompressionCodec::kUncompressed:
      return "UNCOMPRESSED";
    case CompressionCodec::kSnappy:
      return "SNAPPY";
    case CompressionCodec::kGzip:
      return "GZIP";
    case CompressionCodec::kLzo:
      return "LZO";
    case CompressionCodec::kBrotli:
      return "BROTLI";
    case CompressionCodec::kLz4:
      return "LZ4";
    case CompressionCodec::kZstd:
      return "ZSTD";
    case CompressionCodec::kLz4Raw:
      return "LZ4_RAW";
  }
  return "UNKNOWN";
}

std::string_view ConvertedTypeName(ConvertedType c) {
  switch (c) {
    case ConvertedType::kUtf8:
      return "UTF8";
    case ConvertedType::kMap:
      return "MAP";
    case ConvertedType::kMapKeyValue:
      return "MAP_KEY_VALUE";
    case ConvertedType::kList:
      return "LIST";
    case ConvertedType::kEnum:
      return "ENUM";
    case ConvertedType::kDecimal:
      return "DECIMAL";
    case ConvertedType::kDate:
      return "DATE";
    case ConvertedType::kTimeMillis:
      return "TIME_MILLIS";
    case ConvertedType::kTimeMicros:
      return "TIME_MICROS";
    case ConvertedType::kTimestampMillis:
      return "TIMESTAMP_MILLIS";
    case ConvertedType::kTimestampMicros:
      return "TIMESTAMP_MICROS";
    case ConvertedType::kJson:
      return "JSON";
  }
  // Values the enum does not name but parquet.thrift does (other writers use them).
  switch (static_cast<int32_t>(c)) {
    case 11:
      return "UINT_8";
    case 12:
      return "UINT_16";
    case 13:
      return "UINT_32";
    case 14:
      return "UINT_64";
    case 15:
      return "INT_8";
    case 16:
      return "INT_16";
    case 17:
      return "INT_32";
    case 18:
      return "INT_64";
    case 20:
      return "BSON";
    case 21:
      return "INTERVAL";
    default:
      return "UNKNOWN";
  }
}

}  // namespace nilus::parquet
