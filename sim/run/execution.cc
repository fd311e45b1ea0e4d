#include "sim/run/execution.h"

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/core/controlled_driver.h"
#include "sim/core/task.h"
#include "sim/scenario/printer.h"

namespace vfiosim::sim {

using scn::OpKind;

// The host of the controlled driver (sim/core/controlled_driver.h): runs the
// Program's statements as its threads, checks every step, records the trace.
struct Execution::Impl {
  Impl(const Program& p, const ExecOptions& o)
      : prog(p), opts(o), checker(o.record_trace), machine(p.machine, &checker), driver(*this, o.max_steps) {
    checker.set_machine(&machine);
    driver.lock_observer = &checker;
    driver.check_discipline = o.check_discipline;
    globals.resize(p.globals.size());
    locals.resize(p.threads.size());
    for (size_t i = 0; i < p.threads.size(); ++i) locals[i].resize(p.threads[i].vars.size());
  }

  const Program& prog;
  ExecOptions opts;
  Checker checker;
  Machine machine;
  std::vector<Value> globals;
  std::vector<std::vector<Value>> locals;
  ExecResult result;
  uint64_t stmts_done = 0;  // statements finished, by any thread
  std::vector<int> thread_stmts_done;  // per concurrent thread
  // Progress: a statement finished or an access reached device memory (one page
  // of a `touch`). --max_steps bounds the steps between two of these, so a long
  // `touch` is never cut by its size alone, and a livelock still is.
  uint64_t Progress() const { return stmts_done + checker.accesses(); }
  // Declared after the machine: the threads' unfinished tasks, which point into
  // it, are destroyed first.
  ControlledDriver<Impl> driver;

  Value& Get(const Slot& s) { return s.thread < 0 ? globals[s.index] : locals[s.thread][s.index]; }

  // ---- trace ----
  bool tracing() const { return opts.record_trace; }
  void Note(std::string text) {
    if (opts.record_trace) checker.Note(std::move(text));
  }
  // The row of thread t (its column: -1 setup/finally) at the driver's step.
  TraceRow& Row(Thread& t) {
    const int col = t.id();
    const int step = driver.step();
    if (result.trace.empty() || result.trace.back().thread != col || result.trace.back().step != step)
      result.trace.push_back(TraceRow{col, step, t.current_func(), {}});
    return result.trace.back();
  }
  void FlushEvents(Thread& t) {
    if (!opts.record_trace) return;
    for (TraceEvent& e : checker.TakeEvents()) Row(t).lines.push_back(std::move(e.text));
  }

  // ---- the driver's hooks (sim/core/controlled_driver.h) ----
  void OnStepStart(Thread& t) {
    if (!opts.record_trace) return;
    TraceRow& row = Row(t);  // opened now: its function is where the step starts
    if (t.pending.kind == PendingOp::Kind::kAccess) row.lines.push_back(DescribeOp(t.pending));
  }
  void OnStepEnd(Thread& t) { FlushEvents(t); }
  bool CheckStep() {
    checker.AfterStep();
    return !checker.violation();
  }
  void OnDeadlock(std::string message) { checker.Report(Invariant::kDeadlock, std::move(message)); }

  // ---- statements ----
  // The statement with all its operands and options, numbers as the file
  // wrote them ("command fd mem=0", "write p va+0x1000 0xdead").
  static std::string StmtText(const CompiledStmt& c) {
    return c.stmt->text.empty() ? scn::PrintStmt(*c.stmt) : c.stmt->text;
  }

  bool Handle(const CompiledOperand& o, Value* out) {
    if (o.kind != CompiledOperand::Kind::kVar || !o.slot.valid()) return false;
    *out = Get(o.slot);
    return !out->failed();
  }
  bool Addr(const CompiledOperand& o, uint64_t* a) {
    if (o.kind == CompiledOperand::Kind::kNumber) {
      *a = o.number;
      return true;
    }
    Value v;
    if (!Handle(o, &v)) return false;
    *a = v.v + static_cast<uint64_t>(o.offset);
    return true;
  }
  uint64_t Num(const CompiledOperand& o) {
    if (o.kind == CompiledOperand::Kind::kNumber) return o.number;
    Value v;
    return Handle(o, &v) ? v.v + static_cast<uint64_t>(o.offset) : 0;
  }

