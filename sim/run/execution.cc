#include "sim/run/execution.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/core/driver.h"
#include "sim/core/task.h"
#include "sim/scenario/printer.h"

namespace vfiosim::sim {

char ScheduleChar(int t) {
  if (t < 10) return static_cast<char>('0' + t);
  if (t < 36) return static_cast<char>('a' + t - 10);
  return static_cast<char>('A' + t - 36);
}
int ScheduleThread(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 36;
  return -1;
}

namespace {

using scn::OpKind;

std::string DescribeOp(const PendingOp& op) {
  switch (op.kind) {
    case PendingOp::Kind::kLock:
      return absl::StrFormat("%s %s(%s)", op.write ? "lock" : "lock_read", op.what,
                             std::string(op.lock->instance()));
    case PendingOp::Kind::kAccess:
      return absl::StrFormat("%s %s", op.write ? "write" : "read", op.what);
    case PendingOp::Kind::kNone:
      break;
  }
  return "start";
}

}  // namespace

struct Execution::Impl : public Driver {
  Impl(const Program& p, const ExecOptions& o)
      : Driver(true), prog(p), opts(o), checker(o.record_trace), machine(p.machine, &checker) {
    checker.set_machine(&machine);
    lock_observer = &checker;
    check_discipline = o.check_discipline;
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
  int cur_step = -1;
  int cur_column = -1;
  uint64_t stmts_done = 0;  // statements finished, by any thread
  // Progress: a statement finished or an access reached device memory (one page
  // of a `touch`). --max_steps bounds the steps between two of these, so a long
  // `touch` is never cut by its size alone, and a livelock still is.
  uint64_t Progress() const { return stmts_done + checker.accesses(); }
  std::vector<std::unique_ptr<Thread>> threads_;

  Value& Get(const Slot& s) { return s.thread < 0 ? globals[s.index] : locals[s.thread][s.index]; }

  // ---- trace ----
  bool tracing() const override { return opts.record_trace; }
  void Note(std::string text) override {
    if (opts.record_trace) checker.Note(std::move(text));
  }
  TraceRow& Row(Thread* t) {
    const int col = cur_column;
    if (result.trace.empty() || result.trace.back().thread != col || result.trace.back().step != cur_step)
      result.trace.push_back(TraceRow{col, cur_step, t ? t->current_func() : "", {}});
    return result.trace.back();
  }
  void FlushEvents(Thread* t) {
    if (!opts.record_trace) return;
    for (TraceEvent& e : checker.TakeEvents()) Row(t).lines.push_back(std::move(e.text));
  }

  // ---- statements ----
  // The statement with all its operands and options, numbers as the file
  // wrote them ("command fd mem=0", "write p va+0x1000 0xdead").
  static std::string StmtText(const CStmt& c) {
    return c.stmt->text.empty() ? scn::PrintStmt(*c.stmt) : c.stmt->text;
  }

  bool Handle(const COperand& o, Value* out) {
    if (o.kind != COperand::Kind::kVar || !o.slot.valid()) return false;
    *out = Get(o.slot);
    return !out->failed();
  }
  bool Addr(const COperand& o, uint64_t* a) {
    if (o.kind == COperand::Kind::kNumber) {
      *a = o.number;
      return true;
    }
    Value v;
    if (!Handle(o, &v)) return false;
    *a = v.v + static_cast<uint64_t>(o.offset);
    return true;
  }
  uint64_t Num(const COperand& o) {
    if (o.kind == COperand::Kind::kNumber) return o.number;
    Value v;
    return Handle(o, &v) ? v.v + static_cast<uint64_t>(o.offset) : 0;
  }

  // Which operand of an op is an fd (device or dma-buf) the syscall looks up.
  static int FdOperand(OpKind op) {
    switch (op) {
      case OpKind::kMmap: return 1;
      case OpKind::kPread: return 2;
      case OpKind::kCommand: case OpKind::kReset: case OpKind::kPower: case OpKind::kPmcsr: case OpKind::kInfo:
      case OpKind::kExport: case OpKind::kAttach: case OpKind::kRevoke: case OpKind::kClose:
      case OpKind::kIommufdMap:
        return 0;
      default:
        return -1;
    }
  }

  // fdget() ... op ... fdput(): the fd-table lookup is a step of its own and the
  // file stays pinned while the op runs, as in the kernel.
  Task<Value> Exec(const CStmt& c) {
    const int fdarg = FdOperand(c.stmt->op);
    Value h;
    if (fdarg < 0 || !Handle(c.args[static_cast<size_t>(fdarg)], &h)) co_return co_await ExecOp(c);
    absl::InlinedVector<std::pair<Value, mm::File*>, 2> pinned;
    Value h2;
    if (c.stmt->op == OpKind::kRevoke && Handle(c.args[1], &h2)) {
      // revoke <fd> <buf>: both fds in one lookup step.
      auto [f, g] = co_await machine.FdGet2(h, h2);
      if (f) pinned.push_back({h, f});
      if (g) pinned.push_back({h2, g});
    } else {
      mm::File* f = co_await machine.FdGet(h, c.stmt->op == OpKind::kClose);
      if (f) pinned.push_back({h, f});
    }
    Value v = co_await ExecOp(c);
    for (auto [ph, pf] : pinned) co_await machine.FdPut(ph, pf);
    co_return v;
  }

  Task<Value> ExecOp(const CStmt& c) {
    const scn::Stmt& st = *c.stmt;
    Machine& m = machine;
    Value h0, h1;
    uint64_t a = 0;
    const auto& args = c.args;
    switch (st.op) {
      case OpKind::kProcess:
        co_return m.OpProcess(st.nofile);
      case OpKind::kOpen: {
        std::optional<int> proc;
        if (c.in_proc) {
          if (!Handle(*c.in_proc, &h0)) co_return Value::Err(kEBADF);
          proc = static_cast<int>(h0.v);
        }
        co_return co_await m.OpOpen(args[0].device, proc);
      }
      case OpKind::kMmap: {
        if (!Handle(args[0], &h0) || !Handle(args[1], &h1)) co_return Value::Err(kEBADF);
        std::optional<uint64_t> at;
        if (c.at) {
          if (!Addr(*c.at, &a)) co_return Value::Err(kEINVAL);
          at = a;
        }
        std::optional<int> bar;
        if (st.bar) bar = static_cast<int>(*st.bar);
        co_return co_await m.OpMmap(static_cast<int>(h0.v), h1, bar, st.offset.value_or(0), st.len,
                                    st.prot.value_or(scn::Prot::kReadWrite) == scn::Prot::kReadWrite, at);
      }
      case OpKind::kMunmap:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        if (!Addr(args[1], &a)) co_return Value::Err(kEINVAL);
        co_return co_await m.OpMunmap(static_cast<int>(h0.v), a, st.len);
      case OpKind::kRead:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        if (!Addr(args[1], &a)) co_return Value::Sig(kSIGSEGV);
        co_return co_await m.OpRead(static_cast<int>(h0.v), a);
      case OpKind::kWrite:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        if (!Addr(args[1], &a)) co_return Value::Sig(kSIGSEGV);
        co_return co_await m.OpWrite(static_cast<int>(h0.v), a, static_cast<uint32_t>(Num(args[2])));
      case OpKind::kTouch:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        if (!Addr(args[1], &a)) co_return Value::Sig(kSIGSEGV);
        co_return co_await m.OpTouch(static_cast<int>(h0.v), a, st.len.value_or(4096));
      case OpKind::kCommand:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        co_return co_await m.OpCommand(h0, st.mem.value_or(1) != 0);
      case OpKind::kReset:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        co_return co_await m.OpReset(h0);
      case OpKind::kPower:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        co_return co_await m.OpPower(h0, st.power.value_or(scn::PowerTarget::kD3) == scn::PowerTarget::kD3);
      case OpKind::kPmcsr:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        co_return co_await m.OpPmcsr(h0, st.power.value_or(scn::PowerTarget::kD3) == scn::PowerTarget::kD3);
      case OpKind::kInfo:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        co_return m.OpInfo(h0, static_cast<int>(st.bar.value_or(0)));
      case OpKind::kExport: {
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        std::vector<vfio::ExportRange> ranges;
        for (const scn::ExportRange& r : st.ranges) ranges.push_back({r.offset, r.len});
        co_return co_await m.OpExport(h0, static_cast<int>(st.bar.value_or(0)), std::move(ranges));
      }
      case OpKind::kAttach:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        co_return co_await m.OpAttach(h0, st.attach_mode.value_or(scn::AttachMode::kDynamic) ==
                                              scn::AttachMode::kDynamic);
      case OpKind::kMap:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        co_return co_await m.OpMap(h0);
      case OpKind::kUnmap:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        co_return co_await m.OpUnmap(h0);
      case OpKind::kDma:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        co_return co_await m.OpDma(h0, Num(args[1]));
      case OpKind::kDetach:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        co_return co_await m.OpDetach(h0);
      case OpKind::kRevoke:
        if (!Handle(args[0], &h0) || !Handle(args[1], &h1)) co_return Value::Err(kEBADF);
        co_return co_await m.OpRevoke(h0, h1);
      case OpKind::kFork:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        co_return co_await m.OpFork(static_cast<int>(h0.v));
      case OpKind::kClose:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        co_return co_await m.OpClose(h0);
      case OpKind::kExit:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        co_return co_await m.OpExit(static_cast<int>(h0.v));
      case OpKind::kIommuMap:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        if (!Addr(args[1], &a)) co_return Value::Err(kEFAULT);
        co_return co_await m.OpIommuMap(static_cast<int>(h0.v), a, st.len.value_or(4096),
                                        st.prot.value_or(scn::Prot::kReadWrite) == scn::Prot::kReadWrite);
      case OpKind::kIommufdMap:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        co_return co_await m.OpIommufdMap(h0);
      case OpKind::kIommufdUnmap:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        co_return co_await m.OpIommufdUnmap(h0);
      case OpKind::kPread:
        if (!Handle(args[0], &h0) || !Handle(args[2], &h1)) co_return Value::Err(kEBADF);
        if (!Addr(args[1], &a)) co_return Value::Err(kEFAULT);
        co_return co_await m.OpPread(static_cast<int>(h0.v), a, h1, static_cast<int>(st.bar.value_or(0)),
                                     st.offset.value_or(0));
      case OpKind::kP2p:
        if (!Handle(args[0], &h0)) co_return Value::Err(kEBADF);
        co_return co_await m.OpP2p(h0, Num(args[1]));
    }
    co_return Value::Err(kEINVAL);
  }

  Task<void> RunBlock(const std::vector<CStmt>& stmts) {
    for (const CStmt& c : stmts) {
      if (opts.record_trace) Note(StmtText(c));
      Value v = co_await Exec(c);
      ++stmts_done;
      if (opts.record_trace) Note(absl::StrFormat("-> %s", ShowValue(c, v)));
      if (opts.setup_only)
        result.setup.push_back(SetupResult{c.stmt->loc.line, StmtText(c), ShowValue(c, v), v.failed()});
      if (c.bind.valid()) Get(c.bind) = v;
      if (checker.violation()) co_return;
    }
  }

  std::string ShowValue(const CStmt& c, const Value& v) const {
    if (v.kind != Value::Kind::kHandle) {
      // Addresses, and the data a read/dma/p2p returns (register values, which
      // scenarios write in hex), in hex; small numbers read the same either way.
      if (v.kind == Value::Kind::kInt && (scn::ResultKind(c.stmt->op) == scn::HandleKind::kAddr || v.v >= 10))
        return absl::StrFormat("0x%x", v.v);
      return v.ToString();
    }
    return std::string(scn::HandleKindName(scn::ResultKind(c.stmt->op)));
  }

  // Runs one thread to completion, alone (setup, finally).
  bool RunAlone(const std::vector<CStmt>& stmts, const char* name) {
    Thread t(-1, name, this);
    Task<void> root = RunBlock(stmts);
    root.handle().promise().thread = &t;
    t.resume_point = root.handle();
    cur_column = -1;
    uint64_t n = 0;  // steps since the last progress
    uint64_t mark = Progress();
    while (!root.handle().done()) {
      Thread::current = &t;
      std::coroutine_handle<> h = t.resume_point;
      h.resume();
      Thread::current = nullptr;
      FlushEvents(&t);
      checker.AfterStep();
      if (checker.violation()) return false;
      if (Progress() != mark) {
        mark = Progress();
        n = 0;
      } else if (++n > opts.max_steps) {
        result.end = ExecResult::End::kStepLimit;
        return false;
      }
      // A lone thread blocked on a lock it cannot get: a self-deadlock.
      if (!root.handle().done() && t.pending.kind == PendingOp::Kind::kLock &&
          !t.pending.lock->CanAcquire(t.pending.write)) {
        checker.Report(Invariant::kDeadlock, absl::StrFormat("%s blocks on %s it cannot take", name, DescribeOp(t.pending)));
        return false;
      }
    }
    root.RethrowIfFailed();
    return true;
  }

  ExecResult Run(Chooser& chooser) {
    if (!RunAlone(prog.setup, "setup") || opts.setup_only) return Finish();
    // The threads: start each up to its first point.
    const int n = static_cast<int>(prog.threads.size());
    std::vector<std::unique_ptr<Thread>>& threads = threads_;
    std::vector<Thread*> tptrs;
    std::vector<Task<void>> roots;
    roots.reserve(n);
    for (int i = 0; i < n; ++i) {
      threads.push_back(std::make_unique<Thread>(i, prog.threads[i].name, this));
      tptrs.push_back(threads.back().get());
      roots.push_back(RunBlock(prog.threads[i].stmts));
      roots.back().handle().promise().thread = threads.back().get();
      threads.back()->resume_point = roots.back().handle();
    }
    // Each thread runs to its first scheduling point: that prefix is local to the
    // thread (it only reads setup's variables), so it commutes with everything.
    for (int i = 0; i < n; ++i) {
      cur_column = i;
      cur_step = -1;
      Thread::current = tptrs[i];
      std::coroutine_handle<> h = tptrs[i]->resume_point;
      h.resume();
      Thread::current = nullptr;
      if (roots[i].handle().done()) {
        tptrs[i]->done = true;
        roots[i].RethrowIfFailed();
      }
      FlushEvents(tptrs[i]);
      checker.AfterStep();
      if (checker.violation()) return Finish();
    }
    std::vector<int> enabled;
    enabled.reserve(n);
    int last_thread = -1;
    int progress_step = 0;  // the step after the last progress
    uint64_t mark = Progress();
    for (int step = 0;; ++step) {
      enabled.clear();
      bool unfinished = false;
      for (int i = 0; i < n; ++i) {
        Thread& t = *tptrs[i];
        if (t.done) continue;
        unfinished = true;
        if (t.pending.kind == PendingOp::Kind::kLock && !t.pending.lock->CanAcquire(t.pending.write)) continue;
        enabled.push_back(i);
      }
      if (!unfinished) break;
      if (enabled.empty()) {
        std::string who;
        for (int i = 0; i < n; ++i)
          if (!tptrs[i]->done)
            who += absl::StrFormat("%s%s waits for %s", who.empty() ? "" : "; ", tptrs[i]->name(),
                                   DescribeOp(tptrs[i]->pending));
        checker.Report(Invariant::kDeadlock, "every unfinished thread is blocked: " + who);
        result.end = ExecResult::End::kDeadlock;
        return Finish();
      }
      if (static_cast<uint64_t>(step - progress_step) >= opts.max_steps) {
        result.end = ExecResult::End::kStepLimit;
        return Finish();
      }
      const int choice = chooser.Choose(step, enabled, tptrs);
      if (choice < 0) {
        result.end = ExecResult::End::kAbandoned;
        return Finish();
      }
      if (enabled.size() > 1) {
        result.schedule.push_back(ScheduleChar(choice));
        result.branch_points++;
      }
      if (last_thread >= 0 && choice != last_thread &&
          std::find(enabled.begin(), enabled.end(), last_thread) != enabled.end())
        result.preemptions++;
      last_thread = choice;
      Thread& t = *tptrs[choice];
      cur_step = step;
      cur_column = choice;
      if (opts.record_trace) {
        TraceRow& row = Row(&t);  // opened now: its function is where the step starts
        if (t.pending.kind == PendingOp::Kind::kAccess) row.lines.push_back(DescribeOp(t.pending));
      }
      Thread::current = &t;
      std::coroutine_handle<> h = t.resume_point;
      t.step_op = t.pending;
      t.pending = PendingOp{};
      h.resume();
      Thread::current = nullptr;
      if (roots[choice].handle().done()) {
        t.done = true;
        roots[choice].RethrowIfFailed();
      }
      FlushEvents(&t);
      result.steps = step + 1;
      if (Progress() != mark) {
        mark = Progress();
        progress_step = step + 1;
      }
      checker.AfterStep();
      if (checker.violation()) return Finish();
    }
    cur_step = -1;
    if (!RunAlone(prog.finally, "finally")) return Finish();
    checker.AtEnd();
    return Finish();
  }

  ExecResult Finish() {
    result.locks = checker.lock_graph();
    for (const std::unique_ptr<Thread>& t : threads_) result.final_pending.push_back(t->done ? PendingOp{} : t->pending);
    if (checker.violation()) {
      result.violation = checker.violation();
      if (result.end == ExecResult::End::kComplete) result.end = ExecResult::End::kViolation;
      if (result.violation->inv == Invariant::kDeadlock) result.end = ExecResult::End::kDeadlock;
      return std::move(result);
    }
    if (result.end != ExecResult::End::kComplete) return std::move(result);
    // The outcome: every bound variable of the threads and of finally.
    std::vector<std::string> parts;
    if (opts.outcome_setup)
      for (const CStmt& c : prog.setup)
        if (c.bind.valid())
          parts.push_back(prog.globals[c.bind.index].name + "=" +
                          ShowVar(prog.globals[c.bind.index], globals[c.bind.index]));
    for (size_t i = 0; i < prog.threads.size(); ++i)
      for (size_t j = 0; j < prog.threads[i].vars.size(); ++j)
        parts.push_back(prog.threads[i].vars[j].name + "=" + ShowVar(prog.threads[i].vars[j], locals[i][j]));
    for (const CStmt& c : prog.finally)
      if (c.bind.valid()) parts.push_back(prog.globals[c.bind.index].name + "=" + ShowVar(prog.globals[c.bind.index], globals[c.bind.index]));
    result.outcome = absl::StrJoin(parts, " ");
    for (const scn::Expectation& e : prog.scenario->expectations)
      result.expect_holds.push_back(e.cond ? EvalCond(*e.cond) : 1);
    return std::move(result);
  }

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

Execution::Execution(const Program& p, const ExecOptions& o) : impl_(std::make_unique<Impl>(p, o)) {}
Execution::~Execution() = default;
ExecResult Execution::Run(Chooser& chooser) { return impl_->Run(chooser); }

}  // namespace vfiosim::sim
