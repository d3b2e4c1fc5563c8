#include "core/column_batch.h"

#include <fmt/format.h>

namespace nilus {

namespace {
bool UsesOffsets(TypeId id) {
  return id == TypeId::kString || id == TypeId::kBinary || id == TypeId::kList ||
         id == TypeId::kMap;
}
}  // namespace

Column::Column(TypePtr type) : type_(std::move(type)) {
  if (UsesOffsets(type_->id())) offsets_.push_back(0);
  if (type_->is_nested()) {
    for (const auto& f : type_->fields()) children_.push_back(std::make_unique<Column>(f.type));
  }
}

std::string_view Column::Bytes(int64_t i) const {
  if (offsets_.empty()) {
    int w = type_->fixed_length();
    return {reinterpret_cast<const char*>(values_.data()) + i * w, static_cast<size_t>(w)};
  }
  return {reinterpret_cast<const char*>(values_.data()) + offsets_[i],
          static_cast<size_t>(offsets_[i + 1] - offsets_[i])};
}

void Column::SetBit(int64_t i, bool v) {
  size_t need = static_cast<size_t>((i >> 3) + 1);
  if (validity_.size() < need) validity_.ResizeZeroed(need);
  uint8_t& byte = validity_.data()[i >> 3];
  if (v) {
    byte |= static_cast<uint8_t>(1u << (i & 7));
  } else {
    byte &= static_cast<uint8_t>(~(1u << (i & 7)));
  }
}

void Column::MaterializeValidity() {
  if (!validity_.empty() || length_ == 0) {
    if (validity_.empty()) validity_.ResizeZeroed(1);
    return;
  }
  validity_.Resize(static_cast<size_t>((length_ + 7) >> 3));
  std::memset(validity_.data(), 0xff, validity_.size());
}

void Column::AppendNull() {
  MaterializeValidity();
  switch (type_->id()) {
    case TypeId::kString:
    case TypeId::kBinary:
      offsets_.push_back(offsets_.back());
      break;
    case TypeId::kList:
    case TypeId::kMap:
      offsets_.push_back(children_[0]->length());
      break;
    case TypeId::kStruct:
      for (auto& c : children_) c->AppendNull();
      break;
    default: {
      int w = FixedWidthOf(*type_);
      size_t old = values_.size();
      values_.ResizeZeroed(old + w);
      break;
    }
  }
  SetBit(length_, false);
  ++length_;
  ++null_count_;
}

void Column::AppendBytes(std::string_view v) {
  values_.Append(v);
  if (!offsets_.empty()) offsets_.push_back(static_cast<int64_t>(values_.size()));
  MarkValid();
}

void Column::AppendListEnd() {
  offsets_.push_back(children_[0]->length());
  MarkValid();
}

void Column::AppendStructValid() { MarkValid(); }

void Column::Reserve(int64_t n, int64_t value_bytes) {
  int w = FixedWidthOf(*type_);
  if (w > 0) values_.Reserve(values_.size() + static_cast<size_t>(n) * w);
  if (!offsets_.empty()) offsets_.reserve(offsets_.size() + n);
  if (value_bytes > 0) values_.Reserve(values_.size() + value_bytes);
}

void Column::SetLengthAllValid(int64_t length) {
  int64_t old = length_;
  length_ = length;
  if (!validity_.empty()) {
    for (int64_t i = old; i < length; ++i) SetBit(i, true);
  }
}

void Column::SetNull(int64_t i) {
  if (!IsValid(i)) return;
  MaterializeValidity();
  SetBit(i, false);
  ++null_count_;
}

Status Column::Validate(bool required) const {
  const std::string type_name = type_->ToString();
  if (!validity_.empty() && validity_.size() * 8 < static_cast<size_t>(length_)) {
    return Status::Internal("validity bitmap shorter than the column");
  }
  if (required && null_count_ > 0) {
    for (int64_t i = 0; i < length_; ++i) {
      if (IsNull(i)) {
        return Status::Invalid(
            fmt::format("required {} column has a null at row {}", type_name, i));
      }
    }
  }
  int w = FixedWidthOf(*type_);
  if (w > 0 && values_.size() != static_cast<size_t>(length_) * w) {
    return Status::Internal(fmt::format("{} column of {} entries holds {} value bytes", type_name,
                                        length_, values_.size()));
  }
  if (UsesOffsets(type_->id())) {
    if (offsets_.size() != static_cast<size_t>(length_) + 1) {
      return Status::Internal(fmt::format("{} column of {} entries has {} offsets", type_name,
                                          length_, offsets_.size()));
    }
    int64_t limit =
        type_->is_nested() ? children_[0]->length() : static_cast<int64_t>(values_.size());
    for (int64_t i = 0; i < length_; ++i) {
      if (offsets_[i] > offsets_[i + 1] || offsets_[i + 1] > limit || offsets_[i] < 0) {
        return Status::Internal(fmt::format("{} column has bad offsets at row {}", type_name, i));
      }
    }
  }
  if (type_->is_nested()) {
    const auto& fields = type_->fields();
    for (size_t c = 0; c < children_.size(); ++c) {
      if (type_->id() == TypeId::kStruct && children_[c]->length() != length_) {
        return Status::Internal(fmt::format("struct field '{}' has {} entries, the struct {}",
                                            fields[c].name, children_[c]->length(), length_));
      }
      if (type_->id() == TypeId::kMap && children_[c]->length() != children_[0]->length()) {
        return Status::Internal("map keys and values differ in length");
      }
      // A null struct puts nulls in its children, so a required child of an optional struct
      // may hold nulls exactly where the struct is null, and nowhere else.
      bool nulls_from_parent =
          fields[c].required && type_->id() == TypeId::kStruct && null_count_ > 0;
      NILUS_RETURN_NOT_OK_CTX(children_[c]->Validate(fields[c].required && !nulls_from_parent),
                              fields[c].name);
      if (nulls_from_parent) {
        for (int64_t i = 0; i < length_; ++i) {
          if (IsValid(i) && children_[c]->IsNull(i)) {
            return Status::Invalid(
                fmt::format("required field '{}' is null at row {}", fields[c].name, i));
          }
        }
      }
    }
  }
  return Status::OK();
}

int64_t Column::MemoryUsage() const {
  int64_t total = static_cast<int64_t>(values_.size() + validity_.size() + offsets_.size() * 8);
  for (const auto& c : children_) total += c->MemoryUsage();
  return total;
}

ColumnBatch::ColumnBatch(SchemaPtr schema) : schema_(std::move(schema)) {
  for (const auto& f : schema_->fields()) columns_.push_back(std::make_unique<Column>(f.type));
}

Status ColumnBatch::Validate() const {
  const auto& fields = schema_->fields();
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i]->length() != num_rows()) {
      return Status::Invalid(fmt::format("column '{}' has {} rows, the batch {}", fields[i].name,
                                         columns_[i]->length(), num_rows()));
    }
    if (!columns_[i]->type()->Equals(*fields[i].type)) {
      return Status::Invalid(fmt::format("column '{}' is {}, the schema says {}", fields[i].name,
                                         columns_[i]->type()->ToString(),
                                         fields[i].type->ToString()));
    }
    NILUS_RETURN_NOT_OK_CTX(columns_[i]->Validate(fields[i].required),
                            fmt::format("column '{}'", fields[i].name));
  }
  return Status::OK();
}

int64_t ColumnBatch::MemoryUsage() const {
  int64_t total = 0;
  for (const auto& c : columns_) total += c->MemoryUsage();
  return total;
}

}  // namespace nilus