  // fdget() ... op ... fdput(): the fd-table lookup is a step of its own and the
  // file stays pinned while the op runs, as in the kernel. The fds are the
  // operands the op table types as device or dma-buf fds (CompiledStmt::fd_args, found
  // when the program is compiled); two of them (revoke <fd> <buf>) are looked up
  // in one step.
  Task<Value> Exec(const CompiledStmt& c) {
    const auto& fdargs = c.fd_args;
    Value h;
    if (fdargs.empty() || !Handle(c.args[fdargs[0]], &h)) co_return co_await ExecOp(c);
    absl::InlinedVector<std::pair<Value, mm::File*>, 2> pinned;
    Value h2;
    if (fdargs.size() > 1 && Handle(c.args[fdargs[1]], &h2)) {
      auto [f, g] = co_await machine.FdGet2(h, h2);
      if (f) pinned.push_back({h, f});
      if (g) pinned.push_back({h2, g});
    } else {
      mm::File* f = co_await machine.FdGet(h, Executor(c.stmt->op).fdget_write_table);
      if (f) pinned.push_back({h, f});
    }
    Value v = co_await ExecOp(c);
    for (auto [ph, pf] : pinned) co_await machine.FdPut(ph, pf);
    co_return v;
  }

  // ---- the executors: one per op, each the syscall or kernel entry it models ----
  struct OpExecutor {
    OpKind op;
    Task<Value> (Impl::*run)(const CompiledStmt&);
    bool fdget_write_table = false;  // the op changes the fd table (close)
  };
  static const OpExecutor& Executor(OpKind op);
  Task<Value> ExecOp(const CompiledStmt& c) { return (this->*Executor(c.stmt->op).run)(c); }

  static bool Writable(const scn::Stmt& st) {
    return st.prot.value_or(scn::Prot::kReadWrite) == scn::Prot::kReadWrite;
  }
  static bool ToD3(const scn::Stmt& st) {
    return st.power.value_or(scn::PowerTarget::kD3) == scn::PowerTarget::kD3;
  }

  // The shapes of the operands: the first operand a handle (else EBADF), or a
  // process and an address (else EBADF, or `bad_addr` for the address).
  template <typename Call>
  Task<Value> OnHandle(const CompiledStmt& c, Call call) {
    Value h;
    if (!Handle(c.args[0], &h)) co_return Value::Err(kEBADF);
    co_return co_await call(h);
  }
  template <typename Call>
  Task<Value> OnProcAddr(const CompiledStmt& c, Value bad_addr, Call call) {
    Value p;
    uint64_t a = 0;
    if (!Handle(c.args[0], &p)) co_return Value::Err(kEBADF);
    if (!Addr(c.args[1], &a)) co_return bad_addr;
    co_return co_await call(static_cast<int>(p.v), a);
  }

