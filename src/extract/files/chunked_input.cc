#include "extract/files/chunked_input.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>

namespace nilus {

Result<OnBadRow> ParseOnBadRow(std::string_view name) {
  if (name == "fail") return OnBadRow::kFail;
  if (name == "skip") return OnBadRow::kSkip;
  if (name == "quarantine") return OnBadRow::kQuarantine;
  return Status::Invalid(
      fmt::format("on_bad_row: '{}' is not one of fail, skip, quarantine", name));
}

std::string_view OnBadRowName(OnBadRow policy) {
  switch (policy) {
    case OnBadRow::kFail:
      return "fail";
    case OnBadRow::kSkip:
      return "skip";
    case OnBadRow::kQuarantine:
      return "quarantine";
  }
  return "?";
}

Result<std::unique_ptr<ChunkedInput>> ChunkedInput::Open(FileIO* io, const std::string& path) {
  NILUS_ASSIGN_OR_RAISE(auto file, io->OpenInputFile(path));
  NILUS_ASSIGN_OR_RAISE(int64_t size, file->Size());
  return std::unique_ptr<ChunkedInput>(new ChunkedInput(std::move(file), path, size));
}

Result<size_t> ChunkedInput::AppendTo(std::string* buf, size_t max_bytes, size_t extra_capacity) {
  const size_t n =
      static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(max_bytes), size_ - position_));
  if (n == 0) return size_t{0};
  const size_t old_size = buf->size();
  if (buf->capacity() < old_size + n + extra_capacity) {
    buf->reserve(old_size + n + extra_capacity);
  }
  buf->resize(old_size + n);
  Status st = file_->ReadAt(position_, n, buf->data() + old_size);
  if (!st.ok()) {
    buf->resize(old_size);
    return st;
  }
  position_ += static_cast<int64_t>(n);
  return n;
}

namespace {

// Length of the valid UTF-8 sequence starting at p[0] (p < end), or 0 when it is invalid.
size_t ValidSequenceLength(const unsigned char* p, const unsigned char* end) {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    need = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 3;
    if (c == 0xE0) lo = 0xA0;  // no overlong forms
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (static_cast<size_t>(end - p) < need) return 0;
  if (p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < need; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
  }
  return need;
}

}  // namespace

size_t FindInvalidUtf8(std::string_view text) {
  if (simdjson::validate_utf8(text.data(), text.size())) return text.size();
  const auto* begin = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = begin + text.size();
  const auto* p = begin;
  while (p < end) {
    size_t n = ValidSequenceLength(p, end);
    if (n == 0) return static_cast<size_t>(p - begin);
    p += n;
  }
  return text.size();
}

Status InvalidUtf8Error(std::string_view source, std::string_view text, size_t offset,
                        int64_t file_offset, int64_t first_line) {
  const int64_t line =
      first_line + std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(offset), '\n');
  const auto byte = static_cast<unsigned char>(text[offset]);
  return Status::Invalid(fmt::format(
      "{}:{}: invalid UTF-8 at byte offset {} (byte 0x{:02X}); the file must be UTF-8, convert "
      "it first (for example with iconv)",
      source, line, file_offset + static_cast<int64_t>(offset), byte));
}

}  // namespace nilus
