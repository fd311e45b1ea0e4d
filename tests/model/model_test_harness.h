// Shared by tests/model/model_*_test.cc: builds a Machine with a Checker as its
// observer and runs model ops synchronously (sim::FreeRunner), running the
// checker's after-step check (stale-pte) after every op; or, with
// `stepwise`, one scheduling point at a time (StepRunner). Interleaving runs
// several ops as threads in an order the test writes down.
//
//   Harness h({.variant = Variant::kLegacy, .bars = {{0, 2 * kMiB}}});
//   const int p = h.Process();
//   const Value fd = h.Open(p);
//   const uint64_t va = h.MmapBarOk(p, fd, 0);
//   EXPECT_EQ(h.Read(p, va), Value::Int(0));
//   EXPECT_EQ(h.Leaves(p).size(), 1u);
//   EXPECT_FALSE(h.violation());
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "model/arch.h"
#include "model/bugs.h"
#include "model/kconfig/kernel_kconfig.h"
#include "model/lock_class.h"
#include "model/machine.h"
#include "model/mm/page_table.h"
#include "model/value.h"
#include "sim/check/checker.h"
#include "sim/check/invariant.h"
#include "sim/core/driver.h"
#include "sim/core/free_runner.h"
#include "sim/core/sync.h"
#include "sim/core/thread.h"
#include "sim/run/kernel_config.h"

namespace vfiosim {

// Readable gtest output for op results.
inline void PrintTo(const Value& v, std::ostream* os) { *os << v.ToString(); }

namespace testing_model {

inline constexpr uint64_t kKiB = 1024;
inline constexpr uint64_t kMiB = 1024 * kKiB;
inline constexpr uint64_t kGiB = 1024 * kMiB;
inline constexpr int kPteShift = 12, kPmdShift = 21, kPudShift = 30;

inline std::string VariantParamName(const ::testing::TestParamInfo<Variant>& info) {
  return info.param == Variant::kLegacy ? "Legacy" : "Dmabuf";
}

struct BarDef {
  int index;
  uint64_t size;
  bool io = false;
};

// A controlled driver for several threads whose interleaving the test writes
// down: each Step() resumes one thread up to its next scheduling point, then
// runs the checker's after-step check. Used to replay by hand the schedules
// that the explorer would find for races a straight line cannot show.
class Interleaving : public sim::Driver {
 public:
  explicit Interleaving(sim::Checker& checker) : sim::Driver(true), checker_(checker) {
    lock_observer = &checker;
  }
  int Spawn(sim::Task<Value> task, std::string name) {
    const int i = static_cast<int>(tasks_.size());
    threads_.push_back(std::make_unique<sim::Thread>(i, std::move(name), this));
    tasks_.push_back(std::move(task));
    tasks_.back().handle().promise().thread = threads_.back().get();
    threads_.back()->resume_point = tasks_.back().handle();
    return i;
  }
  bool done(int i) const { return tasks_[i].handle().done(); }
  const sim::Thread& thread(int i) const { return *threads_[i]; }
  // The thread waits for a lock it cannot take now.
  bool blocked(int i) const {
    const sim::PendingOp& op = threads_[i]->pending;
    return !done(i) && op.kind == sim::PendingOp::Kind::kLock && !op.lock->CanAcquire(op.write);
  }
  // One step of thread i; false when it is done or blocked.
  bool Step(int i) {
    if (done(i) || blocked(i)) return false;
    sim::Thread& t = *threads_[i];
    t.pending = sim::PendingOp{};
    sim::Thread* saved = sim::Thread::current;
    sim::Thread::current = &t;
    t.resume_point.resume();
    sim::Thread::current = saved;
    checker_.AfterStep();
    return true;
  }
  // Steps thread i until `before_next(thread)` holds for the op it will do
  // next; false if it finished or blocked first.
  bool RunUntil(int i, const std::function<bool(const sim::Thread&)>& before_next) {
    while (Step(i))
      if (!done(i) && before_next(*threads_[i])) return true;
    return false;
  }
  // Runs thread i to its end; false if it blocks.
  bool Finish(int i) {
    while (Step(i)) {
    }
    return done(i);
  }
  Value result(int i) { return tasks_[i].await_resume(); }
  // Runs the threads to their ends, each step by the lowest-numbered thread
  // that can run; false on a deadlock (every unfinished thread blocked).
  bool FinishAll() {
    for (;;) {
      bool stepped = false, unfinished = false;
      for (int i = 0; i < static_cast<int>(tasks_.size()) && !stepped; ++i) {
        if (done(i)) continue;
        unfinished = true;
        stepped = Step(i);
      }
      if (!unfinished) return true;
      if (!stepped) return false;
    }
  }

