// A bounded reader for the Thrift compact protocol, enough to decode Parquet's metadata.
// Spec: Apache Thrift "compact protocol" (field headers with id deltas, zigzag varints, list
// headers with the size in the high nibble, bools carried in the field type).
//
// Every read checks the remaining bytes first: malformed input (a truncation, a bad type code,
// a varint longer than 10 bytes, a length beyond the end, nesting deeper than the limit) comes
// back as Status::Corruption naming what was being read and the byte offset. The reader never
// reads past `size` and never allocates more than the input could describe.
//
// Usage (one struct):
//   ThriftCompactReader r(data, size);
//   NILUS_RETURN_NOT_OK(r.StructBegin());
//   for (;;) {
//     ThriftCompactReader::FieldHeader f;
//     NILUS_RETURN_NOT_OK(r.ReadFieldHeader(&f));
//     if (f.type == ThriftType::kStop) break;
//     if (f.id == 1 && f.type == ThriftType::kI32) {
//       NILUS_RETURN_NOT_OK(r.ReadI32(&x));
//     } else {
//       NILUS_RETURN_NOT_OK(r.Skip(f.type));  // unknown fields
//     }
//   }
//   NILUS_RETURN_NOT_OK(r.StructEnd());
//
// Not thread-safe; it does not own `data`, which must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "formats/parquet/thrift_compact_writer.h"

namespace nilus::parquet {

// "i32", "struct", ... for error messages; "type code N" for codes outside the protocol.
std::string ThriftTypeName(ThriftType type);

class ThriftCompactReader {
 public:
  static constexpr int kDefaultMaxDepth = 64;

  struct FieldHeader {
    ThriftType type = ThriftType::kStop;  // kStop ends the struct; id is then 0
    int16_t id = 0;
  };
  struct ListHeader {
    ThriftType elem_type = ThriftType::kStop;  // bool elements report kBoolTrue
    uint32_t size = 0;
  };
  struct MapHeader {
    ThriftType key_type = ThriftType::kStop;
    ThriftType value_type = ThriftType::kStop;
    uint32_t size = 0;
  };

  ThriftCompactReader(const uint8_t* data, size_t size, int max_depth = kDefaultMaxDepth)
      : data_(data), size_(size), max_depth_(max_depth) {}

  // Bytes consumed so far.
  size_t position() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  // Enters a struct (top level or nested): field ids restart at 0. Fails past the depth limit.
  Status StructBegin();
  // Leaves the struct entered last (call after ReadFieldHeader returned kStop).
  Status StructEnd();
  Status ReadFieldHeader(FieldHeader* out);

  // Field values. A bool field's value is its header's type (kBoolTrue / kBoolFalse); use
  // FieldBool for it. ReadBool reads a bool list element (one byte).
  static bool FieldBool(ThriftType field_type) { return field_type == ThriftType::kBoolTrue; }
  Status ReadBool(bool* out);
  Status ReadI8(int8_t* out);
  Status ReadI16(int16_t* out);
  Status ReadI32(int32_t* out);
  Status ReadI64(int64_t* out);
  Status ReadDouble(double* out);
  // The view points into the input; valid as long as the input is.
  Status ReadBinary(std::string_view* out);
  Status ReadBinary(std::string* out);

  // Lists and sets share one header. A size larger than the remaining bytes is corruption
  // (every element takes at least one byte), so callers may reserve `size` elements.
  Status ReadListHeader(ListHeader* out);
  Status ReadMapHeader(MapHeader* out);

  // Skips one value of `type` (any type, nested structs, lists and maps included), within the
  // depth limit. For a bool field (kBoolTrue / kBoolFalse) there is nothing to skip.
  Status Skip(ThriftType type);

  // A Corruption status "<what> at byte <offset>" at the current position.
  Status Corrupt(std::string_view what) const { return CorruptAt(what, pos_); }
  Status CorruptAt(std::string_view what, size_t offset) const;

 private:
  Status ReadVarint(uint64_t* out, std::string_view what);
  Status ReadZigZag(int64_t* out, int bits, std::string_view what);
  Status ReadByte(uint8_t* out, std::string_view what);
  Status SkipValue(ThriftType type, bool list_element);
  Status EnterNesting();
  static bool ValidElemType(uint8_t code) { return code >= 1 && code <= 12; }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  int max_depth_;
  int depth_ = 0;  // structs, lists and maps entered
  int16_t last_field_id_ = 0;
  std::vector<int16_t> field_id_stack_;
};

}  // namespace nilus::parquet
