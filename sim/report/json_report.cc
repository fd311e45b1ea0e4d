#include "sim/report/json_report.h"

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "model/lock_class.h"

namespace vfiosim::sim {
namespace {

const char* KindName(scn::Expectation::Kind k) {
  switch (k) {
    case scn::Expectation::Kind::kClean: return "clean";
    case scn::Expectation::Kind::kViolation: return "violation";
    case scn::Expectation::Kind::kNever: return "never";
    case scn::Expectation::Kind::kSometimes: return "sometimes";
    case scn::Expectation::Kind::kAlways: return "always";
  }
  return "?";
}

json::Value FailureJson(const Failure& f) {
  json::Value o = json::Value::object();
  o["invariant"] = std::string(InvariantName(f.inv));
  o["message"] = f.message;
  o["count"] = f.count;
  o["schedule"] = f.schedule.empty() ? "-" : f.schedule;
  o["steps"] = f.steps;
  return o;
}

}  // namespace

json::Value TraceRowsToJson(const Program& p, const ExecResult& e) {
  json::Value rows = json::Value::array();
  for (const TraceRow& r : e.trace) {
    json::Value o = json::Value::object();
    o["thread"] = r.thread < 0 ? std::string("setup/finally") : p.threads[static_cast<size_t>(r.thread)].name;
    o["step"] = r.step;
    o["function"] = r.func;
    json::Value lines = json::Value::array();
    for (const std::string& l : r.lines) lines.push_back(l);
    o["events"] = std::move(lines);
    rows.push_back(std::move(o));
  }
  return rows;
}

namespace {

json::Value WitnessJson(const Witness& w) {
  json::Value o = json::Value::object();
  o["schedule"] = w.schedule.empty() ? "-" : w.schedule;
  o["steps"] = w.steps;
  return o;
}

std::optional<Witness> WitnessFromJson(json::View v) {
  if (!v.is_object()) return std::nullopt;
  Witness w{v["schedule"].as_string(), static_cast<int>(v["steps"].as_int())};
  if (w.schedule == "-") w.schedule.clear();
  return w;
}

}  // namespace

json::Value ReportToJson(const Program& p, const ExploreResult& r, const Verdict& v, const ReportMeta& m,
                         const ExecResult* cex, const ExecResult* witness) {
  const scn::Scenario& s = *p.scenario;
  json::Value o = json::Value::object();
  o["vfiosim_report"] = 1;
  o["scenario"] = s.name;
  o["file"] = m.file;
  o["variant"] = std::string(VariantName(p.machine.ctx.variant));
  o["arch"] = std::string(ArchName(p.machine.arch));
  o["strategy"] = m.strategy;
  o["seed"] = static_cast<int64_t>(m.seed);  // as always written: above INT64_MAX, negative
  o["shard"] = absl::StrFormat("%d/%d", m.shard_index, m.shard_count);
  o["verdict"] = v.pass ? "PASS" : "FAIL";
  o["reason"] = v.reason;
  o["verdict_line"] = VerdictLine(s, r, v);
  o["schedules"] = r.schedules;
  o["complete_schedules"] = r.complete_schedules;
  o["pruned"] = r.pruned;
  if (r.states_stored) {  // --reduction=state
    o["states_stored"] = r.states_stored;
    o["states_matched"] = r.states_matched;
    o["states_revisited"] = r.states_revisited;
    o["shared_states"] = r.shared_states;
    o["state_hash_compaction"] = r.state_hash_compaction;
  }
  o["step_limited"] = r.step_limited;
  o["steps"] = r.steps;
  o["complete"] = r.exhaustive_complete;
  o["timed_out"] = r.timed_out;
  o["preemption_bounded"] = r.preemption_bounded;
  o["stopped_early"] = r.stopped_early;
  if (r.first_complete) o["first_complete"] = WitnessJson(*r.first_complete);
  if (r.first_ended) o["first_ended"] = WitnessJson(*r.first_ended);
  if (r.first_step_limited) o["first_step_limited"] = WitnessJson(*r.first_step_limited);
  json::Value outs = json::Value::array();
  for (const auto& [k, n] : r.outcomes) {
    json::Value e = json::Value::object();
    e["outcome"] = k;
    e["count"] = n;
    outs.push_back(std::move(e));
  }
  o["outcomes"] = std::move(outs);
  json::Value exps = json::Value::array();
  for (size_t i = 0; i < s.expectations.size(); ++i) {
    const scn::Expectation& e = s.expectations[i];
    json::Value x = json::Value::object();
    x["line"] = e.loc.line;
    x["kind"] = KindName(e.kind);
    x["invariant"] = e.invariant;
    x["positive"] = i < r.expect_true.size() ? r.expect_true[i] : uint64_t{0};
    x["holds"] = i < v.expectations.size() && v.expectations[i].holds;
    if (i < r.expect_witness.size() && r.expect_witness[i]) x["witness"] = WitnessJson(*r.expect_witness[i]);
    exps.push_back(std::move(x));
  }
  o["expectations"] = std::move(exps);
  json::Value viol = json::Value::array();
  for (const auto& [inv, f] : r.failures) viol.push_back(FailureJson(f));
  o["violations"] = std::move(viol);
  if (r.shortest) o["shortest"] = FailureJson(*r.shortest);
  // For lockdep across shards (`vfiosim merge`): the executions that brought
  // new lock-class edges, with all their edges.
  json::Value locks = json::Value::array();
  for (const LockStep& ls : r.lock_steps) {
    json::Value x = json::Value::object();
    x["schedule"] = ls.schedule.empty() ? "-" : ls.schedule;
    x["steps"] = ls.steps;
    json::Value edges = json::Value::array();
    for (auto [a, b] : ls.graph.Edges()) {
      json::Value e = json::Value::array();
      e.push_back(std::string(LockClassName(static_cast<LockClass>(a))));
      e.push_back(std::string(LockClassName(static_cast<LockClass>(b))));
      edges.push_back(std::move(e));
    }
    x["edges"] = std::move(edges);
    locks.push_back(std::move(x));
  }
  o["lock_steps"] = std::move(locks);
  if (cex) {
    json::Value c = json::Value::object();
    c["schedule"] = cex->schedule.empty() ? "-" : cex->schedule;
    c["trace"] = TraceRowsToJson(p, *cex);
    o["counterexample"] = std::move(c);
  }
  if (witness) {
    json::Value c = json::Value::object();
    c["reason"] = v.reason;
    c["schedule"] = witness->schedule.empty() ? "-" : witness->schedule;
    c["trace"] = TraceRowsToJson(p, *witness);
    o["witness"] = std::move(c);
  }
  return o;
}

absl::StatusOr<ShardReport> ReportFromJson(json::View v) {
  if (!v.is_object() || v["vfiosim_report"].as_int() != 1)
    return absl::InvalidArgumentError("not a vfiosim JSON report (run with --format=json)");
  ShardReport sr;
  sr.scenario = v["scenario"].as_string();
  sr.meta.file = v["file"].as_string();
  sr.meta.strategy = v["strategy"].as_string();
  sr.meta.seed = static_cast<uint64_t>(v["seed"].as_int());
  if (sscanf(v["shard"].as_string().c_str(), "%d/%d", &sr.meta.shard_index, &sr.meta.shard_count) != 2)
    return absl::InvalidArgumentError("report has no shard field");
  ExploreResult& r = sr.result;
  r.schedules = static_cast<uint64_t>(v["schedules"].as_int());
  r.complete_schedules = static_cast<uint64_t>(v["complete_schedules"].as_int());
  r.pruned = static_cast<uint64_t>(v["pruned"].as_int());
  r.states_stored = static_cast<uint64_t>(v["states_stored"].as_int());  // 0 when absent
  r.states_matched = static_cast<uint64_t>(v["states_matched"].as_int());
  r.states_revisited = static_cast<uint64_t>(v["states_revisited"].as_int());
  r.shared_states = static_cast<uint64_t>(v["shared_states"].as_int());
  r.state_hash_compaction = v["state_hash_compaction"].as_bool();
  r.step_limited = static_cast<uint64_t>(v["step_limited"].as_int());
  r.steps = static_cast<uint64_t>(v["steps"].as_int());
  r.exhaustive_complete = v["complete"].as_bool();
  r.timed_out = v["timed_out"].as_bool();
  r.preemption_bounded = v["preemption_bounded"].as_bool();  // false when absent (older reports)
  r.stopped_early = v["stopped_early"].as_bool();
  r.shard = sr.meta.shard_count > 1;
  r.first_complete = WitnessFromJson(v["first_complete"]);
  r.first_ended = WitnessFromJson(v["first_ended"]);
  r.first_step_limited = WitnessFromJson(v["first_step_limited"]);
  for (json::View o : v["outcomes"].items())
    r.outcomes[o["outcome"].as_string()] += static_cast<uint64_t>(o["count"].as_int());
  sr.expectations.name = sr.scenario;
  for (json::View x : v["expectations"].items()) {
    scn::Expectation e;
    e.loc.line = static_cast<int>(x["line"].as_int());
    const std::string k = x["kind"].as_string();
    if (k == "clean") e.kind = scn::Expectation::Kind::kClean;
    else if (k == "violation") e.kind = scn::Expectation::Kind::kViolation;
    else if (k == "never") e.kind = scn::Expectation::Kind::kNever;
    else if (k == "sometimes") e.kind = scn::Expectation::Kind::kSometimes;
    else if (k == "always") e.kind = scn::Expectation::Kind::kAlways;
    else return absl::InvalidArgumentError("bad expectation kind '" + k + "' in report");
    e.invariant = x["invariant"].as_string();
    sr.expectations.expectations.push_back(std::move(e));
    r.expect_true.push_back(static_cast<uint64_t>(x["positive"].as_int()));
    r.expect_witness.push_back(WitnessFromJson(x["witness"]));
  }
  auto failure = [](json::View f) -> absl::StatusOr<Failure> {
    std::optional<Invariant> inv = ParseInvariant(f["invariant"].as_string());
    if (!inv) return absl::InvalidArgumentError("bad invariant in report");
    std::string sched = f["schedule"].as_string();
    if (sched == "-") sched.clear();
    return Failure{*inv, f["message"].as_string(), sched, static_cast<int>(f["steps"].as_int()),
                   static_cast<uint64_t>(f["count"].as_int())};
  };
  for (json::View f : v["violations"].items()) {
    absl::StatusOr<Failure> x = failure(f);
    if (!x.ok()) return x.status();
    r.failures[x->inv] = *x;
  }
  if (v["shortest"].is_object()) {
    absl::StatusOr<Failure> x = failure(v["shortest"]);
    if (!x.ok()) return x.status();
    r.shortest = *x;
  }
  auto lock_class = [](json::View name) -> std::optional<int> {
    for (int c = 0; c < LockGraph::kN; ++c)
      if (name.as_string() == LockClassName(static_cast<LockClass>(c))) return c;
    return std::nullopt;
  };
  for (json::View x : v["lock_steps"].items()) {  // absent in older reports
    LockStep ls;
    ls.schedule = x["schedule"].as_string();
    if (ls.schedule == "-") ls.schedule.clear();
    ls.steps = static_cast<int>(x["steps"].as_int());
    for (json::View e : x["edges"].items()) {
      const std::vector<json::View> ends = e.items();
      const std::optional<int> a = ends.size() == 2 ? lock_class(ends[0]) : std::nullopt;
      const std::optional<int> b = ends.size() == 2 ? lock_class(ends[1]) : std::nullopt;
      if (!a || !b) return absl::InvalidArgumentError("bad lock edge in report");
      ls.graph.Add(*a, *b);
    }
    r.lock_steps.push_back(std::move(ls));
  }
  return sr;
}

json::Value TraceToJson(const Program& p, const ExecResult& e) {
  json::Value events = json::Value::array();
  auto meta = [&](int tid, const std::string& name) {
    json::Value m = json::Value::object();
    m["name"] = "thread_name";
    m["ph"] = "M";
    m["pid"] = 1;
    m["tid"] = tid;
    json::Value args = json::Value::object();
    args["name"] = name;
    m["args"] = std::move(args);
    events.push_back(std::move(m));
  };
  meta(0, "setup/finally");
  for (size_t i = 0; i < p.threads.size(); ++i) meta(static_cast<int>(i) + 1, p.threads[i].name);
  int64_t ts = 0;  // one microsecond per row: a logical clock
  for (const TraceRow& r : e.trace) {
    const int tid = r.thread + 1;
    json::Value slice = json::Value::object();
    slice["name"] = r.func.empty() ? std::string(r.thread < 0 ? "setup" : "start") : r.func;
    slice["cat"] = "step";
    slice["ph"] = "X";
    slice["pid"] = 1;
    slice["tid"] = tid;
    slice["ts"] = ts;
    slice["dur"] = 10;
    json::Value args = json::Value::object();
    args["step"] = r.step;
    slice["args"] = std::move(args);
    events.push_back(std::move(slice));
    int64_t t = ts;
    for (const std::string& l : r.lines) {
      json::Value inst = json::Value::object();
      std::string cat = "op";
      if (absl::StrContains(l, "leaf va=")) cat = "pte_insert";
      else if (absl::StrContains(l, ": zap ")) cat = "pte_zap";
      else if (absl::StartsWith(l, "lock") || absl::StartsWith(l, "unlock")) cat = "lock";
      else if (absl::StrContains(l, "access")) cat = "mmio";
      inst["name"] = l;
      inst["cat"] = cat;
      inst["ph"] = "i";
      inst["s"] = "t";
      inst["pid"] = 1;
      inst["tid"] = tid;
      inst["ts"] = ++t > ts + 9 ? ts + 9 : t;
      events.push_back(std::move(inst));
    }
    ts += 10;
  }
  if (e.violation) {
    json::Value inst = json::Value::object();
    inst["name"] = std::string(InvariantName(e.violation->inv)) + ": " + e.violation->message;
    inst["cat"] = "violation";
    inst["ph"] = "i";
    inst["s"] = "g";
    inst["pid"] = 1;
    inst["tid"] = 0;
    inst["ts"] = ts;
    events.push_back(std::move(inst));
  }
  json::Value o = json::Value::object();
  o["traceEvents"] = std::move(events);
  o["displayTimeUnit"] = "ns";
  return o;
}

}  // namespace vfiosim::sim
