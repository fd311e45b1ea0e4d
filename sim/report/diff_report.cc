#include "sim/report/diff_report.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "sim/report/json_report.h"
#include "sim/report/text_report.h"

namespace vfiosim::sim {
namespace {

std::string Id(const std::string& schedule) { return schedule.empty() ? "-" : schedule; }

// Side x's entries that side y lacks: outcomes in canonical (sorted) order, then
// violations in the order of the invariant catalogue.
std::vector<DiffEntry> OnlyIn(const ExploreResult& x, const ExploreResult& y) {
  std::vector<DiffEntry> out;
  for (const auto& [outcome, n] : x.outcomes) {
    if (y.outcomes.count(outcome)) continue;
    DiffEntry e;
    e.what = outcome;
    auto w = x.outcome_witness.find(outcome);
    e.schedule = Id(w == x.outcome_witness.end() ? std::string() : w->second);
    out.push_back(std::move(e));
  }
  for (const auto& [inv, f] : x.failures) {
    if (y.failures.count(inv)) continue;
    DiffEntry e;
    e.violation = true;
    e.what = std::string(InvariantName(inv));
    e.schedule = Id(f.schedule);
    out.push_back(std::move(e));
  }
  return out;
}

class FollowChooser : public Chooser {
 public:
  explicit FollowChooser(const std::string& guide) : guide_(guide == "-" ? "" : guide) {}
  int Choose(int, std::span<const int> enabled, std::span<Thread* const>) override {
    if (enabled.size() == 1 || pos_ >= guide_.size()) return enabled[0];
    const int t = ScheduleThread(guide_[pos_]);
    if (std::find(enabled.begin(), enabled.end(), t) == enabled.end()) return enabled[0];
    ++pos_;
    return t;
  }

