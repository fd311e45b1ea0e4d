// Execution: one run of a Program against a fresh Machine — setup single-threaded,
// the threads interleaved one step at a time as a Chooser decides, then finally —
// with the Checker watching every step. Deterministic: the same choices give the
// same result, byte for byte. The stepping is the controlled driver's
// (sim/core/controlled_driver.h); an Execution runs the Program's statements on
// it, checks each step, records the trace and says how the run ended.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/machine.h"
#include "sim/check/checker.h"
#include "sim/core/controlled_driver.h"  // Chooser, ScheduleChar
#include "sim/core/state_writer.h"
#include "sim/core/thread.h"
#include "sim/run/program.h"

namespace vfiosim::sim {

struct ExecOptions {
  bool record_trace = false;
  uint64_t max_steps = 100000;  // per schedule: a livelock guard
  // Fail (DisciplineError) on a touch of shared model state that the step's
  // scheduling point did not declare (sim/core/discipline.h).
  bool check_discipline = false;
  // Run setup alone and stop (ExecResult::setup says how each statement ended).
  bool setup_only = false;
  // Outcomes list setup's bound variables too, before the threads' (run
  // --outcomes_with_setup); setup runs alone, so they are the same in every
  // schedule unless setup's results are what the scenario is about.
  bool outcome_setup = false;
};

// How one setup statement ended (ExecOptions::setup_only).
struct SetupResult {
  int line = 0;
  std::string stmt;   // as written
  std::string value;  // "EINVAL", "0x1000000000", "process", ...
  bool failed = false;  // an errno or a signal
};

// One row of a recorded trace: a step of one thread.
struct TraceRow {
  int thread;          // column: 0..n-1 the threads; -1 setup/finally
  int step;            // step number (concurrent phase), -1 in setup/finally
  std::string func;    // kernel function the step runs in
  std::vector<std::string> lines;  // what happened
};

struct ExecResult {
  enum class End { kComplete, kViolation, kDeadlock, kAbandoned, kStepLimit };
  End end = End::kComplete;
  std::optional<Violation> violation;
  std::string schedule;  // the schedule id (choices at branching steps)
  int steps = 0;         // steps of the concurrent phase
  int branch_points = 0;
  int preemptions = 0;   // switches away from a thread that could have gone on
  std::string outcome;   // "cpu.r=0 admin.c=ok" (complete schedules)
  std::vector<char> expect_holds;  // per expectation (complete schedules): cond value
  LockGraph locks;
  std::vector<TraceRow> trace;
  // Each thread's next op when the execution ended (kNone: finished). Its object
  // pointers are only meaningful while the Execution that produced it lives.
  std::vector<PendingOp> final_pending;
  std::vector<SetupResult> setup;  // setup_only
  // kAbandoned at a state the stateful search had explored (set by the explorer).
  bool state_matched = false;
};

class Execution {
 public:
  Execution(const Program& p, const ExecOptions& o);
  ~Execution();
  ExecResult Run(Chooser& chooser);

  // The stateful search's view of the run between two steps (called from
  // Chooser::Choose): the shared state, written canonically
  // (sim/core/state_writer.h): the machine, whose bytes() are what a thread's
  // step reads, and in rest() the locks' states and the checker's memory; and
  // thread t's own position as far as it is not inside an op: which statement
  // it is at, whether it has finished, and its variables. Where a thread is
  // inside an op is the explorer's to track (sim/explore/state_cache.h).
  void WriteSharedState(StateWriter& w) const;
  void WriteThreadState(int t, StateWriter& w) const;
  // Statements thread t has finished.
  int StatementsDone(int t) const;
  // Steps since the run last made progress (--max-steps counts them).
  uint64_t StepsSinceProgress() const;
  // From now on, every sim::Touch() of the run appends its object to `log`
  // (Driver::touch_log): what the stateful search keys a step's reads by.
  void LogTouches(TouchLog* log);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vfiosim::sim
