#include "formats/parquet/thrift_compact_reader.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>

namespace nilus::parquet {

std::string ThriftTypeName(ThriftType type) {
  switch (type) {
    case ThriftType::kStop:
      return "stop";
    case ThriftType::kBoolTrue:
    case ThriftType::kBoolFalse:
      return "bool";
    case ThriftType::kByte:
      return "i8";
    case ThriftType::kI16:
      return "i16";
    case ThriftType::kI32:
      return "i32";
    case ThriftType::kI64:
      return "i64";
    case ThriftType::kDouble:
      return "double";
    case ThriftType::kBinary:
      return "binary";
    case ThriftType::kList:
      return "list";
    case ThriftType::kSet:
      return "set";
    case ThriftType::kMap:
      return "map";
    case ThriftType::kStruct:
      return "struct";
  }
  return fmt::format("type code {}", static_cast<int>(type));
}

Status ThriftCompactReader::CorruptAt(std::string_view what, size_t offset) const {
  return Status::Corruption(fmt::format("thrift: {} at byte {} of {}", what, offset, size_));
}

Status ThriftCompactReader::ReadByte(uint8_t* out, std::string_view what) {
  if (pos_ >= size_) return Corrupt(fmt::format("truncated {}", what));
  *out = data_[pos_++];
  return Status::OK();
}

Status ThriftCompactReader::ReadVarint(uint64_t* out, std::string_view what) {
  const size_t start = pos_;
  uint64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    if (pos_ >= size_) return CorruptAt(fmt::format("truncated varint ({})", what), start);
    uint8_t b = data_[pos_++];
    // The 10th byte may only carry the single bit left over from 9 * 7 = 63.
    if (i == 9 && (b & 0x7e) != 0) {
      return CorruptAt(fmt::format("varint overflows 64 bits ({})", what), start);
    }
    v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      *out = v;
      return Status::OK();
    }
  }
  return CorruptAt(fmt::format("varint longer than 10 bytes ({})", what), start);
}

Status ThriftCompactReader::ReadZigZag(int64_t* out, int bits, std::string_view what) {
  const size_t start = pos_;
  uint64_t u;
  NILUS_RETURN_NOT_OK(ReadVarint(&u, what));
  if (bits < 64 && (u >> bits) != 0) {
    return CorruptAt(fmt::format("varint does not fit {} bits ({})", bits, what), start);
  }
  *out = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
  return Status::OK();
}

Status ThriftCompactReader::EnterNesting() {
  if (depth_ >= max_depth_) return Corrupt(fmt::format("values nested deeper than {}", max_depth_));
  ++depth_;
  return Status::OK();
}

Status ThriftCompactReader::StructBegin() {
  NILUS_RETURN_NOT_OK(EnterNesting());
  field_id_stack_.push_back(last_field_id_);
  last_field_id_ = 0;
  return Status::OK();
}

Status ThriftCompactReader::StructEnd() {
  if (field_id_stack_.empty()) return Status::Internal("thrift: StructEnd without StructBegin");
  last_field_id_ = field_id_stack_.back();
  field_id_stack_.pop_back();
  --depth_;
  return Status::OK();
}

Status ThriftCompactReader::ReadFieldHeader(FieldHeader* out) {
  const size_t start = pos_;
  uint8_t b;
  NILUS_RETURN_NOT_OK(ReadByte(&b, "field header (missing stop)"));
  const uint8_t code = b & 0x0f;
  if (code == 0) {
    out->type = ThriftType::kStop;
    out->id = 0;
    return Status::OK();
  }
  if (code > 12) return CorruptAt(fmt::format("invalid field type code {}", code), start);
  int id;
  const int delta = b >> 4;
  if (delta != 0) {
    id = last_field_id_ + delta;
  } else {
    int64_t v;
    NILUS_RETURN_NOT_OK(ReadZigZag(&v, 16, "field id"));
    id = static_cast<int>(v);
  }
  if (id < std::numeric_limits<int16_t>::min() || id > std::numeric_limits<int16_t>::max()) {
    return CorruptAt(fmt::format("field id {} out of range", id), start);
  }
  out->type = static_cast<ThriftType>(code);
  out->id = static_cast<int16_t>(id);
  last_field_id_ = out->id;
  return Status::OK();
}

Status ThriftCompactReader::ReadBool(bool* out) {
  const size_t start = pos_;
  uint8_t b;
  NILUS_RETURN_NOT_OK(ReadByte(&b, "bool"));
  // The spec sends 1 / 0; the reference libraries send 1 / 2 (the field type codes).
  if (b == 1) {
    *out = true;
  } else if (b == 2 || b == 0) {
    *out = false;
  } else {
    return CorruptAt(fmt::format("invalid bool byte {}", b), start);
  }
  return Status::OK();
}

Status ThriftCompactReader::ReadI8(int8_t* out) {
  uint8_t b;
  NILUS_RETURN_NOT_OK(ReadByte(&b, "i8"));
  *out = static_cast<int8_t>(b);
  return Status::OK();
}

Status ThriftCompactReader::ReadI16(int16_t* out) {
  int64_t v;
  NILUS_RETURN_NOT_OK(ReadZigZag(&v, 16, "i16"));
  *out = static_cast<int16_t>(v);
  return Status::OK();
}

Status ThriftCompactReader::ReadI32(int32_t* out) {
  int64_t v;
  NILUS_RETURN_NOT_OK(ReadZigZag(&v, 32, "i32"));
  *out = static_cast<int32_t>(v);
  return Status::OK();
}

Status ThriftCompactReader::ReadI64(int64_t* out) { return ReadZigZag(out, 64, "i64"); }

