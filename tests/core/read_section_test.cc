// Mutex::LockReadSection() (sim/core/sync.h): a mutex section declared to the
// explorer as a read, and the two promises the discipline check holds it to,
// run on the controlled driver (sim/core/controlled_driver.h) with a host that
// only steps.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/core/discipline.h"
#include "sim/core/sync.h"
#include "tests/step_host.h"

namespace vfiosim::sim {
namespace {

constexpr LockClassRef kClass{0, "resv"};

int shared_value = 0;  // the object the lock protects

Task<void> Section(Mutex* m, bool read_section, bool write, bool unlock_before_point) {
  co_await (read_section ? m->LockReadSection() : m->Lock());
  Touch(&shared_value, write, "value", Guard{m});
  if (unlock_before_point) m->Unlock();
  static int other = 0;
  co_await Access(&other, false, "other");
  if (!unlock_before_point) m->Unlock();
}

// Runs Section() to its end; true if a step threw DisciplineError.
bool LockStepFails(bool read_section, bool write, bool unlock_before_point) {
  Mutex m(kClass, "m");
  std::vector<Task<void>> tasks;
  tasks.push_back(Section(&m, read_section, write, unlock_before_point));
  try {
    RunThreadsOf(std::move(tasks));
  } catch (const DisciplineError&) {
    return true;
  }
  return false;
}

// A section held when its thread ends: the last step took it.
Task<void> SectionAtTheEnd(Mutex* m, bool read_section) {
  static int other = 0;
  co_await Access(&other, false, "other");
  co_await (read_section ? m->LockReadSection() : m->Lock());
}

TEST(ReadSection, IsDeclaredAsAReadOfTheLock) {
  Mutex m(kClass, "m");
  std::vector<Task<void>> tasks;
  tasks.push_back(Section(&m, true, false, true));
  tasks.push_back(Section(&m, true, false, true));
  tasks.push_back(Section(&m, false, false, true));
  const std::vector<PendingOp> p = RunThreadsOf(std::move(tasks), StepRun{.stop_at_first = true});
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].kind, PendingOp::Kind::kLock);
  EXPECT_FALSE(p[0].write);
  EXPECT_TRUE(p[0].read_section);
  EXPECT_FALSE(p[0].Conflicts(p[1])) << "two read sections commute";
  EXPECT_TRUE(p[0].Conflicts(p[2])) << "a read section and a mutex_lock() do not";
  EXPECT_TRUE(p[2].write);
}

// The lock is still taken exclusively: a second section waits for the first.
TEST(ReadSection, IsTakenExclusively) {
  Mutex m(kClass, "m");
  EXPECT_TRUE(m.CanAcquire(false));
  std::vector<Task<void>> tasks;
  tasks.push_back(SectionAtTheEnd(&m, /*read_section=*/false));
  RunThreadsOf(std::move(tasks));
  EXPECT_FALSE(m.CanAcquire(false)) << "a lock left held excludes a read section's acquisition";
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

// A thread has no next point after its last step: the check runs when it ends
// (ControlledDriver::NoteIfDone).
TEST(ReadSection, HoldingItToTheThreadsEndIsAnError) {
  Mutex m(kClass, "m"), n(kClass, "n");
  std::vector<Task<void>> tasks;
  tasks.push_back(SectionAtTheEnd(&m, /*read_section=*/true));
  EXPECT_THROW(RunThreadsOf(std::move(tasks)), DisciplineError);
  tasks.clear();
  tasks.push_back(SectionAtTheEnd(&n, /*read_section=*/false));
  EXPECT_NO_THROW(RunThreadsOf(std::move(tasks)));
}

}  // namespace
}  // namespace vfiosim::sim
