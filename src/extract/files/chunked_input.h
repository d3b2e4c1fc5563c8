// Pieces shared by the file readers (CSV, JSON Lines, JSON arrays): the bad-row policy, a
// chunked reader over a FileIO InputFile, and UTF-8 checks that name the offending byte.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "storage/file_io.h"

namespace nilus {

// What a reader does with a record it cannot use (a CSV row with the wrong number of fields, a
// malformed JSON document when validation is on).
enum class OnBadRow {
  kFail,        // the read fails with InvalidArgument "<file>:<line>: <reason>"
  kSkip,        // the record is dropped (counted in bad_records_seen())
  kQuarantine,  // the record is dropped from the data and returned in the batch's bad_records
};

// "fail" | "skip" | "quarantine" -> OnBadRow; anything else is InvalidArgument.
Result<OnBadRow> ParseOnBadRow(std::string_view name);
std::string_view OnBadRowName(OnBadRow policy);

// Reads a file front to back through FileIO ranged reads (InputFile::ReadAt), one bounded
// piece at a time, so that memory does not depend on the file size. The size is taken at
// Open(); bytes appended to the file later are not read. Not thread-safe.
class ChunkedInput {
 public:
  // Opens `path` (NotFound when missing). The FileIO must outlive the ChunkedInput.
  static Result<std::unique_ptr<ChunkedInput>> Open(FileIO* io, const std::string& path);

  // Appends up to `max_bytes` further bytes of the file to `*buf`, reserving `extra_capacity`
  // more bytes beyond them so that a caller can pad the buffer without reallocating. Returns
  // how many bytes were appended: 0 only at the end of the file.
  Result<size_t> AppendTo(std::string* buf, size_t max_bytes, size_t extra_capacity = 0);

  bool eof() const { return position_ >= size_; }
  int64_t size() const { return size_; }
  // Bytes read so far.
  int64_t position() const { return position_; }
  const std::string& path() const { return path_; }

 private:
  ChunkedInput(std::unique_ptr<InputFile> file, std::string path, int64_t size)
      : file_(std::move(file)), path_(std::move(path)), size_(size) {}

  std::unique_ptr<InputFile> file_;
  std::string path_;
  int64_t size_ = 0;
  int64_t position_ = 0;
};

// Offset of the first byte of `text` that is not part of valid UTF-8 (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or text.size() when all of it is valid. Fast
// on valid input (SIMD check first, byte-wise search only on failure).
size_t FindInvalidUtf8(std::string_view text);

// The error for invalid UTF-8 at `offset` of `text`, whose first byte is at `file_offset` in the
// file and on line `first_line`: InvalidArgument "<source>:<line>: invalid UTF-8 at byte offset
// <n> (...)".
Status InvalidUtf8Error(std::string_view source, std::string_view text, size_t offset,
                        int64_t file_offset, int64_t first_line);

// The first index in [p, end) of `data` whose byte is a, b or c, or `end`. Eight bytes at a time:
// the readers' inner loops (CSV fields, JSON strings) are runs of ordinary bytes.
inline size_t FindByteOf(const char* data, size_t p, size_t end, char a, char b, char c) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kLows = 0x7F7F7F7F7F7F7F7FULL;
  // 0x80 in every byte of x that is zero, exactly (no false positives), so the lowest set bit
  // marks the first match.
  auto zero_bytes = [](uint64_t x) { return ~(((x & kLows) + kLows) | x | kLows); };
  const uint64_t ma = kOnes * static_cast<unsigned char>(a);
  const uint64_t mb = kOnes * static_cast<unsigned char>(b);
  const uint64_t mc = kOnes * static_cast<unsigned char>(c);
  if constexpr (std::endian::native == std::endian::little) {
    while (p + 8 <= end) {
      uint64_t w;
      std::memcpy(&w, data + p, 8);
      const uint64_t z = zero_bytes(w ^ ma) | zero_bytes(w ^ mb) | zero_bytes(w ^ mc);
      if (z != 0) return p + static_cast<size_t>(std::countr_zero(z) / 8);
      p += 8;
    }
  }
  while (p < end && data[p] != a && data[p] != b && data[p] != c) ++p;
  return p;
}

// The number of '\n' bytes in [begin, end): memchr-paced, since a plain count loop is not
// vectorized and line ends are rare inside fields.
inline int64_t CountNewlines(const char* begin, const char* end) {
  int64_t n = 0;
  while (begin < end) {
    const void* nl = std::memchr(begin, '\n', static_cast<size_t>(end - begin));
    if (nl == nullptr) break;
    ++n;
    begin = static_cast<const char*>(nl) + 1;
  }
  return n;
}

}  // namespace nilus
