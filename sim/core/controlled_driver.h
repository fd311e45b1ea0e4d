// Runs simulated threads one step at a time, as a Chooser decides: the
// controlled driver. Every scheduling point (sync.h) suspends a thread back to
// it; a step is the chosen thread's pending op and everything up to its next
// point. It keeps the threads and their root tasks, which threads are enabled
// (unfinished and not blocked on a lock), the schedule id and the step counts,
// and the livelock guard (at most max_steps steps between two of progress). The
// explorer runs it through Execution (sim/run/execution.h), the free-running
// driver is FreeRunner (free_runner.h).
//
// What a step means is the host's (Execution's, sim/run/execution.cc): its trace
// rows, the checks after each step, what counts as progress, how a deadlock is
// reported. ControlledDriver<Host> calls these directly, not through virtual
// functions, so the exploration hot path pays no indirect call for them:
//   void OnStepStart(Thread& t);   // a step of the concurrent phase is about to run t
//   void OnStepEnd(Thread& t);     // t was resumed and stopped at its next point, or ended
//   bool CheckStep();              // after every step: false stops the phase (kStopped)
//   uint64_t Progress() const;     // grows when the run makes progress
//   void OnDeadlock(std::string message);
//   bool tracing() const;  void Note(std::string);  // Driver's, forwarded
#pragma once

#include <algorithm>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/driver.h"
#include "sim/core/sync.h"
#include "sim/core/task.h"
#include "sim/core/thread.h"

namespace vfiosim::sim {

// Decides which thread runs next at each step of the concurrent phase.
class Chooser {
 public:
  virtual ~Chooser() = default;
  // `enabled`: runnable thread ids, ascending (never empty). `threads`: all
  // threads, with their pending ops. Returns one of `enabled`, or -1 to abandon
  // the execution (e.g. every enabled thread is in the sleep set).
  virtual int Choose(int step, std::span<const int> enabled, std::span<Thread* const> threads) = 0;
};

// Always the lowest enabled thread: what `--replay` continues with past the end
// of a schedule id.
class FirstChooser : public Chooser {
 public:
  int Choose(int, std::span<const int> enabled, std::span<Thread* const>) override { return enabled[0]; }
};

// The thread-id character of a schedule id ('0'-'9', 'a'-'z', 'A'-'Z').
inline char ScheduleChar(int t) {
  if (t < 10) return static_cast<char>('0' + t);
  if (t < 36) return static_cast<char>('a' + t - 10);
  return static_cast<char>('A' + t - 36);
}
// -1 if not a schedule character.
inline int ScheduleThread(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 36;
  return -1;
}

// A thread's pending op as traces and deadlock messages print it:
// "lock memory_lock(vdev0)", "read pte", "start" (kNone).
std::string DescribeOp(const PendingOp& op);

// How a phase (a lone thread, or the concurrent threads) ended.
enum class PhaseEnd : uint8_t {
  kComplete,   // every thread finished
  kStopped,    // the host's CheckStep() said stop
  kDeadlock,   // reported to the host (OnDeadlock)
  kAbandoned,  // the Chooser gave up (-1)
  kStepLimit,  // max_steps steps without progress
};

// The concurrent phase's choices.
struct ScheduleStats {
  std::string schedule;  // the schedule id: the thread chosen at each branching step
  int steps = 0;
  int branch_points = 0;
  int preemptions = 0;  // switches away from a thread that could have gone on
};

template <class Host>
class ControlledDriver final : public Driver {
 public:
  ControlledDriver(Host& host, uint64_t max_steps) : Driver(true), host_(host), max_steps_(max_steps) {}

  bool tracing() const override { return host_.tracing(); }
  void Note(std::string text) override { host_.Note(std::move(text)); }

  // Runs `root` to completion alone, on a thread of its own (id -1): setup, finally.
  PhaseEnd RunAlone(Task<void> root, const char* name);

  // The threads of the concurrent phase get ids 0, 1, ... in the order added.
  void ReserveThreads(size_t n) {
    threads_.reserve(n);
    tptrs_.reserve(n);
    roots_.reserve(n);
  }
  void AddThread(const std::string& name, Task<void> root) {
    threads_.push_back(std::make_unique<Thread>(static_cast<int>(threads_.size()), name, this));
    tptrs_.push_back(threads_.back().get());
    roots_.push_back(std::move(root));
    roots_.back().handle().promise().thread = threads_.back().get();
    threads_.back()->resume_point = roots_.back().handle();
  }
  // The concurrent phase: each thread up to its first point, then one step at a
  // time, as `chooser` decides, until every thread has finished.
  PhaseEnd RunThreads(Chooser& chooser);

  std::span<Thread* const> threads() const { return tptrs_; }
  // The step running (a trace row's step), -1 outside the concurrent phase.
  int step() const { return step_; }
  // Steps of the concurrent phase since the host last made progress (what
  // max_steps bounds), as of the chooser's current decision.
  uint64_t steps_since_progress() const { return since_progress_; }
  ScheduleStats stats;

 private:
  static void Resume(Thread& t) {
    Thread::current = &t;
    std::coroutine_handle<> h = t.resume_point;
    h.resume();
    Thread::current = nullptr;
  }
  // Waits for a lock it cannot take now.
  static bool Blocked(const Thread& t) {
    return t.pending.kind == PendingOp::Kind::kLock && !t.pending.lock->CanAcquire(t.pending.write);
  }
  // Marks thread i done when its root task has finished (and rethrows what it
  // threw). A thread that ends is past its last point: a read section its last
  // step took must have ended too (sync.h's other check runs at the next point).
  void NoteIfDone(int i) {
    if (roots_[i].handle().done()) {
      tptrs_[i]->done = true;
      roots_[i].RethrowIfFailed();
      CheckSectionEnded(tptrs_[i]);
    }
  }
  bool RunToFirstPoints();
  bool CollectEnabled(std::vector<int>& enabled) const;
  std::string DescribeDeadlock() const;
  void CountChoice(int choice, const std::vector<int>& enabled, int last_thread);
  void RunStep(int step, int choice);

