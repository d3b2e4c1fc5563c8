#include "normalize/identifier.h"

namespace nilus::normalize {

namespace {
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

std::string NormalizeIdentifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 4);
  auto push_sep = [&out] {
    if (!out.empty() && out.back() != '_') out.push_back('_');
  };
  const bool leading_underscore = !name.empty() && name[0] == '_';
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (IsUpper(c)) {
      char prev = i > 0 ? name[i - 1] : '\0';
      char next = i + 1 < name.size() ? name[i + 1] : '\0';
      // A word starts at an upper-case letter after a lower-case letter or digit ("userId"),
      // or at the last capital of an acronym followed by a lower-case letter ("HTTPServer").
      if (IsLower(prev) || IsDigit(prev) || (IsUpper(prev) && IsLower(next))) push_sep();
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if (IsLower(c) || IsDigit(c) || static_cast<unsigned char>(c) >= 0x80) {
      out.push_back(c);
    } else {
      push_sep();
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (leading_underscore) out.insert(out.begin(), '_');
  if (out.empty()) return "_";
  if (IsDigit(out[0])) out.insert(out.begin(), '_');
  return out;
}

}  // namespace nilus::normalize
