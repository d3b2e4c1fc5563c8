#include "storage/fault_injection_file_io.h"

#include <gtest/gtest.h>

#include "storage/memory_file_io.h"

namespace nilus {
namespace {

class FaultInjectionTest : public ::testing::Test {
 protected:
  MemoryFileIO mem_;
  FaultInjectionFileIO io_{&mem_};
};

TEST_F(FaultInjectionTest, PassesThroughWhenDisarmed) {
  ASSERT_TRUE(io_.WriteFile("a", "hello").ok());
  auto out = io_.NewOutputStream("b");
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Write("x").ok());
  ASSERT_TRUE((*out)->Write("yz").ok());
  EXPECT_EQ((*out)->Tell(), 3);
  ASSERT_TRUE((*out)->Close().ok());
  EXPECT_EQ(*mem_.ReadFile("a"), "hello");
  EXPECT_EQ(*io_.ReadFile("b"), "xyz");
  EXPECT_EQ(io_.num_writes(), 3);
  EXPECT_EQ(io_.num_streams(), 2);
  EXPECT_EQ(io_.num_faults(), 0);
  EXPECT_TRUE(*io_.Exists("a"));
  EXPECT_EQ(io_.List("")->size(), 2u);
  ASSERT_TRUE(io_.Delete("a").ok());
  EXPECT_FALSE(*mem_.Exists("a"));
}

TEST_F(FaultInjectionTest, FailsNthWriteAcrossStreams) {
  io_.FailWrite(3);
  auto first = io_.NewOutputStream("first");
  auto second = io_.NewOutputStream("second");
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE((*first)->Write("1").ok());   // write #1
  ASSERT_TRUE((*second)->Write("2").ok());  // write #2
  Status st = (*first)->Write("3");         // write #3
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_TRUE(st.retryable());
  EXPECT_NE(st.message().find("first"), std::string::npos) << st.ToString();
  EXPECT_EQ((*first)->Tell(), 1);  // nothing of write #3 reached the stream
  EXPECT_EQ(io_.num_faults(), 1);

  // The failed stream stays failed and publishes nothing.
  EXPECT_FALSE((*first)->Write("4").ok());
  EXPECT_FALSE((*first)->Close().ok());
  EXPECT_FALSE(*mem_.Exists("first"));

  // Other streams carry on; the fault fired once.
  ASSERT_TRUE((*second)->Write("5").ok());
  ASSERT_TRUE((*second)->Close().ok());
  EXPECT_EQ(*mem_.ReadFile("second"), "25");
  EXPECT_EQ(io_.num_writes(), 4);  // #4 on the failed stream was refused before counting
  EXPECT_EQ(io_.num_faults(), 1);
}

TEST_F(FaultInjectionTest, TruncatesNthWrite) {
  io_.TruncateWrite(2, 3);
  auto out = io_.NewOutputStream("torn");
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Write("abc").ok());
  Status st = (*out)->Write("defghij");
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_FALSE(st.retryable());
  // The prefix reached the underlying stream.
  EXPECT_EQ((*out)->Tell(), 6);
  EXPECT_FALSE((*out)->Close().ok());
  EXPECT_EQ(mem_.num_files(), 0u);
}

TEST_F(FaultInjectionTest, TruncateKeepsAtMostTheWrite) {
  io_.TruncateWrite(1, 100);
  auto out = io_.NewOutputStream("t");
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE((*out)->Write("short").ok());
  EXPECT_EQ((*out)->Tell(), 5);
}

TEST_F(FaultInjectionTest, FailsCloseOfNthStream) {
  io_.FailClose(2);
  ASSERT_TRUE(io_.WriteFile("s1", "one").ok());
  Status st = io_.WriteFile("s2", "two");
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_NE(st.message().find("s2"), std::string::npos);
  ASSERT_TRUE(io_.WriteFile("s3", "three").ok());
  EXPECT_TRUE(*mem_.Exists("s1"));
  EXPECT_FALSE(*mem_.Exists("s2"));
  EXPECT_TRUE(*mem_.Exists("s3"));
  EXPECT_EQ(io_.num_streams(), 3);
  EXPECT_EQ(io_.num_faults(), 1);
}

TEST_F(FaultInjectionTest, FailsOpeningUntilCleared) {
  ASSERT_TRUE(mem_.WriteFile("in", "data").ok());
  io_.set_fail_open_input_file(true);
  io_.set_fail_new_output_stream(true);
  auto in = io_.OpenInputFile("in");
  EXPECT_EQ(in.status().code(), StatusCode::kIOError);
  EXPECT_TRUE(in.status().retryable());
  EXPECT_FALSE(io_.NewOutputStream("out").ok());
  EXPECT_EQ(io_.num_streams(), 0);
  EXPECT_EQ(io_.num_faults(), 2);
  io_.Disarm();
  EXPECT_EQ(*io_.ReadFile("in"), "data");
  EXPECT_TRUE(io_.WriteFile("out", "x").ok());
}

TEST_F(FaultInjectionTest, DisarmKeepsCounters) {
  io_.FailWrite(2);
  ASSERT_TRUE(io_.WriteFile("a", "1").ok());
  io_.Disarm();
  ASSERT_TRUE(io_.WriteFile("b", "2").ok());
  EXPECT_EQ(io_.num_writes(), 2);
  EXPECT_EQ(io_.num_faults(), 0);
}

TEST_F(FaultInjectionTest, AbortForwards) {
  auto out = io_.NewOutputStream("gone");
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Write("x").ok());
  (*out)->Abort();
  EXPECT_FALSE((*out)->Close().ok());
  EXPECT_EQ(mem_.num_files(), 0u);
}

// Every write position of a multi-write job, failed in turn, must leave no file behind: the
// shape of the crash tests a writer should run.
TEST_F(FaultInjectionTest, SweepEveryWrite) {
  auto job = [](FileIO* io) -> Status {
    NILUS_ASSIGN_OR_RAISE(auto out, io->NewOutputStream("job"));
    for (int i = 0; i < 5; ++i) NILUS_RETURN_NOT_OK(out->Write(std::string(10, 'a' + i)));
    return out->Close();
  };
  for (int n = 1; n <= 5; ++n) {
    MemoryFileIO mem;
    FaultInjectionFileIO io(&mem);
    io.FailWrite(n);
    EXPECT_FALSE(job(&io).ok()) << n;
    EXPECT_EQ(mem.num_files(), 0u) << n;
  }
  MemoryFileIO mem;
  FaultInjectionFileIO io(&mem);
  ASSERT_TRUE(job(&io).ok());
  EXPECT_EQ(mem.total_bytes(), 50);
}

}  // namespace
}  // namespace nilus