 private:
  std::string guide_;
  size_t pos_ = 0;
};

// What an execution ended with, as the report names it.
std::string Ending(const ExecResult& e) {
  if (e.violation) return "violation=" + std::string(InvariantName(e.violation->inv));
  if (e.end == ExecResult::End::kStepLimit) return "cut by --max-steps";
  return ShownOutcome(e.outcome);
}

bool SameRow(const TraceRow& a, const TraceRow& b) {
  return a.thread == b.thread && a.func == b.func && a.lines == b.lines;
}

// Where the two runs part: the first step at which a different thread runs, or,
// when the threads run in the same order, the first step that differs.
std::string PathsPart(const Program& p, const ExecResult& a, const ExecResult& b) {
  std::vector<const TraceRow*> ra, rb;
  for (const TraceRow& r : a.trace)
    if (r.thread >= 0 && r.step >= 0) ra.push_back(&r);
  for (const TraceRow& r : b.trace)
    if (r.thread >= 0 && r.step >= 0) rb.push_back(&r);
  auto describe = [&](const std::vector<const TraceRow*>& rows, size_t k) -> std::string {
    if (k >= rows.size()) return "has no step left";
    const TraceRow& r = *rows[k];
    return absl::StrFormat("runs thread %s%s", p.threads[static_cast<size_t>(r.thread)].name,
                           r.func.empty() ? "" : " in " + r.func);
  };
  size_t k = 0;
  while (k < ra.size() && k < rb.size() && ra[k]->thread == rb[k]->thread) ++k;
  if (k < ra.size() || k < rb.size())
    return absl::StrFormat("The threads run in the same order up to step %d; there A %s, B %s.", k, describe(ra, k),
                           describe(rb, k));
  k = 0;
  while (k < ra.size() && SameRow(*ra[k], *rb[k])) ++k;
  if (k == ra.size()) return "The threads run in the same order and take the same steps.";
  return absl::StrFormat("The threads run in the same order; from step %d the kernels differ: A %s, B %s.", k,
                         describe(ra, k), describe(rb, k));
}

json::Value SideJson(const DiffSide& s) {
  const ExploreResult& r = s.result;
  json::Value o = json::Value::object();
  o["options"] = s.options;
  o["variant"] = std::string(VariantName(s.program->machine.ctx.variant));
  o["arch"] = std::string(ArchName(s.program->machine.arch));
  o["schedules"] = r.schedules;
  o["complete"] = r.exhaustive_complete && s.shard.empty();
  if (!s.shard.empty()) {
    o["shard"] = s.shard;
    o["part_complete"] = r.exhaustive_complete;  // this shard's part, for `merge`
  }
  json::Value outs = json::Value::array();
  for (const auto& [k, n] : r.outcomes) {
    json::Value e = json::Value::object();
    e["outcome"] = k;
    e["count"] = n;
    auto w = r.outcome_witness.find(k);
    e["schedule"] = Id(w == r.outcome_witness.end() ? std::string() : w->second);
    outs.push_back(std::move(e));
  }
  o["outcomes"] = std::move(outs);
  json::Value viol = json::Value::array();
  for (const auto& [inv, f] : r.failures) {
    json::Value e = json::Value::object();
    e["invariant"] = std::string(InvariantName(inv));
    e["count"] = f.count;
    e["schedule"] = Id(f.schedule);
    e["message"] = f.message;
    viol.push_back(std::move(e));
  }
  o["violations"] = std::move(viol);
  return o;
}

json::Value RunJson(const Program& p, const ExecResult& e, const std::string& options) {
  json::Value o = json::Value::object();
  o["options"] = options;
  o["schedule"] = Id(e.schedule);
  o["ends_with"] = Ending(e);
  o["trace"] = TraceRowsToJson(p, e);
  return o;
}

json::Value EntriesJson(const std::vector<DiffEntry>& es, bool side_a, const DiffSide& a, const DiffSide& b) {
  json::Value arr = json::Value::array();
  for (const DiffEntry& e : es) {
    json::Value o = json::Value::object();
    o[e.violation ? "violation" : "outcome"] = e.what;
    o["schedule"] = e.schedule;
    o["line"] = DiffEntryLine(e, side_a);
    const DiffSide& own = side_a ? a : b;
    const DiffSide& other = side_a ? b : a;
    o["witness"] = RunJson(*own.program, e.witness, own.options);
    o["counterpart"] = RunJson(*other.program, e.counterpart, other.options);
    arr.push_back(std::move(o));
  }
  return arr;
}

}  // namespace

std::string ShownOutcome(const std::string& outcome) { return outcome.empty() ? "(no variables)" : outcome; }

DiffResult CompareSides(const DiffSide& a, const DiffSide& b) {
  DiffResult d;
  d.scenario = a.program->scenario->name;
  d.only_a = OnlyIn(a.result, b.result);
  d.only_b = OnlyIn(b.result, a.result);
  d.outcomes = a.result.outcomes.size();
  d.bounded = !a.result.exhaustive_complete || !b.result.exhaustive_complete || !a.shard.empty() || !b.shard.empty();
  return d;
}

ExecResult FollowSchedule(const Program& p, const std::string& guide, ExecOptions o) {
  FollowChooser ch(guide);
  Execution ex(p, o);
  return ex.Run(ch);
}

void AddWitnesses(const DiffSide& a, const DiffSide& b, const ExecOptions& o, DiffResult* d) {
  ExecOptions eo = o;
  eo.record_trace = true;
  for (bool side_a : {true, false}) {
    const DiffSide& own = side_a ? a : b;
    const DiffSide& other = side_a ? b : a;
    for (DiffEntry& e : side_a ? d->only_a : d->only_b) {
      absl::StatusOr<ExecResult> w = Replay(*own.program, e.schedule, eo);
      if (w.ok()) e.witness = std::move(*w);
      e.counterpart = FollowSchedule(*other.program, e.schedule, eo);
    }
  }
}

std::string DiffLine(const DiffResult& d) {
  std::string l = d.same() ? absl::StrFormat("diff: SAME %s outcomes=%d", d.scenario, d.outcomes)
                           : absl::StrFormat("diff: DIFFERENT %s only-a=%d only-b=%d", d.scenario, d.only_a.size(),
                                             d.only_b.size());
  if (d.bounded) l += " bounded";
  return l;
}

std::string DiffEntryLine(const DiffEntry& e, bool side_a) {
  return absl::StrFormat("%s %s%s schedule=%s", side_a ? "only-a:" : "only-b:", e.violation ? "violation=" : "",
                         e.violation ? e.what : ShownOutcome(e.what), e.schedule);
}

namespace {

// A trace table cut where a reader compares the two sides: the header, setup
// rows, each numbered step with its continuation lines, finally rows.
std::vector<std::vector<std::string>> Chunks(const std::string& table) {
  std::vector<std::string> lines = absl::StrSplit(table, '\n');
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::vector<std::vector<std::string>> out;
  char last_kind = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    // ':' setup/finally row, '|' thread row; a step number starts a new step.
    const char kind = l.size() > 5 && (l[5] == ':' || l[5] == '|') ? l[5] : 'x';
    const bool numbered = !l.empty() && l[0] >= '0' && l[0] <= '9';
    if (i < 2 || out.empty() || numbered || kind != last_kind) out.emplace_back();
    out.back().push_back(l);
    last_kind = i < 2 ? 'h' : kind;
  }
  return out;
}

}  // namespace

