// A scenario file of the repository, compiled, for the explorer tests
// (tests/explore/*): a Program points into its Scenario, so both are kept.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "sim/run/program.h"
#include "sim/scenario/parser.h"

namespace vfiosim::sim {

struct RepoScenario {
  std::unique_ptr<scn::Scenario> scenario;
  std::optional<Program> program;
};

// `rel` is relative to the source root (scenarios/..., bench/...); `bugs` are
// planted as --bug would. A file that does not load or compile fails the test
// (the program is then empty).
inline RepoScenario CompileRepoScenario(const std::string& rel, const std::vector<std::string>& bugs = {}) {
  RepoScenario c;
  std::ifstream in(std::string(VFIOSIM_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  absl::StatusOr<scn::Scenario> s = scn::LoadScenario(ss.str(), rel);
  EXPECT_TRUE(s.ok()) << rel << ": " << s.status();
  if (!s.ok()) return c;
  c.scenario = std::make_unique<scn::Scenario>(std::move(*s));
  CompileOptions co;
  co.extra_bugs = bugs;
  absl::StatusOr<Program> p = Compile(*c.scenario, co);
  EXPECT_TRUE(p.ok()) << rel << ": " << p.status();
  if (p.ok()) c.program.emplace(std::move(*p));
  return c;
}

}  // namespace vfiosim::sim
