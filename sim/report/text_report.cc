#include "sim/report/text_report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/scenario/printer.h"

namespace vfiosim::sim {
namespace {

std::string Plural(uint64_t n, const char* one, const char* many) {
  return absl::StrFormat("%d %s", n, n == 1 ? one : many);
}

const char* KindWord(scn::Expectation::Kind k) {
  switch (k) {
    case scn::Expectation::Kind::kNever: return "Never";
    case scn::Expectation::Kind::kSometimes: return "Sometimes";
    case scn::Expectation::Kind::kAlways: return "Always";
    case scn::Expectation::Kind::kClean: return "Clean";
    case scn::Expectation::Kind::kViolation: return "Violation";
  }
  return "?";
}

// Wraps text to `w` columns at blanks, so that a number or a name is never cut
// in two; only a word longer than a whole line is split.
std::vector<std::string> Wrap(const std::string& s, size_t w) {
  std::vector<std::string> out;
  std::string line;
  size_t i = 0;
  while (i < s.size()) {
    const size_t j = std::min(s.find(' ', i), s.size());
    std::string word = s.substr(i, j - i);
    i = j < s.size() ? j + 1 : j;
    if (!line.empty() && line.size() + 1 + word.size() > w) {
      out.push_back(std::move(line));
      line.clear();
      word.insert(0, "  ");  // continuation lines are indented
    }
    if (!line.empty()) line.push_back(' ');
    line += word;
    while (line.size() > w) {
      out.push_back(line.substr(0, w));
      line = "  " + line.substr(w);
    }
  }
  out.push_back(std::move(line));
  return out;
}

}  // namespace

std::string RenderSummary(const Program& p, const ExploreResult& r, const Verdict& v, const ReportOptions& o) {
  const scn::Scenario& s = *p.scenario;
  std::string out;
  absl::StrAppendFormat(&out, "Scenario %s (%s, %s)%s\n", s.name, std::string(VariantName(p.machine.ctx.variant)),
                        std::string(ArchName(p.machine.arch)), s.title.empty() ? "" : ": " + s.title);
  for (const std::string& n : o.notes) absl::StrAppend(&out, n, "\n");
  std::string extra;
  if (r.pruned) extra += absl::StrFormat(", %d redundant pruned by sleep sets", r.pruned);
  if (r.step_limited) extra += absl::StrFormat(", %d cut by --max-steps", r.step_limited);
  if (r.timed_out) extra += ", stopped by --timeout";
  if (r.preemption_bounded) extra += ", bounded by --max-preemptions";
  if (r.shard) extra += ", one shard";
  absl::StrAppendFormat(&out, "Explored %s (%s), %s%s\n", Plural(r.schedules, "schedule", "schedules"), o.strategy,
                        v.complete ? "complete" : "bounded", extra);
  if (r.states_stored) {
    absl::StrAppendFormat(&out, "States: %d stored, %d matched, %d explored again (%d distinct shared states)\n",
                          r.states_stored, r.states_matched, r.states_revisited, r.shared_states);
    if (r.state_hash_compaction) {
      const double n = static_cast<double>(r.states_stored);
      absl::StrAppendFormat(&out,
                            "Hash compaction: states stored as 64-bit fingerprints; the chance that a collision "
                            "hid a state is about %.1g, so the search is not complete\n",
                            n * n / 36893488147419103232.0);  // n^2 / 2^65
    }
  }
  if (r.stopped_early)
    absl::StrAppendFormat(&out, "Stopped at the %s in exploration order (--keep-going explores the whole space)\n",
                          v.pass ? "schedule that decided every expectation" : "first failure");
  absl::StrAppendFormat(&out, "Outcomes (%d, over %s without a violation):\n", r.outcomes.size(),
                        Plural(r.complete_schedules, "schedule", "schedules"));
  for (const auto& [outcome, n] : r.outcomes)
    absl::StrAppendFormat(&out, "  %6d  %s\n", n, outcome.empty() ? "(no variables)" : outcome);
  out += RenderObservations(v);
  for (const auto& [inv, f] : r.failures)
    absl::StrAppendFormat(&out, "Violation %s in %s: %s (shortest: schedule=%s, %d steps)\n",
                          std::string(InvariantName(inv)), Plural(f.count, "schedule", "schedules"), f.message,
                          f.schedule.empty() ? "-" : f.schedule, f.steps);
  return out;
}

std::string RenderObservations(const Verdict& v) {
  std::string out;
  for (const ExpectationResult& er : v.expectations) {
    const scn::Expectation& e = *er.e;
    if (e.kind == scn::Expectation::Kind::kClean || e.kind == scn::Expectation::Kind::kViolation) {
      absl::StrAppendFormat(&out, "Observation expect:%d %s%s %s\n", e.loc.line, KindWord(e.kind),
                            e.invariant.empty() ? "" : " " + e.invariant, er.holds ? "holds" : "does not hold");
      continue;
    }
    absl::StrAppendFormat(&out, "Observation expect:%d %s %d %d %s\n", e.loc.line, KindWord(e.kind), er.positive,
                          er.negative, er.holds ? "holds" : "does not hold");
  }
  return out;
}

std::string RenderTrace(const Program& p, const ExecResult& e) {
  const size_t n = p.threads.size();
  const size_t w = 40;
  std::string out;
  auto row_line = [&](const std::string& step, const std::vector<std::string>& cells) {
    std::string l = absl::StrFormat("%-5s", step);
    for (size_t i = 0; i < cells.size(); ++i) {
      std::string c = cells[i];
      if (i + 1 < cells.size()) c.resize(w, ' ');
      absl::StrAppend(&l, "| ", c, " ");
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    return l + "\n";
  };
  std::vector<std::string> header;
  for (const ThreadProgram& t : p.threads) header.push_back("thread " + t.name);
  out += row_line("step", header);
  out += std::string(5 + (w + 3) * std::max<size_t>(n, 1), '-') + "\n";
  for (const TraceRow& r : e.trace) {
    if (r.thread < 0) {
      // setup / finally: across the whole table.
      for (const std::string& l : r.lines) out += absl::StrCat("     : ", l, "\n");
      continue;
    }
    std::vector<std::string> lines;
    if (!r.func.empty()) lines.push_back("[" + r.func + "]");
    for (const std::string& l : r.lines)
      for (std::string& x : Wrap(l, w)) lines.push_back(std::move(x));
    for (size_t li = 0; li < lines.size(); ++li) {
      std::vector<std::string> cells(n);
      cells[static_cast<size_t>(r.thread)] = lines[li];
      out += row_line(li == 0 && r.step >= 0 ? absl::StrCat(r.step) : "", cells);
    }
  }
  if (e.violation)
    absl::StrAppendFormat(&out, "=> %s: %s\n", std::string(InvariantName(e.violation->inv)), e.violation->message);
  return out;
}

std::string RenderScheduleFailures(const Program& p, const ExecResult& e, uint64_t max_steps) {
  std::string out;
  if (e.end == ExecResult::End::kStepLimit)
    absl::StrAppendFormat(&out, "=> max-steps: cut after %d steps, %d of them without progress (--max_steps=%d)\n",
                          e.steps, max_steps, max_steps);
  if (e.end != ExecResult::End::kComplete || e.violation) return out;
  const std::vector<scn::Expectation>& ex = p.scenario->expectations;
  for (size_t i = 0; i < ex.size() && i < e.expect_holds.size(); ++i) {
    const scn::Expectation& x = ex[i];
    if (!x.cond) continue;
    const bool holds = e.expect_holds[i];
    const char* kind = x.kind == scn::Expectation::Kind::kAlways   ? "always"
                       : x.kind == scn::Expectation::Kind::kNever ? "never"
                                                                  : "sometimes";
    const bool fails = x.kind == scn::Expectation::Kind::kNever ? holds : !holds;
    if (fails)
      absl::StrAppendFormat(&out, "=> expect:%d: `%s %s` is %s in this schedule\n", x.loc.line, kind,
                            scn::PrintCond(*x.cond), holds ? "true" : "false");
  }
  return out;
}

}  // namespace vfiosim::sim
