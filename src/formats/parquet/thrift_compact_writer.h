// A writer for the Thrift compact protocol, enough to encode Parquet's metadata structs.
// Spec: Apache Thrift "compact protocol" (field headers with id deltas, zigzag varints).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/buffer.h"

namespace nilus::parquet {

// Compact-protocol type codes.
enum class ThriftType : uint8_t {
  kStop = 0,
  kBoolTrue = 1,
  kBoolFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

class ThriftCompactWriter {
 public:
  explicit ThriftCompactWriter(Buffer* out) : out_(out) {}

  void StructBegin() {
    last_field_id_.push_back(last_);
    last_ = 0;
  }
  void StructEnd() {
    out_->PushByte(0);  // stop
    last_ = last_field_id_.back();
    last_field_id_.pop_back();
  }

  void FieldI32(int16_t id, int32_t v) {
    FieldHeader(id, ThriftType::kI32);
    Varint(ZigZag(v));
  }
  void FieldI16(int16_t id, int16_t v) {
    FieldHeader(id, ThriftType::kI16);
    Varint(ZigZag(v));
  }
  void FieldI64(int16_t id, int64_t v) {
    FieldHeader(id, ThriftType::kI64);
    Varint(ZigZag(v));
  }
  void FieldI8(int16_t id, int8_t v) {
    FieldHeader(id, ThriftType::kByte);
    out_->PushByte(static_cast<uint8_t>(v));
  }
  void FieldBool(int16_t id, bool v) {
    FieldHeader(id, v ? ThriftType::kBoolTrue : ThriftType::kBoolFalse);
  }
  void FieldBinary(int16_t id, std::string_view v) {
    FieldHeader(id, ThriftType::kBinary);
    Binary(v);
  }
  // Opens a nested struct field; close it with StructEnd().
  void FieldStructBegin(int16_t id) {
    FieldHeader(id, ThriftType::kStruct);
    StructBegin();
  }
  // Starts a list field of `size` elements of `elem` type; then write the elements.
  void FieldListBegin(int16_t id, ThriftType elem, uint32_t size) {
    FieldHeader(id, ThriftType::kList);
    ListHeader(elem, size);
  }

  // List elements.
  void ListHeader(ThriftType elem, uint32_t size) {
    if (size < 15) {
      out_->PushByte(static_cast<uint8_t>((size << 4) | static_cast<uint8_t>(elem)));
    } else {
      out_->PushByte(static_cast<uint8_t>(0xf0 | static_cast<uint8_t>(elem)));
      Varint(size);
    }
  }
  void I32(int32_t v) { Varint(ZigZag(v)); }
  void I64(int64_t v) { Varint(ZigZag(v)); }
  void Binary(std::string_view v) {
    Varint(v.size());
    out_->Append(v);
  }

 private:
  static uint64_t ZigZag(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_->PushByte(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    out_->PushByte(static_cast<uint8_t>(v));
  }
  void FieldHeader(int16_t id, ThriftType type) {
    int delta = id - last_;
    if (delta > 0 && delta <= 15) {
      out_->PushByte(static_cast<uint8_t>((delta << 4) | static_cast<uint8_t>(type)));
    } else {
      out_->PushByte(static_cast<uint8_t>(type));
      Varint(ZigZag(id));
    }
    last_ = id;
  }

  Buffer* out_;
  int16_t last_ = 0;
  std::vector<int16_t> last_field_id_;
};

}  // namespace nilus::parquet
