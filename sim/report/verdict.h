// The verdict of a run (spec, "Running"): PASS/FAIL with the reason, from the
// scenario's expectations and what exploration found.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/explore/explorer.h"
#include "sim/scenario/ast.h"

namespace vfiosim::sim {

struct ExpectationResult {
  const scn::Expectation* e;
  bool holds;
  uint64_t positive = 0;  // complete schedules where the condition is true
  uint64_t negative = 0;
};

struct Verdict {
  bool pass = true;
  // "stale-pte", "expect:12", "max-steps" (a schedule was cut by --max-steps) or
  // "no-schedules" (no schedule was explored: a shard with no part of the
  // space); empty on PASS.
  std::string reason;
  std::vector<ExpectationResult> expectations;
  bool complete = false;  // the whole space (a shard of several never is)
  int failed_expect = -1;  // reason expect:<line>: the index of that expectation
};

// The schedule that shows why a verdict is FAIL (spec 1.1: every FAIL has a
// witness), or nullopt for a PASS: the reported failing schedule of an
// invariant; the first schedule where the failed `always`/`never` expectation
// does not hold; any explored schedule for `sometimes` (or `expect violation`)
// that never held; the first schedule cut by --max-steps.
std::optional<Witness> VerdictWitness(const scn::Scenario& s, const ExploreResult& r, const Verdict& v);

Verdict ComputeVerdict(const scn::Scenario& s, const ExploreResult& r);

// `verdict: PASS <name> schedules=<n> complete|bounded [reason=...]`
std::string VerdictLine(const scn::Scenario& s, const ExploreResult& r, const Verdict& v);

}  // namespace vfiosim::sim