std::string SideBySide(const std::string& left, const std::string& right) {
  const std::vector<std::vector<std::string>> l = Chunks(left), r = Chunks(right);
  size_t w = 0;
  for (const auto& c : l)
    for (const std::string& s : c) w = std::max(w, s.size());
  std::string out;
  for (size_t k = 0; k < std::max(l.size(), r.size()); ++k) {
    const std::vector<std::string> none;
    const std::vector<std::string>& a = k < l.size() ? l[k] : none;
    const std::vector<std::string>& b = k < r.size() ? r[k] : none;
    for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
      const std::string x = i < a.size() ? a[i] : "";
      const std::string y = i < b.size() ? b[i] : "";
      std::string line = x;
      line.resize(w, ' ');
      absl::StrAppend(&line, x == y ? "   " : " * ", y);
      while (!line.empty() && line.back() == ' ') line.pop_back();
      absl::StrAppend(&out, line, "\n");
    }
  }
  return out;
}

std::string RenderDiff(const DiffSide& a, const DiffSide& b, const DiffResult& d) {
  const scn::Scenario& s = *a.program->scenario;
  std::string out;
  absl::StrAppendFormat(&out, "Diff %s%s\n", s.name, s.title.empty() ? "" : ": " + s.title);
  for (const DiffSide* side : {&a, &b}) {
    const ExploreResult& r = side->result;
    absl::StrAppendFormat(&out, "  %s: %s (%s, %s): %d schedules, %s\n", side == &a ? "A" : "B", side->options,
                          std::string(VariantName(side->program->machine.ctx.variant)),
                          std::string(ArchName(side->program->machine.arch)), r.schedules,
                          !side->shard.empty() ? "bounded (shard " + side->shard + ")"
                          : r.exhaustive_complete ? "complete"
                                                  : "bounded");
  }
  // The two histograms as one: A's count, B's count ('-': never), the outcome.
  std::set<std::string> all;
  for (const auto& [k, n] : a.result.outcomes) all.insert(k);
  for (const auto& [k, n] : b.result.outcomes) all.insert(k);
  auto count = [](const std::map<std::string, uint64_t>& m, const std::string& k) -> std::string {
    auto it = m.find(k);
    return it == m.end() ? "-" : absl::StrCat(it->second);
  };
  absl::StrAppendFormat(&out, "Outcomes (%d on A, %d on B; schedules without a violation):\n", a.result.outcomes.size(),
                        b.result.outcomes.size());
  absl::StrAppendFormat(&out, "  %7s %7s\n", "A", "B");
  for (const std::string& k : all)
    absl::StrAppendFormat(&out, "  %7s %7s  %s\n", count(a.result.outcomes, k), count(b.result.outcomes, k),
                          ShownOutcome(k));
  std::set<Invariant> invs;
  for (const auto& [inv, f] : a.result.failures) invs.insert(inv);
  for (const auto& [inv, f] : b.result.failures) invs.insert(inv);
  for (Invariant inv : invs) {
    auto c = [&](const ExploreResult& r) -> std::string {
      auto it = r.failures.find(inv);
      return it == r.failures.end() ? "-" : absl::StrCat(it->second.count);
    };
    absl::StrAppendFormat(&out, "  %7s %7s  violation=%s\n", c(a.result), c(b.result), std::string(InvariantName(inv)));
  }
  for (const DiffEntry& e : d.only_a) absl::StrAppend(&out, DiffEntryLine(e, true), "\n");
  for (const DiffEntry& e : d.only_b) absl::StrAppend(&out, DiffEntryLine(e, false), "\n");
  // Each witness next to the other kernel following its thread order.
  for (bool side_a : {true, false}) {
    for (const DiffEntry& e : side_a ? d.only_a : d.only_b) {
      const ExecResult& ea = side_a ? e.witness : e.counterpart;
      const ExecResult& eb = side_a ? e.counterpart : e.witness;
      absl::StrAppendFormat(&out, "\nWitness of %s\n", DiffEntryLine(e, side_a));
      absl::StrAppendFormat(&out, "  A %s schedule=%s%s -> %s\n", a.options, Id(ea.schedule),
                            side_a ? "" : " (B's thread order, as far as A can follow it)", Ending(ea));
      absl::StrAppendFormat(&out, "  B %s schedule=%s%s -> %s\n", b.options, Id(eb.schedule),
                            side_a ? " (A's thread order, as far as B can follow it)" : "", Ending(eb));
      absl::StrAppendFormat(&out, "  %s\n  Left A, right B, step by step; '*' marks the lines that differ.\n",
                            PathsPart(*a.program, ea, eb));
      out += SideBySide(RenderTrace(*a.program, ea), RenderTrace(*b.program, eb));
    }
  }
  absl::StrAppend(&out, DiffLine(d), "\n");
  return out;
}

