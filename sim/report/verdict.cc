#include "sim/report/verdict.h"

#include "absl/strings/str_format.h"

namespace vfiosim::sim {

Verdict ComputeVerdict(const scn::Scenario& s, const ExploreResult& r) {
  Verdict v;
  v.complete = r.exhaustive_complete && !r.shard;
  bool any_violation_expected = false;
  for (const scn::Expectation& e : s.expectations)
    any_violation_expected |= e.kind == scn::Expectation::Kind::kViolation;
  std::string first_failed_expect;
  for (size_t i = 0; i < s.expectations.size(); ++i) {
    const scn::Expectation& e = s.expectations[i];
    ExpectationResult er{&e, true};
    const uint64_t pos = i < r.expect_true.size() ? r.expect_true[i] : 0;
    er.positive = pos;
    er.negative = r.complete_schedules - pos;
    switch (e.kind) {
      case scn::Expectation::Kind::kClean: er.holds = r.failures.empty(); break;
      case scn::Expectation::Kind::kViolation: {
        std::optional<Invariant> inv = ParseInvariant(e.invariant);
        er.holds = inv && r.failures.count(*inv);
        break;
      }
      case scn::Expectation::Kind::kNever: er.holds = pos == 0; break;
      case scn::Expectation::Kind::kSometimes: er.holds = pos > 0; break;
      case scn::Expectation::Kind::kAlways: er.holds = er.negative == 0; break;
    }
    // With schedules cut by --max-steps, a `sometimes` (or `expect violation`)
    // that never held may only have been cut off: the reason is max-steps.
    const bool needs_an_example =
        e.kind == scn::Expectation::Kind::kSometimes || e.kind == scn::Expectation::Kind::kViolation;
    if (!er.holds && first_failed_expect.empty() && !(needs_an_example && r.step_limited > 0)) {
      first_failed_expect = absl::StrFormat("expect:%d", e.loc.line);
      v.failed_expect = static_cast<int>(i);
    }
    v.expectations.push_back(er);
  }
  if (!any_violation_expected && r.shortest) {
    v.pass = false;
    v.failed_expect = -1;
    v.reason = std::string(InvariantName(r.shortest->inv));
    return v;
  }
  if (!first_failed_expect.empty()) {
    v.pass = false;
    v.reason = first_failed_expect;
    return v;
  }
  v.failed_expect = -1;
  // No vacuous PASS (spec 1.1): a schedule cut by the step limit is a failure,
  // and so is a run that explored no schedule at all.
  if (r.step_limited > 0) {
    v.pass = false;
    v.reason = "max-steps";
  } else if (r.schedules == 0) {
    v.pass = false;
    v.reason = "no-schedules";
  }
  return v;
}

std::optional<Witness> VerdictWitness(const scn::Scenario& s, const ExploreResult& r, const Verdict& v) {
  if (v.pass) return std::nullopt;
  if (v.reason == "max-steps") return r.first_step_limited;
  if (v.failed_expect < 0) {
    if (r.shortest) return Witness{r.shortest->schedule, r.shortest->steps};
    return std::nullopt;
  }
  const size_t i = static_cast<size_t>(v.failed_expect);
  switch (s.expectations[i].kind) {
    case scn::Expectation::Kind::kAlways:
    case scn::Expectation::Kind::kNever:
      if (i < r.expect_witness.size() && r.expect_witness[i]) return r.expect_witness[i];
      break;
    case scn::Expectation::Kind::kClean:
      if (r.shortest) return Witness{r.shortest->schedule, r.shortest->steps};
      break;
    case scn::Expectation::Kind::kSometimes:
    case scn::Expectation::Kind::kViolation:
      break;
  }
  // Any explored schedule: one that completed, else one that ended, else one cut.
  if (r.first_complete) return r.first_complete;
  if (r.first_ended) return r.first_ended;
  return r.first_step_limited;
}

std::string VerdictLine(const scn::Scenario& s, const ExploreResult& r, const Verdict& v) {
  std::string line = absl::StrFormat("verdict: %s %s schedules=%d %s", v.pass ? "PASS" : "FAIL", s.name,
                                     r.schedules, v.complete ? "complete" : "bounded");
  if (!v.pass) line += " reason=" + v.reason;
  return line;
}

}  // namespace vfiosim::sim
