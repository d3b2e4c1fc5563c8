#include "extract/files/file_glob.h"

#include <fmt/format.h>

#include <algorithm>

namespace nilus {

namespace {

std::vector<std::string_view> SplitPath(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t slash = s.find('/', start);
    if (slash == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, slash - start));
    start = slash + 1;
  }
}

// Matches a bracket expression starting at pattern[pi] == '['. Sets *next to the index after
// the closing ']'. Returns false (and *next = npos) when the bracket is not closed, in which
// case the caller treats '[' literally.
bool MatchBracket(std::string_view pattern, size_t pi, char c, bool* matched, size_t* next) {
  size_t i = pi + 1;
  bool negate = false;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) {
    negate = true;
    ++i;
  }
  bool found = false;
  bool first = true;
  while (i < pattern.size() && (first || pattern[i] != ']')) {
    first = false;
    char lo = pattern[i];
    if (lo == '\\' && i + 1 < pattern.size()) lo = pattern[++i];
    char hi = lo;
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      hi = pattern[i + 2];
      if (hi == '\\' && i + 3 < pattern.size()) {
        hi = pattern[i + 3];
        ++i;
      }
      i += 2;
    }
    if (c >= lo && c <= hi) found = true;
    ++i;
  }
  if (i >= pattern.size()) {
    *next = std::string_view::npos;
    return false;
  }
  *next = i + 1;
  *matched = (found != negate);
  return true;
}

// One path component against one pattern component ('/' never appears in either).
bool MatchComponent(std::string_view pattern, std::string_view name) {
  size_t pi = 0, ni = 0;
  size_t star_pi = std::string_view::npos, star_ni = 0;
  while (ni < name.size()) {
    if (pi < pattern.size()) {
      char p = pattern[pi];
      if (p == '*') {
        star_pi = pi++;
        star_ni = ni;
        continue;
      }
      if (p == '?') {
        ++pi;
        ++ni;
        continue;
      }
      if (p == '[') {
        bool matched = false;
        size_t next = 0;
        if (MatchBracket(pattern, pi, name[ni], &matched, &next)) {
          if (matched) {
            pi = next;
            ++ni;
            continue;
          }
        } else if (name[ni] == '[') {  // unclosed: a literal '['
          ++pi;
          ++ni;
          continue;
        }
      } else {
        size_t advance = 1;
        if (p == '\\' && pi + 1 < pattern.size()) {
          p = pattern[pi + 1];
          advance = 2;
        }
        if (p == name[ni]) {
          pi += advance;
          ++ni;
          continue;
        }
      }
    }
    // Mismatch: let the last '*' swallow one more character.
    if (star_pi == std::string_view::npos) return false;
    pi = star_pi + 1;
    ni = ++star_ni;
  }
  while (pi < pattern.size() && pattern[pi] == '*') ++pi;
  return pi == pattern.size();
}

bool MatchParts(const std::vector<std::string_view>& pat, size_t pi,
                const std::vector<std::string_view>& path, size_t ni) {
  while (pi < pat.size()) {
    if (pat[pi] == "**") {
      // Zero or more whole components ("dir/**" alone matches every file below dir).
      for (size_t skip = ni; skip <= path.size(); ++skip) {
        if (MatchParts(pat, pi + 1, path, skip)) return true;
      }
      return false;
    }
    if (ni >= path.size() || !MatchComponent(pat[pi], path[ni])) return false;
    ++pi;
    ++ni;
  }
  return ni == path.size();
}

}  // namespace

bool HasGlobWildcard(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

bool GlobMatch(std::string_view pattern, std::string_view path) {
  return MatchParts(SplitPath(pattern), 0, SplitPath(path), 0);
}

Result<std::vector<FileInfo>> ExpandFileGlob(FileIO* io, std::string_view pattern) {
  if (pattern.empty()) return Status::Invalid("empty file path");
  std::vector<FileInfo> out;
  if (!HasGlobWildcard(pattern)) {
    const std::string path(pattern);
    NILUS_ASSIGN_OR_RAISE(auto listed, io->List(path));
    for (FileInfo& f : listed) {
      if (f.path == path) out.push_back(std::move(f));
    }
    if (out.empty()) {
      const std::string dir = path.ends_with('/') ? path : path + "/";
      if (std::any_of(listed.begin(), listed.end(),
                      [&](const FileInfo& f) { return f.path.starts_with(dir); })) {
        return Status::NotFound(fmt::format(
            "'{}' is a directory, not a file; name its files with a glob such as '{}/*.csv'",
            pattern, pattern));
      }
      return Status::NotFound(fmt::format("file '{}' not found", pattern));
    }
    return out;
  }

  // The longest leading run of components without wildcards is the directory to list.
  std::vector<std::string_view> parts = SplitPath(pattern);
  size_t k = 0;
  while (k < parts.size() && !HasGlobWildcard(parts[k])) ++k;
  std::string base;
  for (size_t i = 0; i < k; ++i) {
    if (i > 0) base += '/';
    base += parts[i];
  }
  bool strip_dot = false;
  if (base.empty()) {
    if (k > 0) {
      base = "/";  // an absolute pattern such as "/*.csv"
    } else {
      base = ".";
      strip_dot = true;
    }
  }
  const std::string dir_prefix = base.ends_with('/') ? base : base + "/";
  NILUS_ASSIGN_OR_RAISE(auto listed, io->List(base));
  for (FileInfo& f : listed) {
    if (!f.path.starts_with(dir_prefix)) continue;  // "data2/x" listed for the prefix "data"
    if (strip_dot) f.path.erase(0, 2);
    if (GlobMatch(pattern, f.path)) out.push_back(std::move(f));
  }
  if (out.empty()) {
    return Status::NotFound(fmt::format("no file matches '{}'", pattern));
  }
  std::sort(out.begin(), out.end(),
            [](const FileInfo& a, const FileInfo& b) { return a.path < b.path; });
  return out;
}

}  // namespace nilus
