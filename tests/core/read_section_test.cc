// Mutex::LockReadSection() (sim/core/sync.h): a mutex section declared to the
// explorer as a read, and the two promises the discipline check holds it to.
// A minimal controlled driver runs one thread step by step, as the explorer's
// driver does: at each point it copies the pending op into step_op and resumes.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "sim/core/discipline.h"
#include "sim/core/sync.h"
#include "sim/core/task.h"
#include "sim/core/thread.h"

namespace vfiosim::sim {
namespace {

constexpr LockClassRef kClass{0, "resv"};

class Stepper : public Driver {
 public:
  Stepper() : Driver(/*controlled=*/true), thread_(0, "t", this) { check_discipline = true; }

  // Runs `task` to its first point.
  void Start(Task<void> task) {
    task_.emplace(std::move(task));
    task_->handle().promise().thread = &thread_;
    Resume(task_->handle());
  }
  // Runs the thread's next step (its pending op and on to its next point).
  void Step() {
    thread_.step_op = thread_.pending;
    Resume(thread_.resume_point);
  }
  bool done() const { return task_->handle().done(); }
  const PendingOp& pending() const { return thread_.pending; }

 private:
  void Resume(std::coroutine_handle<> h) {
    Thread* saved = Thread::current;
    Thread::current = &thread_;
    h.resume();
    Thread::current = saved;
    if (task_->handle().done()) task_->await_resume();  // rethrows what the step threw
  }
  Thread thread_;
  std::optional<Task<void>> task_;
};

int shared_value = 0;  // the object the lock protects

Task<void> Section(Mutex* m, bool read_section, bool write, bool unlock_before_point) {
  co_await (read_section ? m->LockReadSection() : m->Lock());
  Touch(&shared_value, write, "value", Guard{m});
  if (unlock_before_point) m->Unlock();
  static int other = 0;
  co_await Access(&other, false, "other");
  if (!unlock_before_point) m->Unlock();
}

// Runs Section() through its lock step; true if that step threw DisciplineError.
bool LockStepFails(bool read_section, bool write, bool unlock_before_point) {
  Mutex m(kClass, "m");
  Stepper d;
  d.Start(Section(&m, read_section, write, unlock_before_point));
  try {
    d.Step();  // the section
    d.Step();  // the access
  } catch (const DisciplineError&) {
    return true;
  }
  EXPECT_TRUE(d.done());
  return false;
}

TEST(ReadSection, IsDeclaredAsAReadOfTheLock) {
  Mutex m(kClass, "m");
  Stepper a, b, c;
  a.Start(Section(&m, true, false, true));
  b.Start(Section(&m, true, false, true));
  c.Start(Section(&m, false, false, true));
  EXPECT_EQ(a.pending().kind, PendingOp::Kind::kLock);
  EXPECT_FALSE(a.pending().write);
  EXPECT_TRUE(a.pending().read_section);
  EXPECT_FALSE(a.pending().Conflicts(b.pending())) << "two read sections commute";
  EXPECT_TRUE(a.pending().Conflicts(c.pending())) << "a read section and a mutex_lock() do not";
  EXPECT_TRUE(c.pending().write);
  // The lock is still taken exclusively: a waiter cannot get it meanwhile.
  EXPECT_TRUE(m.CanAcquire(false));
}

TEST(ReadSection, ReadingAndUnlockingWithinTheStepIsAllowed) {
  EXPECT_FALSE(LockStepFails(/*read_section=*/true, /*write=*/false, /*unlock_before_point=*/true));
}

TEST(ReadSection, AWriteUnderItIsAnError) {
  EXPECT_TRUE(LockStepFails(/*read_section=*/true, /*write=*/true, /*unlock_before_point=*/true));
  // The same write under mutex_lock() is fine.
  EXPECT_FALSE(LockStepFails(/*read_section=*/false, /*write=*/true, /*unlock_before_point=*/true));
}

TEST(ReadSection, HoldingItToTheNextPointIsAnError) {
  EXPECT_TRUE(LockStepFails(/*read_section=*/true, /*write=*/false, /*unlock_before_point=*/false));
  EXPECT_FALSE(LockStepFails(/*read_section=*/false, /*write=*/false, /*unlock_before_point=*/false));
}

}  // namespace
}  // namespace vfiosim::sim