  Host& host_;
  const uint64_t max_steps_;
  int step_ = -1;
  uint64_t since_progress_ = 0;
  // Declared before roots_: a task suspended in a thread is destroyed (running
  // its frames' destructors, which may touch the thread) while the thread lives.
  std::vector<std::unique_ptr<Thread>> threads_;
  std::vector<Thread*> tptrs_;
  std::vector<Task<void>> roots_;
};

template <class Host>
PhaseEnd ControlledDriver<Host>::RunAlone(Task<void> root, const char* name) {
  Thread t(-1, name, this);
  // A local declared after `t` (not the parameter, which the caller destroys
  // after `t` is gone): an unfinished task is destroyed while its thread lives.
  Task<void> task = std::move(root);
  task.handle().promise().thread = &t;
  t.resume_point = task.handle();
  uint64_t n = 0;  // steps since the last progress
  uint64_t mark = host_.Progress();
  while (!task.handle().done()) {
    Resume(t);
    host_.OnStepEnd(t);
    if (!host_.CheckStep()) return PhaseEnd::kStopped;
    if (host_.Progress() != mark) {
      mark = host_.Progress();
      n = 0;
    } else if (++n > max_steps_) {
      return PhaseEnd::kStepLimit;
    }
    // A lone thread blocked on a lock it cannot get: a self-deadlock.
    if (!task.handle().done() && Blocked(t)) {
      host_.OnDeadlock(std::string(name) + " blocks on " + DescribeOp(t.pending) + " it cannot take");
      return PhaseEnd::kDeadlock;
    }
  }
  task.RethrowIfFailed();
  return PhaseEnd::kComplete;
}

template <class Host>
PhaseEnd ControlledDriver<Host>::RunThreads(Chooser& chooser) {
  if (!RunToFirstPoints()) return PhaseEnd::kStopped;
  std::vector<int> enabled;
  enabled.reserve(tptrs_.size());
  int last_thread = -1;
  int progress_step = 0;  // the step after the last progress
  uint64_t mark = host_.Progress();
  for (int step = 0;; ++step) {
    if (!CollectEnabled(enabled)) break;  // every thread has finished
    if (enabled.empty()) {
      host_.OnDeadlock(DescribeDeadlock());
      return PhaseEnd::kDeadlock;
    }
    since_progress_ = static_cast<uint64_t>(step - progress_step);
    if (since_progress_ >= max_steps_) return PhaseEnd::kStepLimit;
    const int choice = chooser.Choose(step, enabled, tptrs_);
    if (choice < 0) return PhaseEnd::kAbandoned;
    CountChoice(choice, enabled, last_thread);
    last_thread = choice;
    RunStep(step, choice);
    if (host_.Progress() != mark) {
      mark = host_.Progress();
      progress_step = step + 1;
    }
    if (!host_.CheckStep()) return PhaseEnd::kStopped;
  }
  step_ = -1;
  return PhaseEnd::kComplete;
}

// Each thread runs to its first scheduling point: that prefix is local to the
// thread (it only reads setup's variables), so it commutes with everything.
template <class Host>
bool ControlledDriver<Host>::RunToFirstPoints() {
  for (int i = 0; i < static_cast<int>(tptrs_.size()); ++i) {
    Resume(*tptrs_[i]);
    NoteIfDone(i);
    host_.OnStepEnd(*tptrs_[i]);
    if (!host_.CheckStep()) return false;
  }
  return true;
}

// The enabled threads, ascending; false when every thread has finished.
template <class Host>
bool ControlledDriver<Host>::CollectEnabled(std::vector<int>& enabled) const {
  enabled.clear();
  bool unfinished = false;
  for (int i = 0; i < static_cast<int>(tptrs_.size()); ++i) {
    const Thread& t = *tptrs_[i];
    if (t.done) continue;
    unfinished = true;
    if (Blocked(t)) continue;
    enabled.push_back(i);
  }
  return unfinished;
}

template <class Host>
std::string ControlledDriver<Host>::DescribeDeadlock() const {
  std::string who;
  for (const Thread* t : tptrs_)
    if (!t->done) {
      if (!who.empty()) who += "; ";
      who += t->name() + " waits for " + DescribeOp(t->pending);
    }
  return "every unfinished thread is blocked: " + who;
}

template <class Host>
void ControlledDriver<Host>::CountChoice(int choice, const std::vector<int>& enabled, int last_thread) {
  if (enabled.size() > 1) {
    stats.schedule.push_back(ScheduleChar(choice));
    stats.branch_points++;
  }
  if (last_thread >= 0 && choice != last_thread &&
      std::find(enabled.begin(), enabled.end(), last_thread) != enabled.end())
    stats.preemptions++;
}

// The chosen thread performs its pending op and runs on to its next point.
template <class Host>
void ControlledDriver<Host>::RunStep(int step, int choice) {
  Thread& t = *tptrs_[choice];
  step_ = step;
  host_.OnStepStart(t);
  t.step_op = t.pending;
  t.pending = PendingOp{};
  Resume(t);
  NoteIfDone(choice);
  host_.OnStepEnd(t);
  stats.steps = step + 1;
}

}  // namespace vfiosim::sim
