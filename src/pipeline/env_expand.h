// `${VAR}` references in configuration values, shared by pipeline files and the Manager's
// configuration. Pure functions; thread-safe if the lookup is.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace nilus::pipeline {

// Returns a variable's value, or nullopt when it is unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Replaces every `${NAME}` in `text` by the variable's value. `${NAME:-fallback}` uses the
// fallback when NAME is unset or empty; `$${` is a literal `${`. Errors (InvalidArgument, without
// a location: the caller adds it): an unterminated reference, an invalid name, an unset variable
// without a fallback.
Result<std::string> ExpandEnvReferences(std::string_view text, const EnvLookup& env);

}  // namespace nilus::pipeline
