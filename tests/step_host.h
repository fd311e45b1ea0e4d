// Runs coroutines as the threads of one controlled driver
// (sim/core/controlled_driver.h) with a host that only steps: for tests of what
// code does inside steps (the discipline check, the touch log).
#pragma once

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/controlled_driver.h"
#include "sim/core/task.h"
#include "sim/core/thread.h"

namespace vfiosim::sim {

// The driver's hooks, doing nothing but making progress at every step.
struct StepHost {
  void OnStepStart(Thread&) {}
  void OnStepEnd(Thread&) { ++steps; }
  bool CheckStep() { return true; }
  uint64_t Progress() const { return steps; }
  void OnDeadlock(std::string) {}
  bool tracing() const { return false; }
  void Note(std::string) {}
  uint64_t steps = 0;
};

// The lowest enabled thread; at the first choice, remembers every pending op.
class FirstPendingChooser : public Chooser {
 public:
  int Choose(int, std::span<const int> enabled, std::span<Thread* const> threads) override {
    if (first.empty())
      for (Thread* t : threads) first.push_back(t->pending);
    return stop_at_first ? -1 : enabled[0];
  }
  bool stop_at_first = false;
  std::vector<PendingOp> first;
};

struct StepRun {
  bool stop_at_first = false;    // stop at the first choice (the threads' first points)
  bool check_discipline = true;
  TouchLog* touch_log = nullptr;  // Driver::touch_log
};

// Runs the tasks as threads to their end (or their first points); returns
// the pending ops at the first choice. Throws what a step throws.
inline std::vector<PendingOp> RunThreadsOf(std::vector<Task<void>> tasks, StepRun run = {}) {
  StepHost host;
  ControlledDriver<StepHost> d(host, 1000);
  d.check_discipline = run.check_discipline;
  d.touch_log = run.touch_log;
  d.ReserveThreads(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) {
    std::string name(1, 't');  // (not "t" + ...: g++ 12 -O3 warns, a false -Wrestrict)
    name += std::to_string(i);
    d.AddThread(std::move(name), std::move(tasks[i]));
  }
  FirstPendingChooser ch;
  ch.stop_at_first = run.stop_at_first;
  const PhaseEnd end = d.RunThreads(ch);
  EXPECT_EQ(end, run.stop_at_first ? PhaseEnd::kAbandoned : PhaseEnd::kComplete);
  return ch.first;
}

}  // namespace vfiosim::sim