  // A fresh process (`process [nofile=<n>]`).
  Task<Value> NewProcess(const CompiledStmt& c) { co_return machine.OpProcess(c.stmt->nofile); }
  // open("/dev/vfio/devices/...") [in <proc>].
  Task<Value> SysOpen(const CompiledStmt& c) {
    std::optional<int> proc;
    if (c.in_proc) {
      Value p;
      if (!Handle(*c.in_proc, &p)) co_return Value::Err(kEBADF);
      proc = static_cast<int>(p.v);
    }
    co_return co_await machine.OpOpen(c.args[0].device, proc);
  }
  Task<Value> SysMmap(const CompiledStmt& c) {
    const scn::Stmt& st = *c.stmt;
    Value p, fd;
    if (!Handle(c.args[0], &p) || !Handle(c.args[1], &fd)) co_return Value::Err(kEBADF);
    std::optional<uint64_t> at;
    if (c.at) {
      uint64_t a = 0;
      if (!Addr(*c.at, &a)) co_return Value::Err(kEINVAL);
      at = a;
    }
    std::optional<int> bar;
    if (st.bar) bar = static_cast<int>(*st.bar);
    co_return co_await machine.OpMmap(static_cast<int>(p.v), fd, bar, st.offset.value_or(0), st.len, Writable(st), at);
  }
  Task<Value> SysMunmap(const CompiledStmt& c) {
    return OnProcAddr(c, Value::Err(kEINVAL), [&](int p, uint64_t a) { return machine.OpMunmap(p, a, c.stmt->len); });
  }
  // A CPU load, store, or a load of every page, through the process's page tables.
  Task<Value> UserLoad(const CompiledStmt& c) {
    return OnProcAddr(c, Value::Sig(kSIGSEGV), [&](int p, uint64_t a) { return machine.OpRead(p, a); });
  }
  Task<Value> UserStore(const CompiledStmt& c) {
    return OnProcAddr(c, Value::Sig(kSIGSEGV), [&](int p, uint64_t a) {
      return machine.OpWrite(p, a, static_cast<uint32_t>(Num(c.args[2])));
    });
  }
  Task<Value> UserTouch(const CompiledStmt& c) {
    return OnProcAddr(c, Value::Sig(kSIGSEGV),
                      [&](int p, uint64_t a) { return machine.OpTouch(p, a, c.stmt->len.value_or(4096)); });
  }
  // A config-space write of PCI_COMMAND (MEM on or off).
  Task<Value> PciCommandWrite(const CompiledStmt& c) {
    return OnHandle(c, [&](Value fd) { return machine.OpCommand(fd, c.stmt->mem.value_or(1) != 0); });
  }
  // ioctl(VFIO_DEVICE_RESET).
  Task<Value> VfioDeviceReset(const CompiledStmt& c) {
    return OnHandle(c, [&](Value fd) { return machine.OpReset(fd); });
  }
  // VFIO_DEVICE_FEATURE low-power entry/exit (`power <fd> d3|d0`).
  Task<Value> VfioLowPower(const CompiledStmt& c) {
    return OnHandle(c, [&](Value fd) { return machine.OpPower(fd, ToD3(*c.stmt)); });
  }
  // A config-space write of PMCSR (`pmcsr <fd> d3|d0`).
  Task<Value> PciPmcsrWrite(const CompiledStmt& c) {
    return OnHandle(c, [&](Value fd) { return machine.OpPmcsr(fd, ToD3(*c.stmt)); });
  }
  // ioctl(VFIO_DEVICE_GET_REGION_INFO).
  Task<Value> VfioRegionInfo(const CompiledStmt& c) {
    Value fd;
    if (!Handle(c.args[0], &fd)) co_return Value::Err(kEBADF);
    co_return co_await machine.OpInfo(fd, static_cast<int>(c.stmt->bar.value_or(0)));
  }
  // VFIO_DEVICE_FEATURE_DMA_BUF.
  Task<Value> VfioDmaBufExport(const CompiledStmt& c) {
    return OnHandle(c, [&](Value fd) {
      std::vector<vfio::ExportRange> ranges;
      for (const scn::ExportRange& r : c.stmt->ranges) ranges.push_back({r.offset, r.len});
      return machine.OpExport(fd, static_cast<int>(c.stmt->bar.value_or(0)), std::move(ranges));
    });
  }
  // dma_buf_dynamic_attach() / dma_buf_attach() (pinned).
  Task<Value> DmaBufAttach(const CompiledStmt& c) {
    return OnHandle(c, [&](Value buf) {
      return machine.OpAttach(buf,
                              c.stmt->attach_mode.value_or(scn::AttachMode::kDynamic) == scn::AttachMode::kDynamic);
    });
  }
  Task<Value> DmaBufMapAttachment(const CompiledStmt& c) {
    return OnHandle(c, [&](Value att) { return machine.OpMap(att); });
  }
  Task<Value> DmaBufUnmapAttachment(const CompiledStmt& c) {
    return OnHandle(c, [&](Value att) { return machine.OpUnmap(att); });
  }
  // The importer's device DMA through its mapped attachment.
  Task<Value> ImporterDma(const CompiledStmt& c) {
    return OnHandle(c, [&](Value att) { return machine.OpDma(att, Num(c.args[1])); });
  }
  Task<Value> DmaBufDetach(const CompiledStmt& c) {
    return OnHandle(c, [&](Value att) { return machine.OpDetach(att); });
  }
  // The exporter revokes its dma-buf (`revoke <fd> <buf>`).
  Task<Value> VfioDmaBufRevoke(const CompiledStmt& c) {
    Value fd, buf;
    if (!Handle(c.args[0], &fd) || !Handle(c.args[1], &buf)) co_return Value::Err(kEBADF);
    co_return co_await machine.OpRevoke(fd, buf);
  }
  Task<Value> SysFork(const CompiledStmt& c) {
    return OnHandle(c, [&](Value p) { return machine.OpFork(static_cast<int>(p.v)); });
  }
  Task<Value> SysClose(const CompiledStmt& c) {
    return OnHandle(c, [&](Value fd) { return machine.OpClose(fd); });
  }
  Task<Value> SysExit(const CompiledStmt& c) {
    return OnHandle(c, [&](Value p) { return machine.OpExit(static_cast<int>(p.v)); });
  }
  // ioctl(VFIO_IOMMU_MAP_DMA) of a user address range.
  Task<Value> VfioIommuMapDma(const CompiledStmt& c) {
    return OnProcAddr(c, Value::Err(kEFAULT), [&](int p, uint64_t a) {
      return machine.OpIommuMap(p, a, c.stmt->len.value_or(4096), Writable(*c.stmt));
    });
  }
  // ioctl(IOMMU_IOAS_MAP_FILE) of a dma-buf.
  Task<Value> IommufdMapFile(const CompiledStmt& c) {
    return OnHandle(c, [&](Value buf) { return machine.OpIommufdMap(buf); });
  }
  // ioctl(IOMMU_IOAS_UNMAP).
  Task<Value> IommufdUnmap(const CompiledStmt& c) {
    return OnHandle(c, [&](Value iova) { return machine.OpIommufdUnmap(iova); });
  }
  // pread(2) of a BAR through the device fd into a user buffer.
  Task<Value> SysPread(const CompiledStmt& c) {
    const scn::Stmt& st = *c.stmt;
    Value p, fd;
    uint64_t a = 0;
    if (!Handle(c.args[0], &p) || !Handle(c.args[2], &fd)) co_return Value::Err(kEBADF);
    if (!Addr(c.args[1], &a)) co_return Value::Err(kEFAULT);
    co_return co_await machine.OpPread(static_cast<int>(p.v), a, fd, static_cast<int>(st.bar.value_or(0)),
                                       st.offset.value_or(0));
  }
  // A peer device's DMA through an IOVA mapping.
  Task<Value> PeerDma(const CompiledStmt& c) {
    return OnHandle(c, [&](Value iova) { return machine.OpP2p(iova, Num(c.args[1])); });
  }

