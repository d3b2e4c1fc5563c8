#include "pipeline/env_expand.h"

#include <algorithm>
#include <cctype>

namespace nilus::pipeline {

Result<std::string> ExpandEnvReferences(std::string_view text, const EnvLookup& env) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {  // escape: a literal "${"
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return Status::Invalid("unterminated '${' (write '$${' for a literal '${')");
    }
    std::string body(text.substr(i + 2, close - i - 2));
    std::optional<std::string> fallback;
    if (size_t dash = body.find(":-"); dash != std::string::npos) {
      fallback = body.substr(dash + 2);
      body.resize(dash);
    }
    bool valid_name = !body.empty() && !std::isdigit(static_cast<unsigned char>(body[0])) &&
                      std::all_of(body.begin(), body.end(), [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                      });
    if (!valid_name) {
      return Status::Invalid("'${" + std::string(text.substr(i + 2, close - i - 2)) +
                             "}' is not a valid environment variable reference");
    }
    std::optional<std::string> value = env(body);
    if (value && (!value->empty() || !fallback)) {
      out += *value;
    } else if (fallback) {
      out += *fallback;
    } else {
      return Status::Invalid("environment variable " + body + " is not set");
    }
    i = close + 1;
  }
  return out;
}

}  // namespace nilus::pipeline