  // Predicates for RunUntil().
  static std::function<bool(const sim::Thread&)> AboutToLock(LockClass cls, bool write) {
    return [=](const sim::Thread& t) {
      return t.pending.kind == sim::PendingOp::Kind::kLock && t.pending.lock->cls() == static_cast<int>(cls) &&
             t.pending.write == write;
    };
  }
  // About to take a lock of `cls` while running in kernel function `func_prefix`*.
  static std::function<bool(const sim::Thread&)> AboutToLockIn(LockClass cls, std::string func_prefix) {
    return [=](const sim::Thread& t) {
      return t.pending.kind == sim::PendingOp::Kind::kLock && t.pending.lock->cls() == static_cast<int>(cls) &&
             std::string(t.current_func()).rfind(func_prefix, 0) == 0;
    };
  }

 private:
  sim::Checker& checker_;
  std::vector<std::unique_ptr<sim::Thread>> threads_;
  std::vector<sim::Task<Value>> tasks_;
};

struct HarnessOptions {
  Arch arch = Arch::kX86_64;
  Variant variant = Variant::kDmabuf;
  std::vector<BarDef> bars = {{0, 2 * kMiB}};
  bool noreset = false;
  int devices = 1;
  std::vector<Bug> bugs = {};
  vfio::FixOptions fixes = {};
  // Kconfig settings on top of the arch defaults, evaluated with the variant's
  // rules (model/kconfig), then `tweak` may override the derived facts.
  std::vector<kconfig::Setting> kconfig = {};
  std::function<void(vfio::KernelConfig&)> tweak = nullptr;
  // `--fix=p2pdma-core`: VFIO_PCI_CORE selects PCI_P2PDMA_CORE.
  bool p2pdma_core_fix = false;
  // Run every op one scheduling point at a time under a controlled driver
  // (StepRunner), with the checker's after-step check after every step, as the
  // explorer runs `setup`; otherwise ops run straight through (FreeRunner) and
  // the check runs once per op.
  bool stepwise = false;
};

// A controlled driver for one lone thread: resumes it one step (scheduling
// point) at a time and runs the checker's after-step check after each step.
class StepRunner : public sim::Driver {
 public:
  StepRunner() : sim::Driver(true), thread_(0, "test", this) {}

  Value Run(sim::Task<Value> task, sim::Checker& checker) {
    task.handle().promise().thread = &thread_;
    thread_.resume_point = task.handle();
    thread_.pending = sim::PendingOp{};
    while (!task.handle().done()) {
      if (thread_.pending.kind == sim::PendingOp::Kind::kLock &&
          !thread_.pending.lock->CanAcquire(thread_.pending.write)) {
        ADD_FAILURE() << "a lone thread blocks on a lock it cannot take";
        return Value::Err(kEBUSY);
      }
      thread_.pending = sim::PendingOp{};
      sim::Thread* saved = sim::Thread::current;
      sim::Thread::current = &thread_;
      thread_.resume_point.resume();
      sim::Thread::current = saved;
      ++steps_;
      checker.AfterStep();
    }
    return task.await_resume();
  }
  uint64_t steps() const { return steps_; }