  // `thread`: the concurrent thread's id, -1 for setup and finally.
  Task<void> RunBlock(const std::vector<CompiledStmt>& stmts, int thread = -1) {
    for (const CompiledStmt& c : stmts) {
      if (opts.record_trace) Note(StmtText(c));
      Value v = co_await Exec(c);
      ++stmts_done;
      if (thread >= 0) {
        ++thread_stmts_done[static_cast<size_t>(thread)];
        // The stateful search keys the next op by what it reads from here (its
        // start runs in this step); the finished op's reads are in v.
        if (driver.touch_log) driver.touch_log->clear();
      }
      if (opts.record_trace) Note(absl::StrFormat("-> %s", ShowValue(c, v)));
      if (opts.setup_only)
        result.setup.push_back(SetupResult{c.stmt->loc.line, StmtText(c), ShowValue(c, v), v.failed()});
      if (c.bind.valid()) Get(c.bind) = v;
      if (checker.violation()) co_return;
    }
  }

  std::string ShowValue(const CompiledStmt& c, const Value& v) const {
    if (v.kind != Value::Kind::kHandle) {
      // Addresses, and the data a read/dma/p2p returns (register values, which
      // scenarios write in hex), in hex; small numbers read the same either way.
      if (v.kind == Value::Kind::kInt && (scn::ResultKind(c.stmt->op) == scn::HandleKind::kAddr || v.v >= 10))
        return absl::StrFormat("0x%x", v.v);
      return v.ToString();
    }
    return std::string(scn::HandleKindName(scn::ResultKind(c.stmt->op)));
  }

