// Buffer: a growable byte array that does not zero what it grows into, used for column values,
// string arenas and encoded pages. Move-only.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

namespace nilus {

class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t capacity) { Reserve(capacity); }
  ~Buffer() { std::free(data_); }
  Buffer(Buffer&& o) noexcept : data_(o.data_), size_(o.size_), capacity_(o.capacity_) {
    o.data_ = nullptr;
    o.size_ = o.capacity_ = 0;
  }
  Buffer& operator=(Buffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }

  void Reserve(size_t capacity) {
    if (capacity <= capacity_) return;
    size_t grown = capacity_ < 64 ? 64 : capacity_ + capacity_ / 2;
    if (grown < capacity) grown = capacity;
    void* p = std::realloc(data_, grown);
    if (!p) throw std::bad_alloc();
    data_ = static_cast<uint8_t*>(p);
    capacity_ = grown;
  }
  // New bytes are uninitialized.
  void Resize(size_t size) {
    Reserve(size);
    size_ = size;
  }
  // Resizes and zeroes the bytes that were added.
  void ResizeZeroed(size_t size) {
    size_t old = size_;
    Resize(size);
    if (size > old) std::memset(data_ + old, 0, size - old);
  }
  void Clear() { size_ = 0; }

  void Append(const void* p, size_t n) {
    if (size_ + n > capacity_) Reserve(size_ + n);
    if (n) std::memcpy(data_ + size_, p, n);
    size_ += n;
  }
  void Append(std::string_view s) { Append(s.data(), s.size()); }
  template <typename T>
  void AppendValue(const T& v) {
    Append(&v, sizeof(T));
  }
  void PushByte(uint8_t b) {
    if (size_ == capacity_) Reserve(size_ + 1);
    data_[size_++] = b;
  }

  template <typename T>
  T* as() {
    return reinterpret_cast<T*>(data_);
  }
  template <typename T>
  const T* as() const {
    return reinterpret_cast<const T*>(data_);
  }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace nilus
