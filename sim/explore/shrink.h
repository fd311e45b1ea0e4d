// Counterexample shrinking: delta debugging over a failing schedule's choices.
// From a schedule id that violates an invariant, drop and merge choices (each
// removal lets the lowest runnable thread go on, so fewer preemptions) while the
// same invariant still fails; the result is 1-minimal for the moves tried.
#pragma once

#include <functional>
#include <string>

#include "sim/check/invariant.h"
#include "sim/run/execution.h"
#include "sim/run/program.h"

namespace vfiosim::sim {

struct ShrinkResult {
  std::string schedule;
  int steps = 0;
  int preemptions = 0;
  std::string orig_schedule;  // the given schedule's id as its replay records it
  int orig_steps = 0;
  int orig_preemptions = 0;
  int replays = 0;
};

ShrinkResult Shrink(const Program& p, const std::string& schedule, Invariant inv, ExecOptions o,
                    int max_replays = 3000);
// The same for any way of failing: `same` says whether an execution fails as
// the original does (an expectation, the step limit).
ShrinkResult Shrink(const Program& p, const std::string& schedule, const std::function<bool(const ExecResult&)>& same,
                    ExecOptions o, int max_replays = 3000);

}  // namespace vfiosim::sim