  // Setup, the threads, finally; each phase runs only if the one before completed.
  ExecResult Run(Chooser& chooser) {
    if (!Completed(driver.RunAlone(RunBlock(prog.setup), "setup")) || opts.setup_only) return Finish();
    driver.ReserveThreads(prog.threads.size());
    thread_stmts_done.assign(prog.threads.size(), 0);
    for (size_t i = 0; i < prog.threads.size(); ++i)
      driver.AddThread(prog.threads[i].name, RunBlock(prog.threads[i].stmts, static_cast<int>(i)));
    if (!Completed(driver.RunThreads(chooser))) return Finish();
    if (!Completed(driver.RunAlone(RunBlock(prog.finally), "finally"))) return Finish();
    checker.AtEnd();
    return Finish();
  }

  // Did the phase complete? If not, the result says how it ended (a violation,
  // and the deadlock the driver reported, Finish reads from the checker).
  bool Completed(PhaseEnd end) {
    switch (end) {
      case PhaseEnd::kComplete: return true;
      case PhaseEnd::kStopped: break;
      case PhaseEnd::kDeadlock: result.end = ExecResult::End::kDeadlock; break;
      case PhaseEnd::kAbandoned: result.end = ExecResult::End::kAbandoned; break;
      case PhaseEnd::kStepLimit: result.end = ExecResult::End::kStepLimit; break;
    }
    return false;
  }

  // How the run ended; a complete run's outcome and expectations.
  ExecResult Finish() {
    RecordSchedule();
    if (checker.violation()) {
      result.violation = checker.violation();
      if (result.end == ExecResult::End::kComplete) result.end = ExecResult::End::kViolation;
      if (result.violation->inv == Invariant::kDeadlock) result.end = ExecResult::End::kDeadlock;
    } else if (result.end == ExecResult::End::kComplete) {
      result.outcome = Outcome();
      for (const scn::Expectation& e : prog.scenario->expectations)
        result.expect_holds.push_back(e.cond ? EvalCond(*e.cond) : 1);
    }
    return std::move(result);
  }

  // The schedule and its counts, each thread's next op, the lock order seen.
  void RecordSchedule() {
    result.schedule = std::move(driver.stats.schedule);
    result.steps = driver.stats.steps;
    result.branch_points = driver.stats.branch_points;
    result.preemptions = driver.stats.preemptions;
    result.locks = checker.lock_graph();
    for (const Thread* t : driver.threads()) result.final_pending.push_back(t->done ? PendingOp{} : t->pending);
  }

  // Every bound variable of the threads and of finally (of setup too with
  // outcome_setup): "cpu.r=0 admin.c=ok".
  std::string Outcome() const {
    std::vector<std::string> parts;
    auto global = [&](const CompiledStmt& c) {
      if (c.bind.valid()) parts.push_back(Binding(prog.globals[c.bind.index], globals[c.bind.index]));
    };
    if (opts.outcome_setup)
      for (const CompiledStmt& c : prog.setup) global(c);
    for (size_t i = 0; i < prog.threads.size(); ++i)
      for (size_t j = 0; j < prog.threads[i].vars.size(); ++j)
        parts.push_back(Binding(prog.threads[i].vars[j], locals[i][j]));
    for (const CompiledStmt& c : prog.finally) global(c);
    return absl::StrJoin(parts, " ");
  }
  std::string Binding(const VarInfo& vi, const Value& v) const { return vi.name + "=" + ShowVar(vi, v); }

