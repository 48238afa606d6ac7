#include "common/SpinThenWaitMutex.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace callwarden {
namespace {

// More threads than cores, so holders are preempted and waiters both spin and sleep.
TEST(SpinThenWaitMutex, ExcludesAndLosesNoIncrement) {
  SpinThenWaitMutex mu;
  long counter = 0;  // deliberately not atomic: the mutex alone must protect it
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        std::lock_guard lock(mu);
        ++counter;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, 8 * 20000);
}

TEST(SpinThenWaitMutex, TryLockFailsWhileAnotherThreadHoldsIt) {
  SpinThenWaitMutex mu;
  mu.lock();
  bool got = true;
  std::thread([&] { got = mu.try_lock(); }).join();
  EXPECT_FALSE(got);
  mu.unlock();
  std::thread([&] {
    got = mu.try_lock();
    if (got) mu.unlock();
  }).join();
  EXPECT_TRUE(got);
}

// HttpConnectionPool waits on one with std::condition_variable_any.
TEST(SpinThenWaitMutex, WorksWithConditionVariableAny) {
  SpinThenWaitMutex mu;
  std::condition_variable_any cv;
  bool ready = false;
  std::unique_lock lock(mu);
  std::thread other([&] {
    std::lock_guard inner(mu);  // only once cv.wait() below has released it
    ready = true;
    cv.notify_one();
  });
  cv.wait(lock, [&] { return ready; });
  EXPECT_TRUE(ready);
  lock.unlock();
  other.join();
}

}  // namespace
}  // namespace callwarden