 private:
  sim::Thread thread_;
  uint64_t steps_ = 0;
};

class Harness {
 public:
  explicit Harness(HarnessOptions o) : opts_(std::move(o)), checker_(false), runner_("test") {
    MachineConfig cfg;
    cfg.arch = opts_.arch;
    cfg.ctx.variant = opts_.variant;
    absl::StatusOr<kconfig::Config> kc =
        kconfig::Evaluate(opts_.arch, opts_.variant, opts_.kconfig, {.p2pdma_core_fix = opts_.p2pdma_core_fix});
    if (!kc.ok()) {
      ADD_FAILURE() << "kconfig: " << kc.status();
    } else {
      cfg.ctx.config = sim::KernelConfigOf(*kc);
    }
    if (opts_.tweak) opts_.tweak(cfg.ctx.config);
    cfg.ctx.fixes = opts_.fixes;
    for (Bug b : opts_.bugs) cfg.ctx.bugs.add(b);
    for (int d = 0; d < opts_.devices; ++d) {
      DeviceSpec ds;
      ds.name = d == 0 ? "gpu" : "gpu" + std::to_string(d);
      ds.bdf = "0000:0" + std::to_string(d + 1) + ":00.0";
      ds.noreset = opts_.noreset;
      for (const BarDef& b : opts_.bars) {
        BarSpec& bs = ds.bars[b.index];
        bs.present = true;
        bs.size = b.size;
        bs.mem64 = true;
        bs.io = b.io;
      }
      cfg.devices.push_back(std::move(ds));
    }
    machine_ = std::make_unique<Machine>(cfg, &checker_);
    checker_.set_machine(machine_.get());
    runner_.lock_observer = &checker_;
    stepper_.lock_observer = &checker_;
  }

  Machine& m() { return *machine_; }
  sim::Checker& checker() { return checker_; }
  const std::optional<sim::Violation>& violation() const { return checker_.violation(); }
  // The invariant the checker reported, or "" when none.
  std::string ViolationName() const {
    return violation() ? std::string(sim::InvariantName(violation()->inv)) : std::string();
  }

  // Runs one op to completion, then the checker's after-step check.
  Value Run(sim::Task<Value> t) {
    if (opts_.stepwise) return stepper_.Run(std::move(t), checker_);
    Value v = runner_.Run(std::move(t));
    checker_.AfterStep();
    return v;
  }

  // ---- ops ----
  int Process() { return static_cast<int>(machine_->OpProcess().v); }
  Value Open(int proc, int device = 0) { return Run(machine_->OpOpen(device, proc)); }
  Value Mmap(int proc, Value fd, int bar, uint64_t offset = 0, std::optional<uint64_t> len = std::nullopt,
             std::optional<uint64_t> at = std::nullopt, bool writable = true) {
    return Run(machine_->OpMmap(proc, fd, bar, offset, len, writable, at));
  }
  // mmap of a dma-buf fd.
  Value MmapBuf(int proc, Value buf, uint64_t offset = 0, std::optional<uint64_t> len = std::nullopt,
                std::optional<uint64_t> at = std::nullopt) {
    return Run(machine_->OpMmap(proc, buf, std::nullopt, offset, len, true, at));
  }
  Value Munmap(int proc, uint64_t va, std::optional<uint64_t> len = std::nullopt) {
    return Run(machine_->OpMunmap(proc, va, len));
  }
  Value Read(int proc, uint64_t va) { return Run(machine_->OpRead(proc, va)); }
  Value Write(int proc, uint64_t va, uint32_t v) { return Run(machine_->OpWrite(proc, va, v)); }
  Value Touch(int proc, uint64_t va, uint64_t len) { return Run(machine_->OpTouch(proc, va, len)); }
  Value Command(Value fd, bool mem) { return Run(machine_->OpCommand(fd, mem)); }
  Value Reset(Value fd) { return Run(machine_->OpReset(fd)); }
  Value Power(Value fd, bool d3) { return Run(machine_->OpPower(fd, d3)); }
  Value Info(Value fd, int bar) { return Run(machine_->OpInfo(fd, bar)); }
  Value Export(Value fd, int bar, std::vector<vfio::ExportRange> ranges = {}) {
    return Run(machine_->OpExport(fd, bar, std::move(ranges)));
  }
  Value Attach(Value buf, bool dynamic = true) { return Run(machine_->OpAttach(buf, dynamic)); }
  Value Map(Value att) { return Run(machine_->OpMap(att)); }
  Value Unmap(Value att) { return Run(machine_->OpUnmap(att)); }
  Value Dma(Value att, uint64_t off) { return Run(machine_->OpDma(att, off)); }
  Value Detach(Value att) { return Run(machine_->OpDetach(att)); }
  Value Revoke(Value fd, Value buf) { return Run(machine_->OpRevoke(fd, buf)); }
  int Fork(int proc) {
    Value v = Run(machine_->OpFork(proc));
    EXPECT_EQ(v.kind, Value::Kind::kHandle) << v.ToString();
    return static_cast<int>(v.v);
  }
  Value Close(Value h) { return Run(machine_->OpClose(h)); }
  Value Exit(int proc) { return Run(machine_->OpExit(proc)); }
  void AtEnd() { checker_.AtEnd(); }