  std::string ShowVar(const VarInfo& vi, const Value& v) const {
    if (v.kind == Value::Kind::kHandle) return std::string(scn::HandleKindName(vi.kind));
    if (v.kind == Value::Kind::kInt && vi.kind == scn::HandleKind::kAddr) return absl::StrFormat("0x%x", v.v);
    return v.ToString();
  }

  // ---- expectations over the final state ----
  Value RefValue(const scn::CondRef& r) {
    if (r.kind == scn::CondRef::Kind::kPagesize) {
      uint64_t a = 0;
      Value p;
      if (!OperandValue(r.proc, &p) || !OperandAddr(r.addr, &a)) return Value::Int(0);
      return Value::Int(machine.PageSize(static_cast<int>(p.v), a));
    }
    const std::string name = r.kind == scn::CondRef::Kind::kThreadVar ? r.thread + "." + r.var : r.var;
    const Slot s = prog.Resolve(name);
    return s.valid() ? Get(s) : Value::Err(kEBADF);
  }
  bool OperandValue(const scn::Operand& o, Value* v) {
    if (o.is_number()) return false;
    const Slot s = prog.Resolve(o.name);
    if (!s.valid()) return false;
    *v = Get(s);
    return !v->failed();
  }
  bool OperandAddr(const scn::Operand& o, uint64_t* a) {
    if (o.is_number()) {
      *a = o.number;
      return true;
    }
    Value v;
    if (!OperandValue(o, &v)) return false;
    *a = v.v + static_cast<uint64_t>(o.offset);
    return true;
  }
  static bool Matches(const Value& v, const scn::CondValue& c) {
    switch (c.kind) {
      case scn::CondValue::Kind::kNumber: return v.kind == Value::Kind::kInt && v.v == c.number;
      case scn::CondValue::Kind::kOk: return v.kind == Value::Kind::kOk;
      case scn::CondValue::Kind::kErrno: {
        std::optional<int> e = ParseErrno(c.name);
        return v.kind == Value::Kind::kErrno && e && static_cast<uint64_t>(*e) == v.v;
      }
      case scn::CondValue::Kind::kSignal: {
        std::optional<int> s = ParseSignal(c.name);
        return v.kind == Value::Kind::kSignal && s && static_cast<uint64_t>(*s) == v.v;
      }
      case scn::CondValue::Kind::kMmap: return v.kind == Value::Kind::kMmap;
      case scn::CondValue::Kind::kNommap: return v.kind == Value::Kind::kNommap;
    }
    return false;
  }
  bool EvalCond(const scn::Cond& c) {
    switch (c.kind) {
      case scn::Cond::Kind::kEq: return Matches(RefValue(c.ref), c.values[0]);
      case scn::Cond::Kind::kNe: return !Matches(RefValue(c.ref), c.values[0]);
      case scn::Cond::Kind::kIn: {
        const Value v = RefValue(c.ref);
        for (const scn::CondValue& cv : c.values)
          if (Matches(v, cv)) return true;
        return false;
      }
      case scn::Cond::Kind::kMapped: {
        Value p;
        uint64_t a = 0;
        if (!OperandValue(c.proc, &p) || !OperandAddr(c.addr, &a)) return false;
        return machine.PageSize(static_cast<int>(p.v), a) != 0;
      }
      case scn::Cond::Kind::kRevoked: {
        Value b;
        if (!OperandValue(c.buf, &b)) return false;
        return machine.Revoked(b);
      }
      case scn::Cond::Kind::kAnd: return EvalCond(*c.lhs) && EvalCond(*c.rhs);
      case scn::Cond::Kind::kOr: return EvalCond(*c.lhs) || EvalCond(*c.rhs);
      case scn::Cond::Kind::kNot: return !EvalCond(*c.lhs);
    }
    return false;
  }
};

// The executor of each OpKind: the table is indexed by OpKind, as the op table
// (sim/scenario/ops.cc) is, and has exactly one row per op.
const Execution::Impl::OpExecutor& Execution::Impl::Executor(OpKind op) {
  static constexpr std::array<OpExecutor, scn::kNumOpKinds> kExecutors = {{
      {OpKind::kProcess, &Impl::NewProcess},
      {OpKind::kOpen, &Impl::SysOpen},
      {OpKind::kMmap, &Impl::SysMmap},
      {OpKind::kMunmap, &Impl::SysMunmap},
      {OpKind::kRead, &Impl::UserLoad},
      {OpKind::kWrite, &Impl::UserStore},
      {OpKind::kTouch, &Impl::UserTouch},
      {OpKind::kCommand, &Impl::PciCommandWrite},
      {OpKind::kReset, &Impl::VfioDeviceReset},
      {OpKind::kPower, &Impl::VfioLowPower},
      {OpKind::kInfo, &Impl::VfioRegionInfo},
      {OpKind::kExport, &Impl::VfioDmaBufExport},
      {OpKind::kAttach, &Impl::DmaBufAttach},
      {OpKind::kMap, &Impl::DmaBufMapAttachment},
      {OpKind::kUnmap, &Impl::DmaBufUnmapAttachment},
      {OpKind::kDma, &Impl::ImporterDma},
      {OpKind::kDetach, &Impl::DmaBufDetach},
      {OpKind::kRevoke, &Impl::VfioDmaBufRevoke},
      {OpKind::kFork, &Impl::SysFork},
      {OpKind::kClose, &Impl::SysClose, /*fdget_write_table=*/true},
      {OpKind::kExit, &Impl::SysExit},
      {OpKind::kIommuMap, &Impl::VfioIommuMapDma},
      {OpKind::kIommufdMap, &Impl::IommufdMapFile},
      {OpKind::kP2p, &Impl::PeerDma},
      {OpKind::kPmcsr, &Impl::PciPmcsrWrite},
      {OpKind::kIommufdUnmap, &Impl::IommufdUnmap},
      {OpKind::kPread, &Impl::SysPread},
  }};
  // A missing row leaves {OpKind 0, nullptr} at the end, out of order. (Not
  // `run != nullptr`: g++'s -fsanitize=undefined makes a member-pointer test
  // non-constant.)
  static_assert(
      [] {
        for (int i = 0; i < scn::kNumOpKinds; ++i)
          if (static_cast<int>(kExecutors[static_cast<size_t>(i)].op) != i) return false;
        return true;
      }(),
      "kExecutors: one executor per OpKind, in OpKind order");
  return kExecutors[static_cast<size_t>(op)];
}

Execution::Execution(const Program& p, const ExecOptions& o) : impl_(std::make_unique<Impl>(p, o)) {}
Execution::~Execution() = default;
ExecResult Execution::Run(Chooser& chooser) { return impl_->Run(chooser); }

void Execution::WriteSharedState(StateWriter& w) const {
  impl_->machine.WriteState(w);
  w.ToRest();
  impl_->checker.WriteState(w);
}

void Execution::WriteThreadState(int t, StateWriter& w) const {
  const size_t i = static_cast<size_t>(t);
  w.U64(static_cast<uint64_t>(impl_->thread_stmts_done[i]));
  w.Bool(impl_->driver.threads()[i]->done);
  for (const Value& v : impl_->locals[i]) {
    w.U64(static_cast<uint64_t>(v.kind));
    w.U64(v.v);
  }
}

int Execution::StatementsDone(int t) const { return impl_->thread_stmts_done[static_cast<size_t>(t)]; }

uint64_t Execution::StepsSinceProgress() const { return impl_->driver.steps_since_progress(); }

void Execution::LogTouches(TouchLog* log) { impl_->driver.touch_log = log; }

}  // namespace vfiosim::sim
