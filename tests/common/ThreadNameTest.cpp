#include "common/ThreadName.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>

#include "common/PeriodicWorker.h"

namespace callwarden {
namespace {

std::string currentThreadName() {
  char buf[16] = {};
  pthread_getname_np(pthread_self(), buf, sizeof buf);
  return buf;
}

TEST(ThreadName, NamesTheCallingThreadCutToTheKernelLimit) {
  std::string short_name, long_name;
  std::thread([&] {
    nameCurrentThread("cw-test");
    short_name = currentThreadName();
  }).join();
  std::thread([&] {
    nameCurrentThread("cw-a-name-longer-than-fifteen");
    long_name = currentThreadName();
  }).join();
  EXPECT_EQ(short_name, "cw-test");
  EXPECT_EQ(long_name, "cw-a-name-longe");
}

TEST(PeriodicWorker, NamesItsThread) {
  std::promise<std::string> name;
  std::atomic<bool> told{false};
  PeriodicWorker worker("cw-periodic", std::chrono::hours(1), [&](PeriodicWorker::Tick) {
    if (!told.exchange(true)) name.set_value(currentThreadName());
  });
  auto f = name.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);  // first tick
  EXPECT_EQ(f.get(), "cw-periodic");
}

}  // namespace
}  // namespace callwarden
