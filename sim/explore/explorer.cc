#include "sim/explore/explorer.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <queue>
#include <random>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "model/lock_class.h"
#include "sim/core/splitmix64.h"
#include "sim/explore/parallel_for.h"
#include "sim/explore/state_cache.h"
#include "sim/explore/thread_history.h"

namespace vfiosim::sim {
namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- DFS tree

struct Node {
  uint64_t enabled = 0;  // thread-id bitmask
  // By thread id; inline for up to 4 threads (no allocation per node).
  absl::InlinedVector<PendingOp, 4> pending;
  uint64_t sleep = 0;              // thread-id bitmask
  uint64_t done = 0;               // choices explored before `chosen`
  int chosen = -1;
  int last = -1;                   // thread that ran the step before this node
  int preemptions = 0;             // preemptions on the path so far
  uint64_t backtrack = 0;          // DPOR: choices that must be explored here
  // Stateful search (StateCache): the choices still to explore at a state
  // reached before; per thread the statements done and its history inside
  // its op.
  uint64_t only = ~uint64_t{0};
  absl::InlinedVector<ThreadHistory, 4> history;
  absl::InlinedVector<int, 4> stmts;
};

struct DfsConfig {
  int max_preemptions = -1;
  Reduction reduction = Reduction::kSleep;
};

uint64_t Bit(int t) { return uint64_t{1} << t; }

// The choices allowed at a node (enabled, not asleep, within the preemption bound).
uint64_t Candidates(const Node& n, const DfsConfig& cfg) {
  uint64_t c = n.enabled & ~n.sleep & n.only;
  if (cfg.reduction == Reduction::kDpor) c &= n.backtrack;
  if (cfg.max_preemptions >= 0 && n.preemptions >= cfg.max_preemptions && n.last >= 0 && (c & Bit(n.last)) &&
      (n.enabled & Bit(n.last)))
    c &= Bit(n.last);
  return c;
}

class DfsChooser : public Chooser {
 public:
  // With `cache` (the stateful search), each new node's state, read from `ex`,
  // is looked up in it.
  DfsChooser(std::vector<Node>* stack, const DfsConfig& cfg, StateCache* cache = nullptr, Execution* ex = nullptr)
      : stack_(stack), cfg_(cfg), cache_(cache), ex_(ex) {
    if (cache_) ex_->LogTouches(&touched_);
  }
  ~DfsChooser() override {
    if (cache_) ex_->LogTouches(nullptr);  // the log is this chooser's
  }

  int Choose(int, std::span<const int> enabled, std::span<Thread* const> threads) override {
    std::vector<Node>& st = *stack_;
    if (cache_ && depth_ + 1 == st.size()) {
      // The last node replayed: its step leads to a new node, whose history
      // needs what that step may read here (EnterState).
      view_.Clear();
      ex_->WriteSharedState(view_);
    }
    if (depth_ >= st.size()) {
      Node n;
      for (int t : enabled) n.enabled |= Bit(t);
      n.pending.resize(threads.size());
      for (size_t i = 0; i < threads.size(); ++i) n.pending[i] = threads[i]->pending;
      n.sleep = cfg_.reduction == Reduction::kNone ? 0 : next_sleep_;
      n.last = last_;
      n.preemptions = preemptions_;
      n.backtrack = ~uint64_t{0};
      if (cache_ && !EnterState(&n, threads)) {
        matched_ = true;
        return -1;  // this state was explored before
      }
      const uint64_t c = Candidates(n, cfg_);
      if (cfg_.max_preemptions >= 0 && c != Candidates(n, DfsConfig{-1, cfg_.reduction})) bound_cut_ = true;
      if (!c) return -1;  // every enabled thread is asleep: a redundant schedule
      n.chosen = __builtin_ctzll(c);
      n.backtrack = Bit(n.chosen);
      st.push_back(std::move(n));
    } else {
      // Same node, new execution: refresh the pending ops so that every node on
      // the stack names this execution's objects (DPOR compares across nodes).
      Node& n = st[depth_];
      for (size_t i = 0; i < threads.size() && i < n.pending.size(); ++i) n.pending[i] = threads[i]->pending;
    }
    const Node& n = st[depth_];
    // The child's sleep set: threads asleep or already explored here whose next
    // op commutes with the one taken.
    uint64_t child = 0;
    for (uint64_t m = (n.sleep | n.done) & ~Bit(n.chosen); m; m &= m - 1) {
      const int u = __builtin_ctzll(m);
      if (!n.pending[u].Conflicts(n.pending[n.chosen])) child |= Bit(u);
    }
    next_sleep_ = child;
    if (last_ >= 0 && (n.enabled & Bit(last_)) && n.chosen != last_) preemptions_ = n.preemptions + 1;
    else preemptions_ = n.preemptions;
    last_ = n.chosen;
    ++depth_;
    touched_.clear();
    return n.chosen;
  }
  // Whether --max-preemptions kept a choice out of a node this run created.
  bool bound_cut() const { return bound_cut_; }
  // Whether the run ended at a state explored before.
  bool matched() const { return matched_; }

 private:
  // Fills in n's state and looks it up: false when it was explored before
  // (sim/explore/state_cache.h); else n's sleep set and choices are what is
  // left to explore from it.
  bool EnterState(Node* n, std::span<Thread* const> threads) {
    const std::vector<Node>& st = *stack_;
    const size_t nt = threads.size();
    n->stmts.resize(nt);
    for (size_t t = 0; t < nt; ++t) n->stmts[t] = ex_->StatementsDone(static_cast<int>(t));
    if (st.empty()) {
      // Each thread at its op's start, where it ran from the state after setup.
      n->history.resize(nt);
      for (size_t t = 0; t < nt; ++t) n->history[t] = StartHistory(*cache_, *threads[t]);
    } else {
      // The step from the parent changed only its thread's history: it ran
      // from the parent's view of the shared state and read of it at most
      // what StateWriter::StepRead keeps. A step that finished the thread's
      // op also ran the next op up to its first point, from its variables (in
      // the key) and what it read since (the log starts again at a statement's
      // end, Execution): the next op's history starts with that.
      const Node& parent = st.back();
      n->history = parent.history;
      const size_t c = static_cast<size_t>(parent.chosen);
      if (n->stmts[c] != parent.stmts[c] || threads[c]->done) n->history[c] = ThreadHistory{};
      if (!threads[c]->done) AdvanceHistory(*cache_, view_, touched_, &n->history[c]);
    }
    view_.Clear();  // from here on, this node's view (its child's parent's)
    ex_->WriteSharedState(view_);
    const uint32_t shared = cache_->Shared(cache_->Intern(view_.bytes()), cache_->Intern(view_.rest()));
    key_.Clear();
    key_.U64(shared);
    for (size_t t = 0; t < nt; ++t) {
      ex_->WriteThreadState(static_cast<int>(t), key_);
      key_.U64(n->history[t].read);
      key_.U64(n->history[t].retry_from);
    }
    std::string next;
    if (cache_->checks_next())
      for (size_t t = 0; t < nt; ++t) absl::StrAppend(&next, t ? ", " : "", threads[t]->name(), ": ",
                                                      threads[t]->done ? "done" : DescribeOp(threads[t]->pending));
    const StateCache::Visit v = cache_->Enter(key_.bytes(), n->sleep, ex_->StepsSinceProgress(), next);
    if (v.matched) return false;
    n->sleep = v.sleep;
    n->only = v.only;
    return true;
  }