json::Value DiffToJson(const std::string& file, const DiffSide& a, const DiffSide& b, const DiffResult& d) {
  json::Value o = json::Value::object();
  o["vfiosim_diff"] = 1;
  o["scenario"] = d.scenario;
  o["file"] = file;
  o["shard"] = a.shard.empty() ? std::string("0/1") : a.shard;
  o["result"] = d.same() ? "SAME" : "DIFFERENT";
  o["bounded"] = d.bounded;
  if (d.same()) o["outcomes"] = static_cast<uint64_t>(d.outcomes);
  o["diff_line"] = DiffLine(d);
  o["a"] = SideJson(a);
  o["b"] = SideJson(b);
  o["only_a"] = EntriesJson(d.only_a, true, a, b);
  o["only_b"] = EntriesJson(d.only_b, false, a, b);
  return o;
}

absl::StatusOr<DiffShardReport> DiffReportFromJson(json::View v) {
  if (!v.is_object() || v["vfiosim_diff"].as_int() != 1)
    return absl::InvalidArgumentError("not a vfiosim diff report (diff --format=json)");
  DiffShardReport r;
  r.scenario = v["scenario"].as_string();
  r.file = v["file"].as_string();
  const std::vector<std::string> kn = absl::StrSplit(v["shard"].as_string(), '/');
  if (kn.size() != 2 || !absl::SimpleAtoi(kn[0], &r.shard_index) || !absl::SimpleAtoi(kn[1], &r.shard_count))
    return absl::InvalidArgumentError("bad \"shard\" in a diff report");
  for (int i = 0; i < 2; ++i) {
    const json::View s = v[i == 0 ? "a" : "b"];
    if (!s.is_object()) return absl::InvalidArgumentError("a diff report without its sides");
    r.options[i] = s["options"].as_string();
    ExploreResult& e = r.result[i];
    e.schedules = static_cast<uint64_t>(s["schedules"].as_int());
    // Of a shard: whether its own part of the space was explored completely.
    e.exhaustive_complete =
        s["shard"].as_string().empty() ? s["complete"].as_bool() : s["part_complete"].as_bool();
    for (json::View o : s["outcomes"].items()) {
      const std::string id = o["schedule"].as_string();
      e.outcomes[o["outcome"].as_string()] = static_cast<uint64_t>(o["count"].as_int());
      e.outcome_witness[o["outcome"].as_string()] = id == "-" ? "" : id;
    }
    for (json::View f : s["violations"].items()) {
      std::optional<Invariant> inv = ParseInvariant(f["invariant"].as_string());
      if (!inv) return absl::InvalidArgumentError("unknown invariant '" + f["invariant"].as_string() + "' in a diff report");
      Failure& g = e.failures[*inv];
      g.inv = *inv;
      g.count = static_cast<uint64_t>(f["count"].as_int());
      g.schedule = f["schedule"].as_string() == "-" ? "" : f["schedule"].as_string();
      g.message = f["message"].as_string();
    }
  }
  return r;
}

}  // namespace vfiosim::sim