  // mmap that must succeed; returns the address.
  uint64_t MmapBarOk(int proc, Value fd, int bar, uint64_t offset = 0, std::optional<uint64_t> len = std::nullopt,
                     std::optional<uint64_t> at = std::nullopt) {
    const Value v = Mmap(proc, fd, bar, offset, len, at);
    EXPECT_EQ(v.kind, Value::Kind::kInt) << "mmap failed: " << v.ToString();
    return v.v;
  }

  // ---- state ----
  mm::Mm& mm(int proc) { return *machine_->processes()[proc].mm; }
  const mm::PageTable& pt(int proc) { return mm(proc).pt; }
  std::optional<mm::Leaf> Leaf(int proc, uint64_t va) { return pt(proc).Lookup(va); }
  std::vector<mm::Leaf> Leaves(int proc) {
    std::vector<mm::Leaf> out;
    pt(proc).ForEachLeaf(0, ~uint64_t{0}, [&](const mm::Leaf& l) { out.push_back(l); });
    return out;
  }
  size_t PresentLeaves(int proc) { return pt(proc).present_leaves(); }
  vfio::VfioPciCoreDevice& vdev(int d = 0) { return machine_->vdevs()[d]; }
  pci::PciDevice& pdev(int d = 0) { return machine_->devices()[d]; }
  uint64_t BarPfn(int bar, int d = 0) { return pdev(d).bars[bar].start >> 12; }
  // The dma-buf (exporter private data) with the given id, or the newest one.
  vfio::VfioPciDmaBuf* Priv(int index = -1) {
    std::vector<vfio::VfioPciDmaBuf*> all = machine_->AllDmaBufs();
    if (all.empty()) return nullptr;
    return index < 0 ? all.back() : all[static_cast<size_t>(index)];
  }
  // The dma-buf behind a VMA (dmabuf variant BAR mmap, or an mmapped export).
  vfio::VfioPciDmaBuf* VmaPriv(int proc, uint64_t va) {
    mm::Vma* v = mm(proc).VmaLookup(va);
    if (!v || !v->vm_file || v->vm_file->kind() != mm::File::Kind::kDmaBuf) return nullptr;
    return static_cast<vfio::VfioPciDmaBuf*>(v->vm_private_data);
  }

 private:
  HarnessOptions opts_;
  sim::Checker checker_;
  std::unique_ptr<Machine> machine_;
  sim::FreeRunner runner_;
  StepRunner stepper_;
};

// Fixture of the model tests that run in both variants (instantiate with
// VariantParamName): Opts() is HarnessOptions for GetParam(), with `bars`
// (default_bars when not given) and `arch`.
class VariantTest : public ::testing::TestWithParam<Variant> {
 protected:
  HarnessOptions Opts() const { return Opts(default_bars); }
  HarnessOptions Opts(std::vector<BarDef> bars, Arch arch = Arch::kX86_64) const {
    HarnessOptions o;
    o.arch = arch;
    o.variant = GetParam();
    o.bars = std::move(bars);
    return o;
  }
  std::vector<BarDef> default_bars = {{0, 2 * kMiB}};
};

}  // namespace testing_model
}  // namespace vfiosim