  std::vector<Node>* stack_;
  DfsConfig cfg_;
  StateCache* cache_ = nullptr;
  Execution* ex_ = nullptr;
  StateWriter view_;  // the shared state at the last node entered or replayed
  StateWriter key_;
  TouchLog touched_;  // by the step since the last Choose()
  bool matched_ = false;
  bool bound_cut_ = false;
  size_t depth_ = 0;
  uint64_t next_sleep_ = 0;
  int last_ = -1;
  int preemptions_ = 0;
};

using VClock = std::vector<uint32_t>;

// The threads to add at node i so that the race of step i (thread q) with the
// later op `pop` of thread p (step j, or p's pending op if j is the path's
// length) gets reversed. The reversed order runs v first: the steps after i
// that do not happen after step i, then p's op. Any thread that can start v
// (an *initial* of v: its first step in v depends on no earlier step of v)
// reverses the race (Abdulla et al., "Optimal dynamic partial order
// reduction", POPL 2014, source sets). Flanagan and Godefroid's rule, "p if
// enabled at i, else everyone", is not enough when races are found on the
// executed path: p's first step in v may come after a step of another thread
// that it depends on, and a p asleep at i then hid the reversal (the soak run
// of the soundness test found such a scenario: tests/regressions/soundness/
// attach-dma-vs-power-dpor.scn).
uint64_t ReversalStarts(const std::vector<Node>& st, const std::vector<VClock>& vc, size_t i, size_t j, int p,
                        const PendingOp& pop) {
  const size_t q = static_cast<size_t>(st[i].chosen);
  uint64_t initials = 0, seen = 0;
  // v's steps so far (for the dependence test of the later ones).
  absl::InlinedVector<const PendingOp*, 32> earlier;
  auto consider = [&](int r, const PendingOp& op) {
    if (!(seen & Bit(r))) {
      seen |= Bit(r);
      bool depends = false;
      for (const PendingOp* e : earlier)
        if (e->Conflicts(op)) {
          depends = true;
          break;
        }
      if (!depends) initials |= Bit(r);
    }
    earlier.push_back(&op);
  };
  for (size_t k = i + 1; k < j; ++k) {
    if (vc[k][q] >= vc[i][q]) continue;  // happens after step i: not in v
    const int r = st[k].chosen;
    consider(r, st[k].pending[static_cast<size_t>(r)]);
  }
  consider(p, pop);
  // A thread that is not enabled at i (blocked on a lock whose release no
  // declared op shows) cannot start v there: it is no initial.
  const Node& n = st[i];
  initials &= n.enabled;
  if (initials & (n.sleep | n.backtrack)) return 0;  // explored, or to be, from here
  return initials ? initials & -initials : n.enabled;  // one initial is enough (source sets)
}

// DPOR (Flanagan & Godefroid, POPL 2005) over the path just executed: for each
// step, the latest earlier step of another thread that conflicts with it and is
// not ordered before it by happens-before (vector clocks over threads and
// objects) is a race; its reversal is scheduled by adding a thread that can
// start it (ReversalStarts) to the backtrack set of the node where the earlier
// step ran.
void AddDporBacktracks(std::vector<Node>* stack, size_t min_depth, int nthreads,
                       const std::vector<PendingOp>& final_pending) {
  std::vector<Node>& st = *stack;
  const size_t n = st.size();
  using Clock = VClock;
  std::vector<Clock> vc(n);
  std::vector<Clock> cl(static_cast<size_t>(nthreads), Clock(static_cast<size_t>(nthreads), 0));
  absl::flat_hash_map<const void*, Clock> w, r;
  auto join = [](Clock* a, const Clock& b) {
    for (size_t k = 0; k < a->size() && k < b.size(); ++k) (*a)[k] = std::max((*a)[k], b[k]);
  };
  // The steps taken, then each unfinished thread's next op: an execution cut
  // short (a violation, a sleep-blocked end) must still reverse races with the
  // steps it never reached.
  auto races = [&](size_t j, int p, const PendingOp& op) {
    const Clock& pre = cl[static_cast<size_t>(p)];
    for (size_t i = j; i-- > 0;) {
      const int q = st[i].chosen;
      if (q == p) continue;
      if (!st[i].pending[static_cast<size_t>(q)].Conflicts(op)) continue;
      if (vc[i][static_cast<size_t>(q)] <= pre[static_cast<size_t>(q)]) continue;  // ordered
      if (i >= min_depth) st[i].backtrack |= ReversalStarts(st, vc, i, j, p, op);
      break;
    }
  };
  for (size_t j = 0; j < n; ++j) {
    const int p = st[j].chosen;
    const PendingOp& op = st[j].pending[static_cast<size_t>(p)];
    races(j, p, op);
    Clock& c = cl[static_cast<size_t>(p)];
    c[static_cast<size_t>(p)]++;
    auto touch = [&](const void* obj, bool write) {
      if (!obj) return;
      if (auto it = w.find(obj); it != w.end()) join(&c, it->second);
      if (write) {
        if (auto it = r.find(obj); it != r.end()) join(&c, it->second);
      }
    };
    touch(op.obj, op.write);
    touch(op.obj2, op.write2);
    auto publish = [&](const void* obj, bool write) {
      if (!obj) return;
      if (write) {
        w[obj] = c;
        r.erase(obj);
      } else {
        Clock& rc = r[obj];
        if (rc.empty()) rc.assign(static_cast<size_t>(nthreads), 0);
        join(&rc, c);
      }
    };
    publish(op.obj, op.write);
    publish(op.obj2, op.write2);
    vc[j] = c;
  }
  for (size_t t = 0; t < final_pending.size(); ++t)
    if (final_pending[t].kind != PendingOp::Kind::kNone) races(n, static_cast<int>(t), final_pending[t]);
}

// Moves the stack to the next unexplored path at depth >= min_depth.
bool Backtrack(std::vector<Node>* stack, size_t min_depth, const DfsConfig& cfg) {
  std::vector<Node>& st = *stack;
  while (st.size() > min_depth) {
    Node& n = st.back();
    n.done |= Bit(n.chosen);
    const uint64_t c = Candidates(n, cfg) & ~n.done;
    if (c) {
      n.chosen = __builtin_ctzll(c);
      return true;
    }
    st.pop_back();
  }
  return false;
}

// ---------------------------------------------------------------- results

// When the verdict is decided (spec 1.1: a run may stop as soon as it is), over
// executions in canonical order. One schedule decides a FAIL: an invariant
// violated (without `expect violation`, or with `expect clean`), an `always`
// condition false or a `never` condition true, a cut by --max-steps, or a
// lock-order cycle closed with earlier schedules. A PASS is decided early only
// when every expectation is an `expect violation` or `expect sometimes` (at
// least one `violation`): once each has been seen in some schedule.
struct DecideRules {
  bool fail_on_violation = true;
  std::vector<size_t> always, never;  // expectation indices
  struct Slot {
    size_t expect;
    bool violation;  // expect violation <inv>; else expect sometimes
    Invariant inv;
  };
  std::vector<Slot> slots;  // what an early PASS needs to have seen
  bool early_pass = false;
};

DecideRules MakeRules(const Program& p) {
  DecideRules d;
  bool expected = false, clean = false, other = false;
  const std::vector<scn::Expectation>& ex = p.scenario->expectations;
  for (size_t i = 0; i < ex.size(); ++i) {
    switch (ex[i].kind) {
      case scn::Expectation::Kind::kClean: clean = true; break;
      case scn::Expectation::Kind::kViolation: {
        expected = true;
        if (std::optional<Invariant> inv = ParseInvariant(ex[i].invariant)) d.slots.push_back({i, true, *inv});
        else other = true;  // never seen: no early PASS
        break;
      }
      case scn::Expectation::Kind::kSometimes: d.slots.push_back({i, false, Invariant{}}); break;
      case scn::Expectation::Kind::kAlways:
        d.always.push_back(i);
        other = true;
        break;
      case scn::Expectation::Kind::kNever:
        d.never.push_back(i);
        other = true;
        break;
    }
  }
  d.fail_on_violation = !expected || clean;
  d.early_pass = expected && !clean && !other;
  return d;
}

// What one execution contributes to the decision.
struct ExecEvent {
  bool fail = false;
  absl::InlinedVector<uint32_t, 4> seen;  // rule slots
};

ExecEvent Classify(const DecideRules& d, const ExecResult& e) {
  ExecEvent ev;
  if (e.end == ExecResult::End::kAbandoned) return ev;
  if (e.end == ExecResult::End::kStepLimit) {
    ev.fail = true;
    return ev;
  }
  if (e.violation) {
    ev.fail = d.fail_on_violation;
    for (size_t k = 0; k < d.slots.size(); ++k)
      if (d.slots[k].violation && d.slots[k].inv == e.violation->inv) ev.seen.push_back(static_cast<uint32_t>(k));
    return ev;
  }
  auto holds = [&](size_t i) { return i < e.expect_holds.size() && e.expect_holds[i]; };
  for (size_t i : d.always) ev.fail |= !holds(i);
  for (size_t i : d.never) ev.fail |= holds(i);
  for (size_t k = 0; k < d.slots.size(); ++k)
    if (!d.slots[k].violation && holds(d.slots[k].expect)) ev.seen.push_back(static_cast<uint32_t>(k));
  return ev;
}

// The lock graph an execution adds to lockdep across schedules (as Record keeps it).
const LockGraph* ExecLocks(const ExecResult& e) {
  return e.end == ExecResult::End::kAbandoned || e.end == ExecResult::End::kStepLimit ? nullptr : &e.locks;
}

// Whether `step` brings an edge that closes a cycle with `g` (as
// CheckLockOrderAcrossSchedules decides it).
bool ClosesCycle(const LockGraph& g, const LockGraph& step) {
  for (auto [a, b] : step.Edges())
    if (!g.Has(a, b) && g.Reaches(b, a)) return true;
  return false;
}

struct DecideState {
  explicit DecideState(const DecideRules& d) : rules(&d), seen(d.slots.size(), 0) {}
  const DecideRules* rules;
  LockGraph g;
  std::vector<char> seen;
  size_t nseen = 0;

