#include "sim/core/discipline.h"

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/core/controlled_driver.h"
#include "sim/core/sync.h"

namespace vfiosim::sim {
namespace discipline_internal {
namespace {

bool Declares(const PendingOp& op, const void* obj, bool write) {
  if (op.kind == PendingOp::Kind::kNone) return false;
  return (op.obj == obj && (!write || op.write)) || (op.obj2 == obj && (!write || op.write2));
}

bool Holds(const Thread& t, const LockBase* l, bool write) {
  if (l == nullptr) return false;
  // A read section (Mutex::LockReadSection()) holds its lock for reading only.
  if (write && t.step_op.read_section && t.step_op.lock == l) return false;
  for (const HeldLock& h : t.held)
    if (h.lock == l && (h.write || !write)) return true;
  return false;
}

// The step's declared op, as the controlled driver prints it (DescribeOp).
std::string Describe(const PendingOp& op) {
  if (op.kind == PendingOp::Kind::kNone) return "nothing (the thread's first step)";
  return DescribeOp(op) + (op.read_section ? " (a read section)" : "");
}

}  // namespace

void Check(Thread* t, const void* obj, bool write, const char* what, const Guard& g) {
  // Setup and finally run alone: nothing to commute with.
  if (t->id() < 0 || !t->driver()->controlled()) return;
  const PendingOp& op = t->step_op;
  if (Declares(op, obj, write)) return;
  const bool guarded = g.lock || g.lock2 || g.point;
  if (guarded) {
    // Reads: any protector. Writes: all of them (that is what makes a reader
    // holding just one of them safe).
    const bool by_point = g.point && Declares(op, g.point, write);
    const bool by_lock = Holds(*t, g.lock, write), by_lock2 = Holds(*t, g.lock2, write);
    if (!write && (by_point || by_lock || by_lock2)) return;
    if (write && (!g.point || by_point) && (!g.lock || by_lock) && (!g.lock2 || by_lock2)) return;
  }
  std::string guard;
  const char* conj = write ? " and" : " or";
  if (g.lock) guard = absl::StrFormat("; it needs %s(%s)", g.lock->cls_name(), g.lock->instance());
  if (g.lock2)
    absl::StrAppendFormat(&guard, "%s%s(%s)", g.lock ? conj : "; it needs", g.lock2->cls_name(),
                          g.lock2->instance());
  if (g.lock || g.lock2) guard += write ? " held for write" : " held";
  if (g.point) absl::StrAppendFormat(&guard, "%s a step that declares the object it is kept with", guard.empty() ? "; it needs" : conj);
  std::vector<std::string> stack(t->funcs.begin(), t->funcs.end());
  throw DisciplineError(absl::StrFormat(
      "undeclared shared access: thread %s %s %s in %s, but its step declared %s%s (kernel stack: %s)", t->name(),
      write ? "writes" : "reads", what, t->current_func(), Describe(op), guard, absl::StrJoin(stack, " > ")));
}

}  // namespace discipline_internal

void CheckSectionEndedSlow(Thread* t) {
  if (t->id() < 0 || !t->driver()->controlled()) return;
  const LockBase* l = t->step_op.lock;
  for (const HeldLock& h : t->held) {
    if (h.lock != l) continue;
    std::vector<std::string> stack(t->funcs.begin(), t->funcs.end());
    throw DisciplineError(absl::StrFormat(
        "read section not ended: thread %s reaches a scheduling point in %s still holding %s(%s), which its "
        "step took with LockReadSection() (kernel stack: %s)",
        t->name(), t->current_func(), l->cls_name(), std::string(l->instance()), absl::StrJoin(stack, " > ")));
  }
}

}  // namespace vfiosim::sim
