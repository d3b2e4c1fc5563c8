// Result<T>: either a value or an error Status (Arrow's Result, iceberg-cpp's Result).
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "core/status.h"

namespace nilus {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status");
    if (std::get<Status>(v_).ok()) v_ = Status::Internal("Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  // OK when a value is held.
  Status status() const { return ok() ? Status::OK() : std::get<Status>(v_); }

  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T MoveValue() { return std::get<T>(std::move(v_)); }

  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  T ValueOr(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace nilus

#define NILUS_CONCAT_INNER(a, b) a##b
#define NILUS_CONCAT(a, b) NILUS_CONCAT_INNER(a, b)

#define NILUS_ASSIGN_OR_RAISE_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                               \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

// Evaluates rexpr (a Result<T>); on error returns its Status, else assigns the value to lhs.
// lhs may be a declaration: NILUS_ASSIGN_OR_RAISE(auto file, io->Open(path));
#define NILUS_ASSIGN_OR_RAISE(lhs, rexpr) \
  NILUS_ASSIGN_OR_RAISE_IMPL(NILUS_CONCAT(_nilus_result_, __COUNTER__), lhs, rexpr)