  // Applies one execution (in canonical order); true once the verdict is decided.
  bool Apply(ExecEvent ev, const LockGraph* locks) {
    if (locks) {
      if (ClosesCycle(g, *locks)) {  // a lock-order violation across schedules
        ev.fail |= rules->fail_on_violation;
        for (size_t k = 0; k < rules->slots.size(); ++k)
          if (rules->slots[k].violation && rules->slots[k].inv == Invariant::kLockOrder)
            ev.seen.push_back(static_cast<uint32_t>(k));
      }
      g.Merge(*locks);
    }
    for (uint32_t k : ev.seen)
      if (!seen[k]) {
        seen[k] = 1;
        ++nseen;
      }
    return ev.fail || (rules->early_pass && nseen == rules->slots.size());
  }
};

struct Partial {
  ExploreResult r;
  LockGraph local_graph;  // edges of r.lock_steps
  bool stop = false;      // cut by a bound (--schedules, --timeout) or cancelled
  bool preemption_cut = false;  // --max-preemptions pruned a choice
  // Bounded exhaustive runs keep every execution, so that the first N in DFS
  // order can be picked whatever the workers' timing.
  std::vector<ExecResult> records;
  // For stopping at the verdict (without --keep-going): what the part's
  // executions contribute to the decision, by their index in the part.
  uint64_t execs = 0;                              // executions run (abandoned ones too)
  std::optional<uint64_t> fail_at;                 // the first whose event fails
  std::vector<std::optional<uint64_t>> seen_at;    // per rule slot: the first that saw it
  std::vector<uint64_t> lock_exec;                 // per r.lock_steps entry: its execution
  bool exhausted = false;                          // nothing of the part is left
};

// Given the decision state after the parts before `pt`, the index of the
// execution of `pt` that decides the verdict; otherwise applies all of pt.
std::optional<uint64_t> DecisionIn(DecideState* s, const Partial& pt) {
  std::vector<uint64_t> at = pt.lock_exec;
  if (pt.fail_at) at.push_back(*pt.fail_at);
  for (const std::optional<uint64_t>& x : pt.seen_at)
    if (x) at.push_back(*x);
  std::sort(at.begin(), at.end());
  at.erase(std::unique(at.begin(), at.end()), at.end());
  size_t li = 0;
  for (uint64_t i : at) {
    ExecEvent ev;
    ev.fail = pt.fail_at && *pt.fail_at == i;
    for (size_t k = 0; k < pt.seen_at.size(); ++k)
      if (pt.seen_at[k] && *pt.seen_at[k] == i) ev.seen.push_back(static_cast<uint32_t>(k));
    const LockGraph* locks = nullptr;
    while (li < pt.lock_exec.size() && pt.lock_exec[li] < i) ++li;
    if (li < pt.lock_exec.size() && pt.lock_exec[li] == i) locks = &pt.r.lock_steps[li].graph;
    if (s->Apply(std::move(ev), locks)) return i;
  }
  return std::nullopt;
}

// Notes execution `e` (the next of the part) for the decision; true when the
// part's own executions decide the verdict.
bool NoteForDecision(const DecideRules& rules, const ExecResult& e, Partial* out, DecideState* local) {
  const uint64_t idx = out->execs - 1;
  ExecEvent ev = Classify(rules, e);
  if (ev.fail && !out->fail_at) out->fail_at = idx;
  for (uint32_t k : ev.seen)
    if (!out->seen_at[k]) out->seen_at[k] = idx;
  return local->Apply(std::move(ev), ExecLocks(e));
}

void Record(const Program& p, const ExecResult& e, Partial* out) {
  ExploreResult& r = out->r;
  r.steps += static_cast<uint64_t>(e.steps);
  if (e.end == ExecResult::End::kAbandoned) {
    if (!e.state_matched) r.pruned++;  // a matched state is counted by the cache
    return;
  }
  if (e.end == ExecResult::End::kStepLimit) {
    r.step_limited++;
    r.schedules++;
    if (!r.first_step_limited) r.first_step_limited = Witness{e.schedule, e.steps};
    return;
  }
  r.schedules++;
  if (!r.first_ended) r.first_ended = Witness{e.schedule, e.steps};
  LockGraph merged = out->local_graph;
  merged.Merge(e.locks);
  if (merged.Edges() != out->local_graph.Edges()) {
    out->r.lock_steps.push_back({e.locks, e.schedule, e.steps});
    out->lock_exec.push_back(out->execs ? out->execs - 1 : 0);
    out->local_graph = merged;
  }
  if (e.violation) {
    Failure& f = r.failures[e.violation->inv];
    if (f.count == 0 || e.steps < f.steps) {
      f.inv = e.violation->inv;
      f.message = e.violation->message;
      f.schedule = e.schedule;
      f.steps = e.steps;
    }
    f.count++;
    if (!r.shortest || e.steps < r.shortest->steps) r.shortest = Failure{e.violation->inv, e.violation->message, e.schedule, e.steps, 1};
    return;
  }
  r.complete_schedules++;
  if (!r.first_complete) r.first_complete = Witness{e.schedule, e.steps};
  r.outcomes[e.outcome]++;
  r.outcome_witness.try_emplace(e.outcome, e.schedule);
  if (r.expect_true.size() < e.expect_holds.size()) r.expect_true.resize(e.expect_holds.size());
  for (size_t i = 0; i < e.expect_holds.size(); ++i) r.expect_true[i] += e.expect_holds[i] ? 1 : 0;
  // The first schedule where an `always` is false or a `never` true.
  const std::vector<scn::Expectation>& ex = p.scenario->expectations;
  if (r.expect_witness.size() < ex.size()) r.expect_witness.resize(ex.size());
  for (size_t i = 0; i < ex.size() && i < e.expect_holds.size(); ++i) {
    const bool failed = (ex[i].kind == scn::Expectation::Kind::kAlways && !e.expect_holds[i]) ||
                        (ex[i].kind == scn::Expectation::Kind::kNever && e.expect_holds[i]);
    if (failed && !r.expect_witness[i]) r.expect_witness[i] = Witness{e.schedule, e.steps};
  }
}

}  // namespace

