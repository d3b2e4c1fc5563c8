// File globs: the `path:` of a file source names one file or a pattern of files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "storage/file_io.h"

namespace nilus {

// Whether `path` matches the glob `pattern`, both '/'-separated:
//   *      any run of characters except '/'
//   ?      one character except '/'
//   [abc] [a-z] [!a-z] [^a-z]   one character from (or not from) the set, never '/'
//   **     as a whole path component: zero or more directories ("data/**/x.csv" matches
//          "data/x.csv" and "data/a/b/x.csv")
//   \c     the character c itself
// A leading '.' in a name is matched by wildcards like any other character.
bool GlobMatch(std::string_view pattern, std::string_view path);

// Whether `pattern` has any wildcard (*, ?, [).
bool HasGlobWildcard(std::string_view pattern);

// The files `pattern` names, sorted by path:
//  - without wildcards, the file itself (a directory or a missing file is NotFound);
//  - with wildcards, the files under the longest wildcard-free directory prefix (listed through
//    FileIO::List, recursively) whose path matches. A pattern with no directory part
//    ("*.csv") lists "." and returns names without a "./" prefix.
// No match is NotFound naming the pattern. Paths come back spelled the way FileIO::List spells
// them, so they can be opened through the same FileIO. Thread-safe if `io` is.
Result<std::vector<FileInfo>> ExpandFileGlob(FileIO* io, std::string_view pattern);

}  // namespace nilus
