#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace nilus {
namespace {

TEST(ThreadPoolTest, RunsTasksAndReturnsResults) {
  ThreadPool pool(2);
  EXPECT_EQ(pool.num_threads(), 2);
  std::vector<std::future<int>> futures;
  for (int i = 0; i < 100; ++i) futures.push_back(pool.Submit([i] { return i * i; }));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(futures[i].get(), i * i);
}

TEST(ThreadPoolTest, VoidTasksAndMoveOnlyResults) {
  ThreadPool pool(1);
  std::atomic<int> counter{0};
  auto done = pool.Submit([&counter] { counter += 5; });
  done.get();
  EXPECT_EQ(counter.load(), 5);
  auto ptr = pool.Submit([] { return std::make_unique<std::string>("moved"); });
  EXPECT_EQ(*ptr.get(), "moved");
}

TEST(ThreadPoolTest, SingleThreadRunsInFifoOrder) {
  ThreadPool pool(1);
  std::vector<int> order;  // touched only by the one worker
  std::vector<std::future<void>> futures;
  for (int i = 0; i < 50; ++i) futures.push_back(pool.Submit([&order, i] { order.push_back(i); }));
  for (auto& f : futures) f.get();
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[i], i);
}

TEST(ThreadPoolTest, UsesSeveralThreads) {
  ThreadPool pool(2);
  // Two tasks that each wait for the other can only finish when they run at the same time.
  std::atomic<int> arrived{0};
  auto task = [&arrived] {
    ++arrived;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (arrived.load() < 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    return std::this_thread::get_id();
  };
  auto a = pool.Submit(task);
  auto b = pool.Submit(task);
  EXPECT_NE(a.get(), b.get());
  EXPECT_EQ(arrived.load(), 2);
}

TEST(ThreadPoolTest, DestructorFinishesQueuedTasks) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(2);
    for (int i = 0; i < 200; ++i) {
      // The futures are dropped: the pool alone must see the tasks through.
      (void)pool.Submit([&ran] { ++ran; });
    }
  }
  EXPECT_EQ(ran.load(), 200);
}

TEST(ThreadPoolTest, ExceptionsReachTheFuture) {
  ThreadPool pool(1);
  auto f = pool.Submit([]() -> int { throw std::runtime_error("boom"); });
  EXPECT_THROW(f.get(), std::runtime_error);
  // The worker survives.
  EXPECT_EQ(pool.Submit([] { return 1; }).get(), 1);
}

TEST(ThreadPoolTest, DefaultPool) {
  ThreadPool& pool = ThreadPool::Default();
  EXPECT_GE(pool.num_threads(), 1);
  EXPECT_EQ(&pool, &ThreadPool::Default());
  EXPECT_EQ(pool.Submit([] { return 3; }).get(), 3);
  ThreadPool sized(0);
  EXPECT_GE(sized.num_threads(), 1);
}

}  // namespace
}  // namespace nilus