void MergeResults(ExploreResult* into, ExploreResult&& later) {
  ExploreResult& r = *into;
  const ExploreResult& s = later;
  r.schedules += s.schedules;
  r.complete_schedules += s.complete_schedules;
  r.pruned += s.pruned;
  r.states_stored += s.states_stored;
  r.states_matched += s.states_matched;
  r.states_revisited += s.states_revisited;
  r.shared_states += s.shared_states;
  r.state_hash_compaction |= s.state_hash_compaction;
  r.step_limited += s.step_limited;
  r.steps += s.steps;
  r.timed_out |= s.timed_out;
  r.preemption_bounded |= s.preemption_bounded;
  r.stopped_early |= s.stopped_early;
  for (const auto& [k, v] : s.outcomes) r.outcomes[k] += v;
  for (const auto& [k, id] : s.outcome_witness) r.outcome_witness.try_emplace(k, id);
  if (r.expect_true.size() < s.expect_true.size()) r.expect_true.resize(s.expect_true.size());
  for (size_t i = 0; i < s.expect_true.size(); ++i) r.expect_true[i] += s.expect_true[i];
  for (const auto& [inv, f] : s.failures) {
    Failure& g = r.failures[inv];
    if (g.count == 0 || f.steps < g.steps) {
      const uint64_t c = g.count;
      g = f;
      g.count = c;
    }
    g.count += f.count;
  }
  if (s.shortest && (!r.shortest || s.shortest->steps < r.shortest->steps)) r.shortest = s.shortest;
  for (LockStep& ls : later.lock_steps) r.lock_steps.push_back(std::move(ls));
  if (r.expect_witness.size() < s.expect_witness.size()) r.expect_witness.resize(s.expect_witness.size());
  for (size_t i = 0; i < s.expect_witness.size(); ++i)
    if (!r.expect_witness[i]) r.expect_witness[i] = s.expect_witness[i];
  if (!r.first_complete) r.first_complete = s.first_complete;
  if (!r.first_ended) r.first_ended = s.first_ended;
  if (!r.first_step_limited) r.first_step_limited = s.first_step_limited;
}

namespace {

// ---------------------------------------------------------------- progress

class Progress {
 public:
  // `fraction`, when given, estimates the part of the space explored (0..1).
  Progress(bool on, uint64_t total, std::function<double()> fraction = nullptr)
      : on_(on && isatty(2)), total_(total), fraction_(std::move(fraction)), start_(Clock::now()) {
    if (on_) thread_ = std::thread([this] { Loop(); });
  }
  ~Progress() {
    if (!on_) return;
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    if (printed_) std::fprintf(stderr, "\r\033[K");
  }
  std::atomic<uint64_t> done{0};

