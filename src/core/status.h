// Status: the outcome of an operation that can fail, in the style of Arrow and LevelDB.
//
// Functions return errors instead of throwing them. A Status carries a code, a message that
// names the place where things went wrong, and whether a retry of the same operation can help
// (a dropped connection can be retried, a type conflict cannot). An OK status allocates nothing.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace nilus {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,  // the caller passed something wrong: a bad option, a bad value
  kTypeError,        // a value or schema does not fit the declared type
  kIOError,          // the file system or network failed
  kNotFound,
  kAlreadyExists,
  kCorruption,   // data read back is malformed
  kConflict,     // a concurrent writer won (e.g. a catalog compare-and-swap)
  kUnavailable,  // a service cannot be reached right now
  kNotImplemented,
  kCancelled,
  kInternal,  // a bug in Nilus
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(StatusCode code, std::string message, bool retryable = false);
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status OK() { return Status(); }
  static Status Invalid(std::string msg) { return {StatusCode::kInvalidArgument, std::move(msg)}; }
  static Status TypeError(std::string msg) { return {StatusCode::kTypeError, std::move(msg)}; }
  static Status IOError(std::string msg, bool retryable = false) {
    return {StatusCode::kIOError, std::move(msg), retryable};
  }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) {
    return {StatusCode::kAlreadyExists, std::move(msg)};
  }
  static Status Corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }
  static Status Conflict(std::string msg) { return {StatusCode::kConflict, std::move(msg), true}; }
  static Status Unavailable(std::string msg) {
    return {StatusCode::kUnavailable, std::move(msg), true};
  }
  static Status NotImplemented(std::string msg) {
    return {StatusCode::kNotImplemented, std::move(msg)};
  }
  static Status Cancelled(std::string msg) { return {StatusCode::kCancelled, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  // Empty for OK.
  const std::string& message() const;
  // Whether retrying the same operation later may succeed.
  bool retryable() const { return state_ && state_->retryable; }

  // "IOError: <message>" or "OK".
  std::string ToString() const;

  // A copy of this status with "context: " put in front of the message. OK stays OK.
  Status WithContext(std::string_view context) const;

 private:
  struct State {
    StatusCode code;
    bool retryable;
    std::string message;
  };
  std::unique_ptr<State> state_;
};

}  // namespace nilus

// Propagates a non-OK Status to the caller.
#define NILUS_RETURN_NOT_OK(expr)          \
  do {                                     \
    ::nilus::Status _nilus_st = (expr);    \
    if (!_nilus_st.ok()) return _nilus_st; \
  } while (false)

// Propagates a non-OK Status to the caller after putting context in front of its message.
#define NILUS_RETURN_NOT_OK_CTX(expr, ctx)                  \
  do {                                                      \
    ::nilus::Status _nilus_st = (expr);                     \
    if (!_nilus_st.ok()) return _nilus_st.WithContext(ctx); \
  } while (false)
