// Arena: copies byte strings into stable storage that lives as long as the arena. Views it
// returns never move, unlike those into a growing buffer. Not thread-safe.
#pragma once

#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace nilus {

class Arena {
 public:
  explicit Arena(size_t block_size = 64 * 1024) : block_size_(block_size) {}

  std::string_view Copy(std::string_view s) {
    if (s.empty()) return {};
    if (s.size() > remaining_) {
      size_t n = s.size() > block_size_ / 4 ? s.size() : block_size_;
      blocks_.push_back(std::make_unique<char[]>(n));
      bytes_reserved_ += n;
      if (n == s.size()) {  // a large string gets a block of its own; the current one stays
        std::memcpy(blocks_.back().get(), s.data(), s.size());
        return {blocks_.back().get(), s.size()};
      }
      cursor_ = blocks_.back().get();
      remaining_ = n;
    }
    std::memcpy(cursor_, s.data(), s.size());
    std::string_view out(cursor_, s.size());
    cursor_ += s.size();
    remaining_ -= s.size();
    return out;
  }

  void Clear() {
    blocks_.clear();
    cursor_ = nullptr;
    remaining_ = 0;
    bytes_reserved_ = 0;
  }
  size_t bytes_reserved() const { return bytes_reserved_; }

 private:
  size_t block_size_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* cursor_ = nullptr;
  size_t remaining_ = 0;
  size_t bytes_reserved_ = 0;
};

}  // namespace nilus
