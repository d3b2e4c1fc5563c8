#include "core/status.h"

#include <gtest/gtest.h>

#include <memory>

#include "core/result.h"

namespace nilus {
namespace {

TEST(StatusTest, OkByDefault) {
  Status st;
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kOk);
  EXPECT_EQ(st.message(), "");
  EXPECT_FALSE(st.retryable());
  EXPECT_EQ(st.ToString(), "OK");
  EXPECT_TRUE(Status::OK().ok());
}

TEST(StatusTest, FactoriesSetCodeAndRetryable) {
  struct Case {
    Status st;
    StatusCode code;
    bool retryable;
  };
  const Case cases[] = {
      {Status::Invalid("m"), StatusCode::kInvalidArgument, false},
      {Status::TypeError("m"), StatusCode::kTypeError, false},
      {Status::IOError("m"), StatusCode::kIOError, false},
      {Status::IOError("m", true), StatusCode::kIOError, true},
      {Status::NotFound("m"), StatusCode::kNotFound, false},
      {Status::AlreadyExists("m"), StatusCode::kAlreadyExists, false},
      {Status::Corruption("m"), StatusCode::kCorruption, false},
      {Status::Conflict("m"), StatusCode::kConflict, true},
      {Status::Unavailable("m"), StatusCode::kUnavailable, true},
      {Status::NotImplemented("m"), StatusCode::kNotImplemented, false},
      {Status::Cancelled("m"), StatusCode::kCancelled, false},
      {Status::Internal("m"), StatusCode::kInternal, false},
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(c.st.ok());
    EXPECT_EQ(c.st.code(), c.code);
    EXPECT_EQ(c.st.retryable(), c.retryable) << c.st.ToString();
    EXPECT_EQ(c.st.message(), "m");
    EXPECT_NE(StatusCodeName(c.code), "Unknown");
  }
}

TEST(StatusTest, ToString) {
  EXPECT_EQ(Status::NotFound("table t").ToString(), "Not found: table t");
  EXPECT_EQ(Status::Unavailable("db down").ToString(), "Unavailable: db down (retryable)");
  EXPECT_EQ(StatusCodeName(StatusCode::kIOError), "IO error");
}

TEST(StatusTest, CopyAndMove) {
  Status a = Status::Conflict("lost the race");
  Status b = a;
  EXPECT_EQ(b.code(), StatusCode::kConflict);
  EXPECT_EQ(b.message(), "lost the race");
  EXPECT_TRUE(b.retryable());
  EXPECT_EQ(a.message(), "lost the race");  // the copy is deep
  Status c = std::move(b);
  EXPECT_EQ(c.code(), StatusCode::kConflict);
  a = Status::OK();
  EXPECT_TRUE(a.ok());
  const Status& alias = c;
  c = alias;  // self-assignment keeps the value
  EXPECT_EQ(c.message(), "lost the race");
}

TEST(StatusTest, WithContext) {
  Status st = Status::IOError("disk gone", true).WithContext("write 'x.parquet'");
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_TRUE(st.retryable());
  EXPECT_EQ(st.message(), "write 'x.parquet': disk gone");
  EXPECT_TRUE(Status::OK().WithContext("anything").ok());
}

Status FailIf(bool fail) { return fail ? Status::TypeError("bad") : Status::OK(); }

Status UsesReturnNotOk(bool fail, int* reached) {
  NILUS_RETURN_NOT_OK(FailIf(fail));
  ++*reached;
  return Status::OK();
}

Status UsesReturnNotOkCtx(bool fail) {
  NILUS_RETURN_NOT_OK_CTX(FailIf(fail), "column 'a'");
  return Status::OK();
}

TEST(StatusTest, ReturnNotOkMacros) {
  int reached = 0;
  EXPECT_TRUE(UsesReturnNotOk(false, &reached).ok());
  EXPECT_EQ(reached, 1);
  Status st = UsesReturnNotOk(true, &reached);
  EXPECT_EQ(st.code(), StatusCode::kTypeError);
  EXPECT_EQ(reached, 1);
  EXPECT_TRUE(UsesReturnNotOkCtx(false).ok());
  EXPECT_EQ(UsesReturnNotOkCtx(true).message(), "column 'a': bad");
}

Result<int> Half(int v) {
  if (v % 2) return Status::Invalid("odd");
  return v / 2;
}

Result<int> Quarter(int v) {
  NILUS_ASSIGN_OR_RAISE(int half, Half(v));
  NILUS_ASSIGN_OR_RAISE(auto quarter, Half(half));
  return quarter;
}

TEST(ResultTest, ValueOrStatus) {
  Result<int> ok = Half(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 4);
  EXPECT_TRUE(ok.status().ok());
  Result<int> bad = Half(3);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.ValueOr(-1), -1);
  EXPECT_EQ(ok.ValueOr(-1), 4);
}

TEST(ResultTest, AssignOrRaise) {
  EXPECT_EQ(*Quarter(12), 3);
  EXPECT_EQ(Quarter(6).status().message(), "odd");  // 6 -> 3 -> odd
  EXPECT_EQ(Quarter(5).status().message(), "odd");
}

TEST(ResultTest, MoveOnlyValue) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r.value(), 7);
  std::unique_ptr<int> p = r.MoveValue();
  EXPECT_EQ(*p, 7);
}

}  // namespace
}  // namespace nilus
