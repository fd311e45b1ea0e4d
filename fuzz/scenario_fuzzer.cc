// libFuzzer target: arbitrary bytes as a scenario file.
//
// Parser + validator (LoadScenario), then for every input that is a valid
// scenario: the printer round trip, Compile, and a small bounded exploration
// with the reports `vfiosim run` prints (summary, verdict, counterexample trace,
// JSON). Properties, besides "no crash, no sanitizer report, no hang":
//  - LoadScenario fails exactly when it reported diagnostics, and every
//    diagnostic is `fuzz.scn:<line>:<col>: error: <message>` with a line inside
//    the file (or `fuzz.scn: error: ...` about the file as a whole);
//  - PrintScenario(s) parses back to a scenario AstEquals s (printer.h);
//  - Compile errors carry a message; replaying the schedule id of any failure
//    the exploration reports reproduces the same violation.
//
// Seeds: every file under scenarios/ (tests/fuzz.sh copies them to the corpus);
// dictionary: fuzz/scenario.dict.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "model/bugs.h"
#include "sim/explore/explorer.h"
#include "sim/explore/shrink.h"
#include "sim/report/json_report.h"
#include "sim/report/text_report.h"
#include "sim/report/verdict.h"
#include "sim/run/program.h"
#include "sim/scenario/parser.h"
#include "sim/scenario/printer.h"

namespace {

using namespace vfiosim;

constexpr std::string_view kFile = "fuzz.scn";

long CountLines(std::string_view text) {
  long n = 1;
  for (char c : text) n += c == '\n';
  return n;
}

void CheckDiagnostics(const scn::Diagnostics& diags, std::string_view text) {
  const long max_line = CountLines(text);
  for (const scn::Diagnostic& d : diags.diagnostics()) {
    const std::string s = d.ToString();
    VFIOSIM_FUZZ_CHECK(fuzz::WellFormedDiagnostic(s, kFile, max_line), s);
  }
}

void Explore(const scn::Scenario& s) {
  sim::CompileOptions co;
  absl::StatusOr<sim::Program> p = sim::Compile(s, co);
  if (!p.ok()) {
    VFIOSIM_FUZZ_CHECK(!p.status().message().empty(), "Compile error without a message");
    return;
  }
  sim::ExploreOptions eo;
  eo.jobs = 1;
  eo.max_schedules = 6;
  eo.exec.max_steps = 3000;
  sim::ExploreResult r = sim::Explore(*p, eo);
  sim::Verdict v = sim::ComputeVerdict(s, r);
  (void)sim::VerdictLine(s, r, v);
  (void)sim::RenderSummary(*p, r, v, sim::ReportOptions{});
  const sim::ExecResult* cex_ptr = nullptr;
  absl::StatusOr<sim::ExecResult> cex = absl::InternalError("none");
  if (r.shortest) {
    sim::ExecOptions xo = eo.exec;
    sim::ShrinkResult sh = sim::Shrink(*p, r.shortest->schedule, r.shortest->inv, xo, /*max_replays=*/40);
    xo.record_trace = true;
    cex = sim::Replay(*p, sh.schedule, xo);
    VFIOSIM_FUZZ_CHECK(cex.ok(), "the shrunk failing schedule does not replay: " + sh.schedule);
    // Lock-order violations are found across schedules: one replay need not show it.
    if (r.shortest->inv != sim::Invariant::kLockOrder) {
      absl::StatusOr<sim::ExecResult> again = sim::Replay(*p, r.shortest->schedule, eo.exec);
      VFIOSIM_FUZZ_CHECK(again.ok() && again->violation && again->violation->inv == r.shortest->inv,
                         "replaying the reported schedule " + r.shortest->schedule +
                             " does not reproduce its violation");
    }
    (void)sim::RenderTrace(*p, *cex);
    (void)json::Dump(sim::TraceToJson(*p, *cex));
    cex_ptr = &*cex;
  }
  (void)json::Dump(sim::ReportToJson(*p, r, v, sim::ReportMeta{std::string(kFile), "exhaustive", 1, 0, 1}, cex_ptr), 2);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  scn::Diagnostics diags;
  absl::StatusOr<scn::Scenario> s = scn::LoadScenario(text, kFile, &diags);
  CheckDiagnostics(diags, text);
  if (!s.ok()) {
    VFIOSIM_FUZZ_CHECK(diags.has_errors(), "LoadScenario failed without a diagnostic: " +
                                               std::string(s.status().message()));
    return 0;
  }
  VFIOSIM_FUZZ_CHECK(!diags.has_errors(), "LoadScenario succeeded but reported: " + diags.ToString());

  // The printer's contract: its text parses back to the same AST.
  const std::string printed = scn::PrintScenario(*s);
  scn::Diagnostics diags2;
  absl::StatusOr<scn::Scenario> s2 = scn::LoadScenario(printed, kFile, &diags2);
  VFIOSIM_FUZZ_CHECK(s2.ok(), "PrintScenario output does not load:\n" + diags2.ToString() + "--- printed:\n" + printed);
  std::string why;
  VFIOSIM_FUZZ_CHECK(scn::AstEquals(*s, *s2, &why), "round trip changed the AST: " + why + "\n--- printed:\n" + printed);

  Explore(*s);
  return 0;
}
