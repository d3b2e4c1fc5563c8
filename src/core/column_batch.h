// ColumnBatch: the unit of work between stages. Typed columns, validity bitmaps and
// arena-backed strings, in the layout Arrow uses, so that hot loops run over flat buffers.
//
// Layout of a Column by type:
//   fixed-width primitives  values_: FixedWidthOf(type) bytes per entry (boolean: one byte,
//                           decimal: __int128 unscaled, uuid/fixed: raw bytes)
//   string, binary          offsets_: length+1 int64 offsets into values_, which is the arena
//   list                    offsets_ into children_[0] (the elements)
//   map                     offsets_ into children_[0] (keys) and children_[1] (values)
//   struct                  children_[i] per field, each of the struct's length
// validity_ is a bitmap (bit i, least significant first, 1 = valid); an empty bitmap means
// "no nulls". A null entry still occupies a slot: a zero value, an empty string, an empty list
// (offsets equal), or a null in every struct child.
//
// A Column is not thread-safe for writes; concurrent reads of a finished Column are safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/buffer.h"
#include "core/schema.h"

namespace nilus {

class Column {
 public:
  explicit Column(TypePtr type);
  static std::unique_ptr<Column> Make(TypePtr type) {
    return std::make_unique<Column>(std::move(type));
  }

  const TypePtr& type() const { return type_; }
  const Type& type_ref() const { return *type_; }
  int64_t length() const { return length_; }
  int64_t null_count() const { return null_count_; }
  bool has_validity() const { return !validity_.empty(); }
  bool IsValid(int64_t i) const {
    return validity_.empty() || ((validity_.data()[i >> 3] >> (i & 7)) & 1);
  }
  bool IsNull(int64_t i) const { return !IsValid(i); }

  // --- Reading ---
  template <typename T>
  const T* values() const {
    return values_.as<T>();
  }
  template <typename T>
  T Value(int64_t i) const {
    return values_.as<T>()[i];
  }
  const uint8_t* validity_bitmap() const { return validity_.empty() ? nullptr : validity_.data(); }
  const int64_t* offsets() const { return offsets_.data(); }
  // string/binary: the bytes of entry i. uuid/fixed: the fixed bytes of entry i.
  std::string_view Bytes(int64_t i) const;
  // Raw value bytes: the string arena, or the fixed-width values.
  const Buffer& value_buffer() const { return values_; }
  const Column& child(int i) const { return *children_[i]; }
  Column* mutable_child(int i) { return children_[i].get(); }
  int num_children() const { return static_cast<int>(children_.size()); }

  // --- Appending, one entry at a time ---
  // Appends a null. For a struct, appends a null to every child so lengths stay aligned.
  void AppendNull();
  void AppendBool(bool v) { AppendFixed<uint8_t>(v ? 1 : 0); }
  void AppendInt32(int32_t v) { AppendFixed(v); }
  void AppendInt64(int64_t v) { AppendFixed(v); }
  void AppendFloat(float v) { AppendFixed(v); }
  void AppendDouble(double v) { AppendFixed(v); }
  void AppendDecimal(__int128 unscaled) { AppendFixed(unscaled); }
  // string and binary: any length. uuid and fixed(L): exactly L bytes (checked by Validate).
  void AppendBytes(std::string_view v);
  // list or map: closes one entry whose elements (or key/value pairs) were appended to the
  // children since the previous entry.
  void AppendListEnd();
  // struct: closes one valid entry after one value was appended to every child.
  void AppendStructValid();

  // --- Bulk building, for decoders that fill buffers directly ---
  // Reserve room for n more entries (and, for strings, value_bytes more bytes).
  void Reserve(int64_t n, int64_t value_bytes = 0);
  Buffer* mutable_values() { return &values_; }
  std::vector<int64_t>* mutable_offsets() { return &offsets_; }
  // Sets the length after values (and offsets) were filled by hand; marks entries valid.
  void SetLengthAllValid(int64_t length);
  // Marks entry i (< length) null. The value slot keeps whatever it holds.
  void SetNull(int64_t i);

  // Checks internal consistency: buffer sizes, offsets monotonic and in range, child lengths,
  // fixed lengths, and that no null appears where `required` says none may.
  Status Validate(bool required) const;

  // Approximate bytes held, for memory budgets and row-group sizing.
  int64_t MemoryUsage() const;

 private:
  template <typename T>
  void AppendFixed(T v) {
    values_.AppendValue(v);
    MarkValid();
  }
  void MarkValid() {
    if (!validity_.empty()) SetBit(length_, true);
    ++length_;
  }
  void SetBit(int64_t i, bool v);
  void MaterializeValidity();

  TypePtr type_;
  int64_t length_ = 0;
  int64_t null_count_ = 0;
  Buffer validity_;
  Buffer values_;
  std::vector<int64_t> offsets_;  // string/binary/list/map: starts with 0
  std::vector<std::unique_ptr<Column>> children_;
};

// A batch of rows: one Column per top-level schema field, all of num_rows entries.
class ColumnBatch {
 public:
  explicit ColumnBatch(SchemaPtr schema);

  const SchemaPtr& schema() const { return schema_; }
  int num_columns() const { return static_cast<int>(columns_.size()); }
  const Column& column(int i) const { return *columns_[i]; }
  Column* mutable_column(int i) { return columns_[i].get(); }
  // The number of rows: the length of the first column (0 for no columns).
  int64_t num_rows() const { return columns_.empty() ? 0 : columns_[0]->length(); }

  // Checks every column against its field (lengths equal, required fields without nulls).
  Status Validate() const;
  int64_t MemoryUsage() const;

 private:
  SchemaPtr schema_;
  std::vector<std::unique_ptr<Column>> columns_;
};

}  // namespace nilus
