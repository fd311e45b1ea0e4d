// libFuzzer target: arbitrary schedule ids given to Replay() (what
// `vfiosim run --replay=<id>` does) on fixed scenarios.
//
// The scenarios are every file under scenarios/ that loads and compiles (read
// once, at start-up, from VFIOSIM_SCENARIO_DIR or the source tree), sorted by
// path. Input layout:
//   byte 0: which scenario (mod their count)
//   byte 1: bit 0: map the rest onto valid thread characters (explores deep
//           schedules) instead of using it raw (explores the id checks);
//           bits 1-7: a catalogued bug to inject (0: none), mod (bugs + 1)
//   rest:   the schedule id
// Properties: Replay() never crashes and returns either an execution or an
// InvalidArgument error with a message; replaying the id the execution reports
// as its own schedule gives the same execution (steps, schedule, violation,
// outcome) — the determinism `--replay` relies on.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "model/bugs.h"
#include "sim/explore/explorer.h"
#include "sim/report/text_report.h"
#include "sim/run/program.h"
#include "sim/scenario/parser.h"

namespace {

using namespace vfiosim;

struct Loaded {
  std::string path;
  std::unique_ptr<scn::Scenario> scenario;  // the Programs point into it
  std::vector<sim::Program> programs;       // [0]: as written; [1 + b]: with bug b
};

std::vector<Loaded>* g_scenarios = nullptr;

std::filesystem::path ScenarioDir() {
  if (const char* d = std::getenv("VFIOSIM_SCENARIO_DIR")) return d;
#ifdef VFIOSIM_SOURCE_DIR
  return std::filesystem::path(VFIOSIM_SOURCE_DIR) / "scenarios";
#else
  return "scenarios";
#endif
}

void LoadAll() {
  g_scenarios = new std::vector<Loaded>;
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(ScenarioDir(), ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    if (it->path().extension() == ".scn") files.push_back(it->path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    auto s = scn::LoadScenarioFile(f.string());
    if (!s.ok() || s->threads.empty()) continue;
    Loaded l;
    l.path = f.string();
    l.scenario = std::make_unique<scn::Scenario>(std::move(*s));
    bool ok = true;
    for (int b = -1; b < static_cast<int>(AllBugs().size()) && ok; ++b) {
      sim::CompileOptions co;
      if (b >= 0) co.extra_bugs.push_back(std::string(AllBugs()[b].name));
      absl::StatusOr<sim::Program> p = sim::Compile(*l.scenario, co);
      if (!p.ok()) {
        ok = b >= 0;  // a bug may not apply to this variant; the plain one must compile
        if (!ok) break;
        p = sim::Compile(*l.scenario, sim::CompileOptions{});
      }
      l.programs.push_back(std::move(*p));
    }
    if (ok) g_scenarios->push_back(std::move(l));
  }
  if (g_scenarios->empty()) fuzz::Fail("no scenario loaded", ScenarioDir().string());
  std::fprintf(stderr, "replay_fuzzer: %zu scenarios from %s\n", g_scenarios->size(), ScenarioDir().c_str());
}

bool SameExecution(const sim::ExecResult& a, const sim::ExecResult& b) {
  if (a.end != b.end || a.steps != b.steps || a.schedule != b.schedule || a.outcome != b.outcome ||
      a.preemptions != b.preemptions || a.expect_holds != b.expect_holds)
    return false;
  if (a.violation.has_value() != b.violation.has_value()) return false;
  return !a.violation || (a.violation->inv == b.violation->inv && a.violation->message == b.violation->message);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  LoadAll();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const Loaded& l = (*g_scenarios)[data[0] % g_scenarios->size()];
  const bool mapped = data[1] & 1;
  const sim::Program& p = l.programs[(data[1] >> 1) % l.programs.size()];
  std::string id(reinterpret_cast<const char*>(data + 2), size - 2);
  if (mapped) {
    const int n = static_cast<int>(p.threads.size());
    for (char& c : id) c = sim::ScheduleChar(static_cast<unsigned char>(c) % n);
  }
  sim::ExecOptions eo;
  eo.max_steps = 5000;
  absl::StatusOr<sim::ExecResult> r = sim::Replay(p, id, eo);
  if (!r.ok()) {
    VFIOSIM_FUZZ_CHECK(r.status().code() == absl::StatusCode::kInvalidArgument, r.status().ToString());
    VFIOSIM_FUZZ_CHECK(!r.status().message().empty(), "an error without a message");
    return 0;
  }
  // The canonical id of what ran replays to the same execution, trace included.
  sim::ExecOptions traced = eo;
  traced.record_trace = true;
  absl::StatusOr<sim::ExecResult> again = sim::Replay(p, r->schedule.empty() ? "-" : r->schedule, traced);
  VFIOSIM_FUZZ_CHECK(again.ok(), l.path + ": its own schedule id '" + r->schedule +
                                     "' does not replay: " + std::string(again.status().message()));
  VFIOSIM_FUZZ_CHECK(SameExecution(*r, *again), l.path + ": replaying '" + r->schedule + "' (from '" + id +
                                                    "') gives another execution");
  (void)sim::RenderTrace(p, *again);
  return 0;
}