 private:
  void Loop() {
    std::unique_lock<std::mutex> l(mu_);
    while (!cv_.wait_for(l, std::chrono::milliseconds(500), [&] { return stop_; })) {
      const double secs = std::chrono::duration<double>(Clock::now() - start_).count();
      if (secs < 1.0) continue;
      const uint64_t d = done.load();
      const double rate = d / secs;
      std::string eta;
      if (total_ && rate > 0 && d < total_) {
        eta = absl::StrFormat(", ETA %.0fs", (total_ - d) / rate);
      } else if (fraction_) {
        const double f = fraction_();
        if (f > 0.0001 && f < 1) eta = absl::StrFormat(", ~%.2g%% of the space, ETA ~%.0fs", 100 * f, secs * (1 - f) / f);
      }
      std::fprintf(stderr, "\r\033[K%llu schedules, %.0f/s%s", static_cast<unsigned long long>(d), rate, eta.c_str());
      printed_ = true;
    }
  }
  bool on_;
  uint64_t total_;
  std::function<double()> fraction_;
  Clock::time_point start_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool printed_ = false;
};

// How much of a DFS subtree lies before the current path (levels from `from`),
// taking the siblings not yet tried to be as big as those tried: --progress's
// estimate (rough: sleep sets and DPOR prune unevenly).
// The share of a DFS subtree (levels from `from`) that lies before the current
// path, taking the siblings not yet tried to be as big as those tried, in
// fixed point (2^62 is the whole): integers only, so that every machine
// computes the same split (SplitBalanced).
uint64_t ExploredShare(const std::vector<Node>& st, size_t from, const DfsConfig& cfg) {
  uint64_t f = 0, w = uint64_t{1} << 62;
  for (size_t i = from; i < st.size() && w; ++i) {
    const Node& n = st[i];
    const uint64_t all = Candidates(n, cfg) | n.done | Bit(n.chosen);
    const uint64_t c = static_cast<uint64_t>(__builtin_popcountll(all));
    if (c < 2) continue;
    f += w / c * static_cast<uint64_t>(__builtin_popcountll(n.done & ~Bit(n.chosen)));
    w /= c;
  }
  return f;
}

// The same as a fraction (--progress).
double DfsFraction(const std::vector<Node>& st, size_t from, const DfsConfig& cfg) {
  return static_cast<double>(ExploredShare(st, from, cfg)) / static_cast<double>(uint64_t{1} << 62);
}

// ---------------------------------------------------------------- strategies

struct DfsTask {
  std::vector<Node> stack;
  size_t min_depth = 0;
  double weight = 1;  // share of the whole tree (--progress)
};

// The tasks an exhaustive search is cut into, in DFS order.
struct TreeSplit {
  std::vector<DfsTask> tasks;
  bool cut = false;  // --max-preemptions pruned a choice while splitting
};

// The index of the first node of `stack` at or after `from` with two choices
// or more (stack.size() if none).
size_t FirstBranch(const std::vector<Node>& stack, size_t from, const DfsConfig& cfg) {
  size_t b = from;
  while (b < stack.size() && __builtin_popcountll(Candidates(stack[b], cfg)) < 2) ++b;
  return b;
}

// The subtrees of branching node b of `path` (a path of a subtree of weight
// `weight`), in DFS order: one per choice, each taking the choices before it
// as done (so its sleep sets are those of the DFS).
void AppendChildren(const std::vector<Node>& path, size_t b, double weight, const DfsConfig& cfg,
                    std::vector<DfsTask>* out) {
  uint64_t c = Candidates(path[b], cfg);
  const int nc = __builtin_popcountll(c);
  uint64_t done = 0;
  for (; c; c &= c - 1) {
    DfsTask s;
    s.stack.assign(path.begin(), path.begin() + static_cast<long>(b) + 1);
    s.stack[b].chosen = __builtin_ctzll(c);
    s.stack[b].done = done;
    done |= c & -c;
    s.min_depth = b + 1;
    s.weight = weight / nc;
    out->push_back(std::move(s));
  }
}

// Probing costs one execution per probe: stop splitting once that has cost as
// much as a few thousand ordinary schedules (long schedules, e.g. a `touch` of
// a gigabyte, are better not split at all).
constexpr uint64_t kProbeBudget = 1'000'000;

// Cuts each of `tasks` breadth-first (keeping DFS order) until there are about
// `want`, running the first path of each subtree to find its first branching
// node: the split for --jobs (parts of very different sizes, which the
// workers take as they come).
TreeSplit SplitBreadthFirst(const Program& p, const ExploreOptions& o, const DfsConfig& cfg,
                            std::vector<DfsTask> tasks, size_t want) {
  TreeSplit out;
  uint64_t probe_steps = 0;
  for (int round = 0; tasks.size() < want && round < 12 && probe_steps < kProbeBudget; ++round) {
    std::vector<DfsTask> next;
    bool grew = false;
    for (DfsTask& t : tasks) {
      DfsTask probe = t;
      DfsChooser ch(&probe.stack, cfg);
      Execution ex(p, o.exec);
      probe_steps += static_cast<uint64_t>(ex.Run(ch).steps);
      out.cut |= ch.bound_cut();
      const size_t b = FirstBranch(probe.stack, probe.min_depth, cfg);
      if (b >= probe.stack.size()) {
        next.push_back(std::move(t));
        continue;
      }
      grew = true;
      AppendChildren(probe.stack, b, t.weight, cfg, &next);
    }
    tasks = std::move(next);
    if (!grew) break;
  }
  out.tasks = std::move(tasks);
  return out;
}

// A subtree of the balanced split (SplitBalanced) and its estimated size.
struct EstimatedTask {
  DfsTask task;
  uint64_t size = 1;         // estimated executions (exact if its first kEstimateRuns exhaust it)
  std::vector<Node> path;    // the first path of the subtree, through its first branch
  size_t branch = SIZE_MAX;  // the first branching node of `path` (SIZE_MAX: none)
  std::vector<size_t> kids;  // once split: its subtrees, in DFS order
};

// Executions an estimate runs per subtree.
constexpr int kEstimateRuns = 2;

// Estimates the executions of a subtree: runs its first kEstimateRuns
// executions, as the DFS will (exact if they exhaust it), and scales by the
// share of the subtree they cover, taking untried siblings to be as big as
// the tried ones (Knuth's estimator along the first paths). The first paths
// hold the smallest sleep sets, so this overestimates, but alike for every
// subtree, which is what the split needs. Random dives (Knuth's estimator
// proper) were tried and found far worse on these trees: most executions are
// sleep-set-pruned paths deep in a few subtrees that random dives rarely reach.
void EstimateSubtree(const Program& p, const ExploreOptions& o, const DfsConfig& cfg, EstimatedTask* t,
                     uint64_t* probe_steps, bool* cut) {
  constexpr uint64_t kCap = uint64_t{1} << 40;
  std::vector<Node> stack = t->task.stack;
  for (int e = 1; e <= kEstimateRuns; ++e) {
    DfsChooser ch(&stack, cfg);
    Execution ex(p, o.exec);
    *probe_steps += static_cast<uint64_t>(ex.Run(ch).steps);
    *cut |= ch.bound_cut();
    if (e == 1) {
      const size_t b = FirstBranch(stack, t->task.min_depth, cfg);
      if (b >= stack.size()) return;  // a single path
      t->branch = b;
      t->path.assign(stack.begin(), stack.begin() + static_cast<long>(b) + 1);
    }
    if (!Backtrack(&stack, t->task.min_depth, cfg)) {
      t->size = static_cast<uint64_t>(e);
      return;
    }
  }
  const unsigned __int128 share = ExploredShare(stack, t->task.min_depth, cfg);
  const unsigned __int128 v =
      share ? (static_cast<unsigned __int128>(kEstimateRuns) << 62) / share : static_cast<unsigned __int128>(kCap);
  t->size = static_cast<uint64_t>(std::clamp<unsigned __int128>(v, kEstimateRuns, kCap));
}

// Cuts the tree for `shards` shards into subtrees of similar estimated sizes:
// keeps splitting (at its first branch) the subtree estimated largest, until
// none is over 1/(64·shards) of the estimated total, there are 512·shards
// subtrees, or the probes have cost kProbeBudget steps. The estimates are
// rough: many small subtrees, dealt out by AssignShard, even out their errors. Depends only on the
// program, the options that shape the tree and `shards`; the tasks come in DFS
// order, `sizes` gets their estimated sizes.
TreeSplit SplitBalanced(const Program& p, const ExploreOptions& o, const DfsConfig& cfg, int shards,
                        std::vector<uint64_t>* sizes) {
  TreeSplit out;
  uint64_t probe_steps = 0;
  std::vector<EstimatedTask> all(1);
  EstimateSubtree(p, o, cfg, &all[0], &probe_steps, &out.cut);
  uint64_t total = all[0].size;
  // The unsplit subtrees, largest first (ties: the first made).
  auto smaller = [&](size_t a, size_t b) { return all[a].size != all[b].size ? all[a].size < all[b].size : a > b; };
  std::vector<size_t> heap{0};
  size_t leaves = 1;
  const uint64_t fine = 64 * static_cast<uint64_t>(shards);
  const size_t max_leaves = 512 * static_cast<size_t>(shards);
  while (!heap.empty() && leaves < max_leaves && probe_steps < kProbeBudget) {
    std::pop_heap(heap.begin(), heap.end(), smaller);
    const size_t i = heap.back();
    heap.pop_back();
    if (all[i].size <= total / fine) break;
    if (all[i].branch == SIZE_MAX) continue;  // a single path: nothing to split
    std::vector<DfsTask> kids;
    AppendChildren(all[i].path, all[i].branch, all[i].task.weight, cfg, &kids);
    total -= all[i].size;
    for (DfsTask& k : kids) {
      EstimatedTask e;
      e.task = std::move(k);
      EstimateSubtree(p, o, cfg, &e, &probe_steps, &out.cut);
      total += e.size;
      all[i].kids.push_back(all.size());
      heap.push_back(all.size());
      all.push_back(std::move(e));
      std::push_heap(heap.begin(), heap.end(), smaller);
    }
    all[i].path.clear();
    all[i].path.shrink_to_fit();
    leaves += all[i].kids.size() - 1;
  }
  // The leaves in DFS order.
  std::vector<size_t> todo{0};
  while (!todo.empty()) {
    const size_t i = todo.back();
    todo.pop_back();
    if (all[i].kids.empty()) {
      all[i].task.weight = static_cast<double>(all[i].size) / static_cast<double>(std::max<uint64_t>(total, 1));
      sizes->push_back(all[i].size);
      out.tasks.push_back(std::move(all[i].task));
    }
    for (size_t k = all[i].kids.size(); k-- > 0;) todo.push_back(all[i].kids[k]);
  }
  return out;
}

// The tasks of shard `shard` of `shards`, in DFS order: each task, largest
// estimate first (ties: DFS order), goes to the shard with the least estimated
// work so far (ties: the lowest), as LPT scheduling does. Interleaving the
// shards over the tree also evens out the estimates' bias by region.
std::vector<DfsTask> AssignShard(TreeSplit* split, const std::vector<uint64_t>& sizes, int shard, int shards) {
  std::vector<size_t> order(sizes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
  using Load = std::pair<unsigned __int128, int>;  // estimated work, shard
  std::priority_queue<Load, std::vector<Load>, std::greater<Load>> least;
  for (int k = 0; k < shards; ++k) least.push({0, k});
  std::vector<char> is_mine(sizes.size(), 0);
  for (size_t i : order) {
    Load l = least.top();
    least.pop();
    is_mine[i] = l.second == shard;
    l.first += sizes[i];
    least.push(l);
  }
  std::vector<DfsTask> mine;
  for (size_t i = 0; i < sizes.size(); ++i)
    if (is_mine[i]) mine.push_back(std::move(split->tasks[i]));
  return mine;
}

// Explores the parts of one exhaustive search (subtrees, in DFS order), each
// from its own task, sharing the stop conditions.
class PartExplorer {
 public:
  PartExplorer(const Program& p, const ExploreOptions& o, const DfsConfig& cfg, const DecideRules& rules,
               std::vector<DfsTask> tasks)
      : p_(p),
        o_(o),
        cfg_(cfg),
        rules_(rules),
        tasks_(std::move(tasks)),
        deadline_(o.timeout_seconds > 0
                      ? Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.timeout_seconds * 1000))
                      : Clock::time_point::max()),
        total_weight_(TotalWeight(tasks_)),
        frac_(tasks_.size()),
        progress_(o.progress, 0, [this] { return Fraction(); }) {}
  size_t size() const { return tasks_.size(); }

