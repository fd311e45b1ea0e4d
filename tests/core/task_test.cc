// sim::Task (sim/core/task.h): values and exceptions travel from a child
// coroutine to the task that awaits it and out of the driver; an exception
// (std::bad_alloc from model code) is not a std::terminate.
#include <gtest/gtest.h>

#include <new>
#include <stdexcept>
#include <string>

#include "sim/core/free_runner.h"
#include "sim/core/task.h"

namespace vfiosim::sim {
namespace {

Task<int> Leaf(int v) { co_return v * 2; }
Task<std::string> Name() { co_return std::string(100, 'x'); }  // not small-string: owns memory
Task<int> Sum() { co_return co_await Leaf(1) + co_await Leaf(2) + static_cast<int>((co_await Name()).size()); }

Task<int> Throws(bool really) {
  if (really) throw std::bad_alloc();
  co_return 1;
}
Task<void> Middle(bool really, int* after) {
  const int v = co_await Throws(really);
  *after = v;  // not reached when Throws threw
}
Task<int> Top(bool really, int* after) {
  co_await Middle(really, after);
  co_return 7;
}

TEST(Task, ValuesReachTheAwaiter) {
  FreeRunner r("t");
  EXPECT_EQ(r.Run(Sum()), 2 + 4 + 100);
}

TEST(Task, AnExceptionReachesTheDriverThroughEveryAwaiter) {
  FreeRunner r("t");
  int after = 0;
  EXPECT_EQ(r.Run(Top(false, &after)), 7);
  EXPECT_EQ(after, 1);
  after = 0;
  EXPECT_THROW(r.Run(Top(true, &after)), std::bad_alloc);
  EXPECT_EQ(after, 0);
  // The runner is usable again afterwards.
  EXPECT_EQ(r.Run(Leaf(21)), 42);
}

}  // namespace
}  // namespace vfiosim::sim