Status ThriftCompactReader::ReadDouble(double* out) {
  if (remaining() < 8) return Corrupt("truncated double");
  // Little-endian IEEE 754, like the hosts we build for.
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
  std::memcpy(out, &bits, sizeof(bits));
  pos_ += 8;
  return Status::OK();
}

Status ThriftCompactReader::ReadBinary(std::string_view* out) {
  const size_t start = pos_;
  uint64_t len;
  NILUS_RETURN_NOT_OK(ReadVarint(&len, "binary length"));
  if (len > remaining()) {
    return CorruptAt(fmt::format("binary length {} exceeds the {} bytes left", len, remaining()),
                     start);
  }
  *out = std::string_view(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
  pos_ += static_cast<size_t>(len);
  return Status::OK();
}

Status ThriftCompactReader::ReadBinary(std::string* out) {
  std::string_view v;
  NILUS_RETURN_NOT_OK(ReadBinary(&v));
  out->assign(v);
  return Status::OK();
}

Status ThriftCompactReader::ReadListHeader(ListHeader* out) {
  const size_t start = pos_;
  uint8_t b;
  NILUS_RETURN_NOT_OK(ReadByte(&b, "list header"));
  uint64_t size = b >> 4;
  if (size == 15) NILUS_RETURN_NOT_OK(ReadVarint(&size, "list size"));
  const uint8_t code = b & 0x0f;
  // The element type of an empty list carries no meaning; some writers leave it 0.
  if (size > 0 && !ValidElemType(code)) {
    return CorruptAt(fmt::format("invalid list element type code {}", code), start);
  }
  if (size > remaining()) {
    return CorruptAt(
        fmt::format("list of {} elements exceeds the {} bytes left", size, remaining()), start);
  }
  out->elem_type = code == 2 ? ThriftType::kBoolTrue : static_cast<ThriftType>(code);
  out->size = static_cast<uint32_t>(size);
  return Status::OK();
}

Status ThriftCompactReader::ReadMapHeader(MapHeader* out) {
  const size_t start = pos_;
  uint64_t size;
  NILUS_RETURN_NOT_OK(ReadVarint(&size, "map size"));
  out->size = 0;
  out->key_type = out->value_type = ThriftType::kStop;
  if (size == 0) return Status::OK();  // an empty map has no type byte
  uint8_t b;
  NILUS_RETURN_NOT_OK(ReadByte(&b, "map key/value types"));
  const uint8_t k = b >> 4, v = b & 0x0f;
  if (!ValidElemType(k) || !ValidElemType(v)) {
    return CorruptAt(fmt::format("invalid map key/value type codes {}/{}", k, v), start);
  }
  // Each entry takes at least two bytes.
  if (size > remaining() / 2) {
    return CorruptAt(fmt::format("map of {} entries exceeds the {} bytes left", size, remaining()),
                     start);
  }
  out->key_type = k == 2 ? ThriftType::kBoolTrue : static_cast<ThriftType>(k);
  out->value_type = v == 2 ? ThriftType::kBoolTrue : static_cast<ThriftType>(v);
  out->size = static_cast<uint32_t>(size);
  return Status::OK();
}

Status ThriftCompactReader::Skip(ThriftType type) {
  return SkipValue(type, /*list_element=*/false);
}

Status ThriftCompactReader::SkipValue(ThriftType type, bool list_element) {
  switch (type) {
    case ThriftType::kBoolTrue:
    case ThriftType::kBoolFalse: {
      if (!list_element) return Status::OK();  // the value was the field header's type
      bool ignored;
      return ReadBool(&ignored);
    }
    case ThriftType::kByte: {
      int8_t ignored;
      return ReadI8(&ignored);
    }
    case ThriftType::kI16:
    case ThriftType::kI32:
    case ThriftType::kI64: {
      uint64_t ignored;
      return ReadVarint(&ignored, ThriftTypeName(type));
    }
    case ThriftType::kDouble: {
      double ignored;
      return ReadDouble(&ignored);
    }
    case ThriftType::kBinary: {
      std::string_view ignored;
      return ReadBinary(&ignored);
    }
    case ThriftType::kStruct: {
      NILUS_RETURN_NOT_OK(StructBegin());
      for (;;) {
        FieldHeader f;
        NILUS_RETURN_NOT_OK(ReadFieldHeader(&f));
        if (f.type == ThriftType::kStop) break;
        NILUS_RETURN_NOT_OK(SkipValue(f.type, /*list_element=*/false));
      }
      return StructEnd();
    }
    case ThriftType::kList:
    case ThriftType::kSet: {
      NILUS_RETURN_NOT_OK(EnterNesting());
      ListHeader h;
      NILUS_RETURN_NOT_OK(ReadListHeader(&h));
      for (uint32_t i = 0; i < h.size; ++i) {
        NILUS_RETURN_NOT_OK(SkipValue(h.elem_type, /*list_element=*/true));
      }
      --depth_;
      return Status::OK();
    }
    case ThriftType::kMap: {
      NILUS_RETURN_NOT_OK(EnterNesting());
      MapHeader h;
      NILUS_RETURN_NOT_OK(ReadMapHeader(&h));
      for (uint32_t i = 0; i < h.size; ++i) {
        NILUS_RETURN_NOT_OK(SkipValue(h.key_type, /*list_element=*/true));
        NILUS_RETURN_NOT_OK(SkipValue(h.value_type, /*list_element=*/true));
      }
      --depth_;
      return Status::OK();
    }
    case ThriftType::kStop:
      break;
  }
  return Corrupt(fmt::format("cannot skip a value of {}", ThriftTypeName(type)));
}

}  // namespace nilus::parquet