  // Explores every part, side by side (--jobs).
  std::vector<Partial> ExploreAll() {
    std::vector<Partial> parts(tasks_.size());
    ParallelFor(o_.jobs, tasks_.size(), [&](size_t k) { Explore(k, &parts[k], 0, false); });
    return parts;
  }

  // Explores part k into *out: at most `cap` executions (0: no cap); a re-run
  // (`again`) ignores --timeout and the cutoff, to reproduce a prefix exactly.
  void Explore(size_t k, Partial* outp, uint64_t cap, bool again) {
    const uint64_t limit = o_.max_schedules;
    const bool stop_at_verdict = !o_.keep_going;
    DfsTask t = tasks_[k];
    Partial& out = *outp;
    out.seen_at.assign(rules_.slots.size(), std::nullopt);
    DecideState local(rules_);
    uint64_t nlocal = 0;
    // --reduction=state (which runs as one part)
    StateCache cache(o_.state_hash_compaction, o_.exec.check_discipline);
    auto note_states = [&] {
      if (cfg_.reduction != Reduction::kState) return;
      out.r.states_stored = cache.stored();
      out.r.states_matched = cache.matched();
      out.r.states_revisited = cache.revisited();
      out.r.shared_states = cache.shared_states();
      out.r.state_hash_compaction = cache.compact();
    };
    for (;;) {
      if (!again && (stop_.load(std::memory_order_relaxed) || (limit && nlocal >= limit) ||
                     (stop_at_verdict && cutoff_.load(std::memory_order_relaxed) < k))) {
        out.stop = true;
        note_states();
        return;
      }
      Execution ex(p_, o_.exec);
      DfsChooser ch(&t.stack, cfg_, cfg_.reduction == Reduction::kState ? &cache : nullptr, &ex);
      ExecResult e = ex.Run(ch);
      e.state_matched = ch.matched();
      out.preemption_cut |= ch.bound_cut();
      if (cfg_.reduction == Reduction::kDpor) {
        AddDporBacktracks(&t.stack, t.min_depth, static_cast<int>(p_.threads.size()), e.final_pending);
        // A schedule stops at its first violation, which makes "the first
        // violation" order-dependent even among commuting steps: every thread
        // runnable where the violating step ran must also get to run there.
        if (e.violation && !t.stack.empty() && t.stack.size() > t.min_depth) {
          Node& last = t.stack.back();
          last.backtrack |= last.enabled;
        }
      }
      out.execs++;
      if (e.end != ExecResult::End::kAbandoned) {
        if (!again) progress_.done = ++counted_;
        ++nlocal;
      }
      // After every execution, a sleep-blocked or matched one too (the
      // stateful search abandons most of its executions at a matched state).
      if (!again && Clock::now() > deadline_) {
        out.r.timed_out = true;
        stop_ = true;
      }
      const bool decided = stop_at_verdict && NoteForDecision(rules_, e, &out, &local);
      if (limit) {
        e.trace.clear();
        out.records.push_back(std::move(e));
      } else {
        Record(p_, e, &out);
      }
      if ((out.execs & 63) == 0) frac_[k].store(DfsFraction(t.stack, t.min_depth, cfg_), std::memory_order_relaxed);
      if (decided || (cap && out.execs >= cap)) {
        out.exhausted = !Backtrack(&t.stack, t.min_depth, cfg_);
        if (decided && !again) {
          // The lowest part whose own executions decide the verdict: the parts
          // after it cannot matter and stop.
          size_t c = cutoff_.load();
          while (k < c && !cutoff_.compare_exchange_weak(c, k)) {
          }
        }
        frac_[k].store(1, std::memory_order_relaxed);
        note_states();
        return;
      }
      if (!Backtrack(&t.stack, t.min_depth, cfg_)) {
        out.exhausted = true;
        frac_[k].store(1, std::memory_order_relaxed);
        note_states();
        return;
      }
    }
  }

 private:
  static double TotalWeight(const std::vector<DfsTask>& tasks) {
    double w = 0;
    for (const DfsTask& t : tasks) w += t.weight;
    return w;
  }
  // Of the space explored so far (--progress).
  double Fraction() const {
    double f = 0;
    for (size_t k = 0; k < tasks_.size(); ++k) f += tasks_[k].weight * frac_[k].load(std::memory_order_relaxed);
    return total_weight_ > 0 ? f / total_weight_ : 0.0;
  }

  const Program& p_;
  const ExploreOptions& o_;
  const DfsConfig cfg_;
  const DecideRules& rules_;
  const std::vector<DfsTask> tasks_;
  const Clock::time_point deadline_;
  const double total_weight_;
  std::vector<std::atomic<double>> frac_;  // of each part explored (--progress)
  std::atomic<uint64_t> counted_{0};
  std::atomic<bool> stop_{false};
  std::atomic<size_t> cutoff_{SIZE_MAX};
  Progress progress_;  // last: its thread reads the members above
};

