// --format=json reports, their reading back for `vfiosim merge`, and the
// Chrome/Perfetto trace (--trace=FILE) of one execution.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "sim/explore/explorer.h"
#include "sim/report/json.h"
#include "sim/report/verdict.h"
#include "sim/run/program.h"

namespace vfiosim::sim {

struct ReportMeta {
  std::string file;
  std::string strategy;
  uint64_t seed = 0;
  int shard_index = 0;
  int shard_count = 1;
};

// `counterexample`: the reported (shrunk) failing schedule of an invariant;
// `witness`: for a FAIL for another reason (an expectation, the step limit),
// the schedule that shows it.
json::Value ReportToJson(const Program& p, const ExploreResult& r, const Verdict& v, const ReportMeta& m,
                         const ExecResult* counterexample, const ExecResult* witness = nullptr);

// The rows of a recorded trace: thread, step, kernel function and events of each.
json::Value TraceRowsToJson(const Program& p, const ExecResult& e);

// What `vfiosim merge` needs back from a shard's report.
struct ShardReport {
  std::string scenario;
  ReportMeta meta;
  ExploreResult result;
  scn::Scenario expectations;  // name and expectations only (kind, line, invariant)
};
absl::StatusOr<ShardReport> ReportFromJson(json::View v);

// Chrome trace-event JSON (loads in ui.perfetto.dev and chrome://tracing): one
// track per simulated thread, a slice per step named after its kernel function,
// instant events for lock, PTE and MMIO events.
json::Value TraceToJson(const Program& p, const ExecResult& e);

}  // namespace vfiosim::sim
