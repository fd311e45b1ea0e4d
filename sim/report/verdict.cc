#include "sim/report/verdict.h"

#include "absl/strings/str_format.h"

namespace vfiosim::sim {

Verdict ComputeVerdict(const scn::Scenario& s, const ExploreResult& r) {
  Verdict v;
  v.complete = r.exhaustive_complete;
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
    if (!er.holds && first_failed_expect.empty()) first_failed_expect = absl::StrFormat("expect:%d", e.loc.line);
    v.expectations.push_back(er);
  }
  if (!any_violation_expected && r.shortest) {
    v.pass = false;
    v.reason = std::string(InvariantName(r.shortest->inv));
    return v;
  }
  if (!first_failed_expect.empty()) {
    v.pass = false;
    v.reason = first_failed_expect;
  }
  return v;
}

std::string VerdictLine(const scn::Scenario& s, const ExploreResult& r, const Verdict& v) {
  std::string line = absl::StrFormat("verdict: %s %s schedules=%d %s", v.pass ? "PASS" : "FAIL", s.name,
                                     r.schedules, v.complete ? "complete" : "bounded");
  if (!v.pass) line += " reason=" + v.reason;
  return line;
}

}  // namespace vfiosim::sim