// The parts' results merged in DFS order, as one search gives them: bounded by
// --schedules (the first schedules in DFS order) and stopped at the verdict
// (the executions up to the deciding one in canonical order; a part that went
// past it is explored again up to it).
ExploreResult MergeParts(const Program& p, const ExploreOptions& o, const DecideRules& rules, bool split_cut,
                         PartExplorer* explorer, std::vector<Partial> parts) {
  const uint64_t limit = o.max_schedules;
  const bool stop_at_verdict = !o.keep_going;
  Partial all;
  bool stopped = false;
  bool stopped_early = false;  // the verdict was decided before the end of the space
  size_t merged = parts.size();  // the parts that count (stopping at the verdict drops those after it)
  DecideState decide(rules);
  if (limit) {
    // The first `limit` schedules in DFS order; complete only if nothing was left.
    uint64_t n = 0;
    bool decided = false;
    for (size_t k = 0; k < parts.size() && !decided; ++k) {
      Partial& pt = parts[k];
      all.r.timed_out |= pt.r.timed_out;
      for (size_t i = 0; i < pt.records.size(); ++i) {
        const bool counts = pt.records[i].end != ExecResult::End::kAbandoned;
        // Past the limit nothing more is recorded, not even pruned paths: with
        // one task the search stops right after the limit-th schedule, so the
        // figures must not depend on how --jobs split the tree.
        if (n >= limit) {
          stopped = true;
          break;
        }
        Record(p, pt.records[i], &all);
        n += counts;
        if (stop_at_verdict && decide.Apply(Classify(rules, pt.records[i]), ExecLocks(pt.records[i]))) {
          decided = true;
          stopped_early = !(k + 1 == parts.size() && i + 1 == pt.records.size() && pt.exhausted);
          merged = k + 1;
          break;
        }
      }
      if (pt.stop && n >= limit) stopped = true;
      if (stopped) break;
    }
    if (n >= limit && !decided) {
      // Anything beyond the bound left in any task means the space is not done.
      for (const Partial& pt : parts) stopped |= pt.stop;
    }
  } else {
    for (size_t k = 0; k < parts.size(); ++k) {
      Partial& pt = parts[k];
      if (stop_at_verdict) {
        if (std::optional<uint64_t> d = DecisionIn(&decide, pt)) {
          // Decided at execution d of this part: keep exactly the executions
          // before it in canonical order (re-run the part up to d if it went on).
          if (*d + 1 < pt.execs) {
            Partial again;
            explorer->Explore(k, &again, *d + 1, true);
            again.r.timed_out |= pt.r.timed_out;
            pt = std::move(again);
          }
          stopped_early = !(k + 1 == parts.size() && pt.exhausted);
          merged = k + 1;
          MergeResults(&all.r, std::move(pt.r));
          break;
        }
      }
      stopped |= pt.stop;
      MergeResults(&all.r, std::move(pt.r));
    }
  }
  CheckLockOrderAcrossSchedules(&all.r);
  bool cut = split_cut;
  for (size_t k = 0; k < merged; ++k) cut |= parts[k].preemption_cut;
  all.r.preemption_bounded = cut;
  all.r.stopped_early = stopped_early;
  all.r.shard = o.shard_count > 1;
  all.r.exhaustive_complete =
      !stopped && !stopped_early && !all.r.timed_out && all.r.step_limited == 0 && !cut &&
      !all.r.state_hash_compaction;
  return std::move(all.r);
}

// Exhaustive DFS: cut the tree into subtrees (for the shards, then for the
// workers), explore this shard's, merge them in DFS order.
ExploreResult ExploreExhaustive(const Program& p, const ExploreOptions& o) {
  const DfsConfig cfg{o.max_preemptions, o.reduction};
  // The stateful search's table is one part's: it is never split.
  const bool stateful = o.reduction == Reduction::kState;
  const size_t want_jobs = !stateful && o.jobs > 1 ? static_cast<size_t>(16 * o.jobs) : 1;
  TreeSplit split;
  if (o.shard_count > 1 && o.reduction != Reduction::kDpor && !stateful) {
    std::vector<uint64_t> sizes;
    TreeSplit shards = SplitBalanced(p, o, cfg, o.shard_count, &sizes);
    std::vector<DfsTask> mine = AssignShard(&shards, sizes, o.shard_index, o.shard_count);
    split = SplitBreadthFirst(p, o, cfg, std::move(mine), want_jobs);
    split.cut |= shards.cut;
  } else if (o.shard_count > 1) {
    // DPOR's backtrack sets grow across subtrees: never cut (a new node has one
    // candidate, so the probe finds no branch). Shard 0 does all the work.
    split = SplitBreadthFirst(p, o, cfg, std::vector<DfsTask>(1), stateful ? 1 : 2);
    if (o.shard_index != 0) split.tasks.clear();
  } else {
    split = SplitBreadthFirst(p, o, cfg, std::vector<DfsTask>(1), want_jobs);
  }
  const DecideRules rules = MakeRules(p);
  PartExplorer explorer(p, o, cfg, rules, std::move(split.tasks));
  std::vector<Partial> parts = explorer.ExploreAll();
  return MergeParts(p, o, rules, split.cut, &explorer, std::move(parts));
}

// Random walk.
class RandomChooser : public Chooser {
 public:
  explicit RandomChooser(uint64_t seed) : rng_(seed) {}
  int Choose(int, std::span<const int> enabled, std::span<Thread* const>) override {
    std::uniform_int_distribution<size_t> d(0, enabled.size() - 1);
    return enabled[d(rng_)];
  }

 private:
  std::mt19937_64 rng_;
};

// PCT with depth d over n threads and an estimate k of the schedule length.
class PctChooser : public Chooser {
 public:
  PctChooser(uint64_t seed, int n, int k, int d) : rng_(seed), prio_(static_cast<size_t>(n)) {
    // Distinct initial priorities d..d+n-1 in random order.
    for (int i = 0; i < n; ++i) prio_[static_cast<size_t>(i)] = d + i;
    std::shuffle(prio_.begin(), prio_.end(), rng_);
    std::uniform_int_distribution<int> step(0, std::max(k - 1, 0));
    for (int i = 1; i < d; ++i) change_.push_back({step(rng_), d - i});
  }
  int Choose(int step, std::span<const int> enabled, std::span<Thread* const>) override {
    int best = enabled[0];
    for (int t : enabled)
      if (prio_[static_cast<size_t>(t)] > prio_[static_cast<size_t>(best)]) best = t;
    for (auto [at, low] : change_)
      if (at == step) prio_[static_cast<size_t>(best)] = low;  // a priority change point
    // Re-pick after a change at this step.
    for (int t : enabled)
      if (prio_[static_cast<size_t>(t)] > prio_[static_cast<size_t>(best)]) best = t;
    return best;
  }

 private:
  std::mt19937_64 rng_;
  std::vector<int> prio_;
  std::vector<std::pair<int, int>> change_;
};

// splitmix64 of (seed, i), applied twice: the same on every run and machine
// (absl::Hash is salted per process, so it must not be used here).
uint64_t ScheduleSeed(uint64_t seed, uint64_t i) {
  const uint64_t once = SplitMix64{seed * SplitMix64::kGamma + i + 0x7666696f73696dULL}.Next();
  return SplitMix64{once}.Next();
}

