// The human report of a run, herd7-style: what was explored, the outcome
// histogram, one Observation line per expectation, violations, and for a failure
// the shortest failing schedule as a table with one column per simulated thread.
#pragma once

#include <string>
#include <vector>

#include "sim/explore/explorer.h"
#include "sim/report/verdict.h"
#include "sim/run/program.h"

namespace vfiosim::sim {

struct ReportOptions {
  std::string strategy = "exhaustive";
  // Lines printed under the header (e.g. setup statements that failed).
  std::vector<std::string> notes;
};

std::string RenderSummary(const Program& p, const ExploreResult& r, const Verdict& v, const ReportOptions& o);
// The `Observation expect:<line> ...` lines of a verdict (run and merge).
std::string RenderObservations(const Verdict& v);
// The step-by-step trace of one execution, one column per thread.
std::string RenderTrace(const Program& p, const ExecResult& e);
// What a schedule alone shows beyond its invariant violation (RenderTrace's last
// line): `=> max-steps: ...` when it was cut by the step limit, and one
// `=> expect:<line>: ...` line per expectation that fails in it (an `always`
// condition false, a `never` one true, a `sometimes` one false). Empty if none.
std::string RenderScheduleFailures(const Program& p, const ExecResult& e, uint64_t max_steps);

}  // namespace vfiosim::sim
