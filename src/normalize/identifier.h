// Identifier normalization: turns source names (JSON keys, CSV headers, database columns) into
// the lower-case snake_case names Nilus writes to Iceberg, because engines such as Trino
// lower-case every identifier they see.
//
// Rules, applied in order:
//   - camelCase and PascalCase split into words: "userId" -> "user_id", "HTTPServer" ->
//     "http_server", "item2Name" -> "item2_name";
//   - ASCII letters are lower-cased; bytes >= 0x80 (UTF-8 sequences) are kept as they are;
//   - every other character (space, punctuation, '-', '.') becomes '_';
//   - runs of '_' collapse into one, so a source name can never produce the "__" that
//     separates flattened paths; trailing '_' are dropped; one leading '_' is kept ("_id");
//   - a name that starts with a digit gets a '_' in front ("1st" -> "_1st");
//   - an empty result becomes "_".
// Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace nilus::normalize {

std::string NormalizeIdentifier(std::string_view name);

}  // namespace nilus::normalize