ExploreResult ExploreSampled(const Program& p, const ExploreOptions& o) {
  const uint64_t n = o.max_schedules ? o.max_schedules : 1000;
  const int threads = static_cast<int>(p.threads.size());
  int k = 1;
  if (o.strategy == Strategy::kPct) {  // estimate the schedule length once
    FirstChooser first;
    Execution ex(p, o.exec);
    k = std::max(1, ex.Run(first).steps);
  }
  const Clock::time_point deadline =
      o.timeout_seconds > 0 ? Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.timeout_seconds * 1000))
                            : Clock::time_point::max();
  // Chunks of schedule indices; this shard takes i % shard_count == shard_index.
  // Chunks run in windows, each merged in index order before the next starts,
  // so that memory does not grow with --schedules.
  const uint64_t chunk = 64;
  const uint64_t nchunks = (n + chunk - 1) / chunk;
  const uint64_t window = 1024;
  Progress progress(o.progress, n);
  std::atomic<uint64_t> counted{0};
  std::atomic<bool> timed_out{false};
  const DecideRules rules = MakeRules(p);
  const bool stop_at_verdict = !o.keep_going;
  DecideState decide(rules);
  bool decided = false;
  // This shard's last schedule index.
  const uint64_t nshards = static_cast<uint64_t>(o.shard_count), me = static_cast<uint64_t>(o.shard_index);
  const uint64_t last_index = n > me ? n - 1 - (n - 1 - me) % nshards : UINT64_MAX;
  Partial all;
  for (uint64_t w0 = 0; w0 < nchunks && !timed_out.load() && !decided; w0 += window) {
    std::vector<Partial> parts(static_cast<size_t>(std::min(window, nchunks - w0)));
    std::atomic<size_t> cutoff{SIZE_MAX};  // the lowest chunk whose own schedules decide the verdict
    // Runs chunk j of the window into *out, at most `cap` schedules (0: all); a
    // re-run (`again`) ignores --timeout and the cutoff.
    auto run_chunk = [&](size_t j, Partial* out, uint64_t cap, bool again) {
      const uint64_t c = w0 + j;
      out->seen_at.assign(rules.slots.size(), std::nullopt);
      DecideState local(rules);
      for (uint64_t i = c * chunk; i < std::min(n, (c + 1) * chunk); ++i) {
        if (static_cast<int>(i % static_cast<uint64_t>(o.shard_count)) != o.shard_index) continue;
        if (!again && timed_out.load(std::memory_order_relaxed)) {
          out->r.timed_out = true;
          return;
        }
        if (!again && stop_at_verdict && cutoff.load(std::memory_order_relaxed) < j) {
          out->stop = true;
          return;
        }
        if (cap && out->execs >= cap) return;
        std::unique_ptr<Chooser> ch;
        if (o.strategy == Strategy::kRandom)
          ch = std::make_unique<RandomChooser>(ScheduleSeed(o.seed, i));
        else
          ch = std::make_unique<PctChooser>(ScheduleSeed(o.seed, i), threads, k, std::max(1, o.pct_depth));
        Execution ex(p, o.exec);
        const ExecResult e = ex.Run(*ch);
        out->execs++;
        const bool dec = stop_at_verdict && NoteForDecision(rules, e, out, &local);
        Record(p, e, out);
        out->exhausted = i == last_index;  // (for a part: whether its last schedule ends the run)
        if (!again) {
          progress.done = ++counted;
          if (Clock::now() > deadline) timed_out = true;
        }
        if (dec) {
          if (!again) {
            size_t cur = cutoff.load();
            while (j < cur && !cutoff.compare_exchange_weak(cur, j)) {
            }
          }
          return;
        }
      }
    };
    ParallelFor(o.jobs, parts.size(), [&](size_t j) { run_chunk(j, &parts[j], 0, false); });
    for (size_t j = 0; j < parts.size(); ++j) {
      Partial& pt = parts[j];
      if (stop_at_verdict) {
        if (std::optional<uint64_t> d = DecisionIn(&decide, pt)) {
          if (*d + 1 < pt.execs) {
            Partial again;
            run_chunk(j, &again, *d + 1, true);
            again.r.timed_out |= pt.r.timed_out;
            pt = std::move(again);
          }
          all.r.stopped_early = !pt.exhausted;
          decided = true;
          MergeResults(&all.r, std::move(pt.r));
          break;
        }
      }
      MergeResults(&all.r, std::move(pt.r));
    }
    CheckLockOrderAcrossSchedules(&all.r);  // also drops the chunks' redundant lock steps
  }
  all.r.timed_out |= timed_out.load();
  CheckLockOrderAcrossSchedules(&all.r);
  all.r.shard = o.shard_count > 1;
  return std::move(all.r);
}

}  // namespace

int ReplayChooser::Choose(int, std::span<const int> enabled, std::span<Thread* const>) {
  if (enabled.size() == 1) return enabled[0];
  if (pos_ >= id_.size()) return enabled[0];
  const int t = ScheduleThread(id_[pos_++]);
  if (std::find(enabled.begin(), enabled.end(), t) == enabled.end()) {
    bad_ = true;
    return -1;
  }
  return t;
}

// A schedule id as error messages show it: at most 64 characters, bytes that
// are not printable escaped.
std::string ShownId(const std::string& id) {
  std::string out;
  for (size_t i = 0; i < id.size() && i < 64; ++i) {
    const unsigned char c = static_cast<unsigned char>(id[i]);
    out += c >= 0x20 && c < 0x7f ? std::string(1, static_cast<char>(c)) : absl::StrFormat("\\x%02x", c);
  }
  if (id.size() > 64) absl::StrAppendFormat(&out, "...(%d characters)", id.size());
  return out;
}

absl::StatusOr<ExecResult> Replay(const Program& p, const std::string& given, ExecOptions o) {
  const std::string schedule = ShownId(given);
  const std::string id = given == "-" ? "" : given;
  for (char c : id)
    if (ScheduleThread(c) < 0 || ScheduleThread(c) >= static_cast<int>(p.threads.size()))
      return absl::InvalidArgumentError(absl::StrFormat("bad schedule id '%s': '%s' names no thread of this scenario",
                                                        schedule, ShownId(std::string(1, c))));
  ReplayChooser ch(id);
  Execution ex(p, o);
  ExecResult r = ex.Run(ch);
  if (ch.bad())
    return absl::InvalidArgumentError(absl::StrFormat(
        "schedule id '%s' does not fit this scenario: it picks a thread that is not runnable there", schedule));
  if (!ch.consumed_all())
    return absl::InvalidArgumentError(
        absl::StrFormat("schedule id '%s' is longer than the schedule it describes", schedule));
  return r;
}

void CheckLockOrderAcrossSchedules(ExploreResult* r) {
  LockGraph g;
  std::vector<LockStep> kept;
  bool reported = r->failures.count(Invariant::kLockOrder) > 0;
  for (LockStep& ls : r->lock_steps) {
    bool adds = false;
    for (auto [a, b] : ls.graph.Edges()) {
      if (g.Has(a, b)) continue;
      adds = true;
      if (!reported && g.Reaches(b, a)) {
        Failure f{Invariant::kLockOrder,
                  absl::StrFormat("%s is taken before %s here, but after it in an earlier schedule",
                                  std::string(LockClassName(static_cast<LockClass>(a))),
                                  std::string(LockClassName(static_cast<LockClass>(b)))),
                  ls.schedule, ls.steps, 1};
        r->failures[Invariant::kLockOrder] = f;
        if (!r->shortest) r->shortest = f;
        reported = true;
      }
    }
    g.Merge(ls.graph);
    if (adds) kept.push_back(std::move(ls));
  }
  r->lock_steps = std::move(kept);
}

ExploreResult Explore(const Program& p, const ExploreOptions& o) {
  if (o.strategy == Strategy::kExhaustive) return ExploreExhaustive(p, o);
  return ExploreSampled(p, o);
}

}  // namespace vfiosim::sim
