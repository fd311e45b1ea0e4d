// sim::Thread: one simulated kernel thread (a scenario `thread`, or setup/finally).
//
// A thread is a stack of sim::Task coroutines. It stops only at scheduling points
// (sync.h), where it announces the operation it will perform next (PendingOp).
// The controlled driver decides which thread performs its pending op next; that op
// and everything up to the thread's following point is one step. Model code obeys
// one rule that makes steps commute exactly when their pending ops do: between two
// points it touches only the object its pending op named, objects protected by a
// lock it holds, and its own locals.
#pragma once

#include <coroutine>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vfiosim::sim {

class LockBase;
class Driver;

struct PendingOp {
  enum class Kind : uint8_t { kNone, kAccess, kLock };
  Kind kind = Kind::kNone;
  bool write = false;           // access: store; lock: exclusive (write) acquisition
  const void* obj = nullptr;    // the object touched (the lock itself for kLock)
  const char* what = "";        // human name of the object kind ("memory_lock", "pte", "mmio")
  LockBase* lock = nullptr;     // kLock
  // A second object the same indivisible step touches (e.g. a DMA reads the
  // importer's mapping and the device's MMIO in one step), with its own mode.
  const void* obj2 = nullptr;
  bool write2 = false;
  // kLock of a Mutex::LockReadSection(): the lock is taken exclusively but
  // declared as read (write == false), since the section ends within the step
  // and only reads (sync.h).
  bool read_section = false;

  // Two pending ops conflict (do not commute) when they touch a common object and
  // at least one of the two touches writes it. Shared (read) acquisitions of an
  // rwsem commute.
  bool Conflicts(const PendingOp& o) const {
    auto c = [](const void* a, bool wa, const void* b, bool wb) {
      return a != nullptr && a == b && (wa || wb);
    };
    return c(obj, write, o.obj, o.write) || c(obj, write, o.obj2, o.write2) ||
           c(obj2, write2, o.obj, o.write) || c(obj2, write2, o.obj2, o.write2);
  }
};

struct HeldLock {
  LockBase* lock;
  bool write;
};

class Thread {
 public:
  Thread(int id, std::string name, Driver* driver) : id_(id), name_(std::move(name)), driver_(driver) {
    held.reserve(8);
    funcs.reserve(16);
  }

  int id() const { return id_; }
  const std::string& name() const { return name_; }
  Driver* driver() const { return driver_; }

  // Where to resume and what will happen when resumed (set at each point).
  std::coroutine_handle<> resume_point;
  PendingOp pending;
  // The op the running step performs (pending, as it was when the driver chose
  // the thread): what the discipline check (discipline.h) allows it to touch.
  PendingOp step_op;
  bool done = false;

  // Locks held, in acquisition order (lockdep, and "is memory_lock write-held").
  // Reserved up front (see the constructor): a Thread lives for one execution,
  // and growing these anew in every schedule was a tenth of exploration's
  // allocations. (absl::InlinedVector saved those too but cost ~140 more
  // instructions per fault in its push/erase paths.)
  std::vector<HeldLock> held;

  // sim::RetryScope's open on this thread, and whether it logged a read
  // (Driver::touch_log) since the innermost began or retried: the stateful
  // search's first node reads them (sim/explore/thread_history.h).
  int retry_scopes = 0;
  bool read_in_scope = false;

  // Kernel-function stack for traces (FuncScope pushes/pops).
  std::vector<const char*> funcs;
  const char* current_func() const { return funcs.empty() ? "" : funcs.back(); }

  // The thread the calling code runs on. Set by the driver before it resumes a
  // thread (controlled) or when a worker starts (free-running).
  // Defined here, constant-initialised: every TU then addresses it directly
  // (local-exec TLS). Declared `extern`-style instead, GCC 12 checks the TLS
  // address for null under -fsanitize=null with an `add` whose flags the
  // linker's IE->LE relaxation turns into a flag-less `lea`, and UBSan reported
  // "store to null pointer" in FreeRunner::Start (tests/sanitizers.sh).
  static inline thread_local Thread* current = nullptr;

 private:
  int id_;
  std::string name_;
  Driver* driver_;
};

// RAII marker: "the code below runs in kernel function F" (for traces).
class FuncScope {
 public:
  explicit FuncScope(const char* f);
  ~FuncScope();
  FuncScope(const FuncScope&) = delete;
  FuncScope& operator=(const FuncScope&) = delete;

 private:
  Thread* t_;
};

}  // namespace vfiosim::sim
