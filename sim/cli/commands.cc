#include "sim/cli/commands.h"
#include "sim/testing/scenario_gen.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "model/bugs.h"
#include "model/dmabuf/find_pfn.h"
#include "model/fixes.h"
#include "sim/cli/flag_precheck.h"
#include "sim/cli/help.h"
#include "sim/cli/kernel_options.h"
#include "sim/cli/run_config.h"
#include "sim/check/invariant.h"
#include "sim/explore/explorer.h"
#include "sim/explore/shrink.h"
#include "sim/report/json_report.h"
#include "sim/report/text_report.h"
#include "sim/report/verdict.h"
#include "sim/run/program.h"
#include "sim/scenario/ops.h"
#include "sim/scenario/parser.h"

ABSL_FLAG(std::string, explore, "exhaustive", "exploration strategy: exhaustive | random | pct");
ABSL_FLAG(uint64_t, schedules, 0,
          "bound on schedules (exhaustive: stop after N, verdict says 'bounded'; random/pct: how many to run, "
          "default 1000)");
ABSL_FLAG(uint64_t, max_schedules, 0, "the same as --schedules (the two must agree when both are given)");
ABSL_FLAG(uint64_t, seed, 1, "seed of the random and pct strategies");
ABSL_FLAG(int, jobs, 0, "worker threads (TBB); 0 = all cores. Output does not depend on it");
ABSL_FLAG(std::vector<std::string>, bug, {}, "inject a catalogued bug (repeatable, comma-separated); see `list bugs`");
ABSL_FLAG(std::vector<std::string>, fix, {}, "apply a proposed fix (repeatable, comma-separated); see `list fixes`");
ABSL_FLAG(std::string, variant, "", "override the scenario's kernel variant: legacy | dmabuf");
ABSL_FLAG(std::string, arch, "", "override the scenario's architecture: x86_64 | arm64 | i386");
ABSL_FLAG(std::vector<std::string>, kconfig, {}, "override Kconfig: SYM=y|n (repeatable, comma-separated)");
ABSL_FLAG(std::string, config, "", "evaluate Kconfig from this .config file (before the scenario's kconfig lines)");
ABSL_FLAG(std::string, replay, "", "re-run one schedule id (as printed by a failure) and print its trace");
ABSL_FLAG(std::string, trace, "", "write a Chrome/Perfetto JSON trace of the first failing (or replayed) schedule");
ABSL_FLAG(uint64_t, max_steps, 100000, "per-schedule step limit (livelock guard)");
ABSL_FLAG(std::string, reduction, "sleep",
          "exhaustive: sleep (sleep sets; split over --jobs) | dpor (DPOR + sleep sets; one task) | "
          "state (sleep sets + a visited-state table; one task) | none");
ABSL_FLAG(std::string, state_table, "exact",
          "--reduction=state: exact (every state stored whole) | hash (64-bit fingerprints: far less memory, "
          "but a collision may hide a state, so the verdict says bounded)");
ABSL_FLAG(int, max_preemptions, -1, "exhaustive: bound preemptions per schedule (-1: unbounded)");
ABSL_FLAG(int, pct_depth, 3, "pct: bug depth d (d-1 priority change points)");
ABSL_FLAG(std::string, shard, "", "K/N: explore only shard K (0-based) of N disjoint parts");
ABSL_FLAG(double, timeout, 0, "stop exploring after this many seconds (verdict says 'bounded')");
ABSL_FLAG(std::string, find_pfn, "linear", "vfio_pci_dma_buf_find_pfn implementation: linear | indexed");
ABSL_FLAG(bool, progress, true, "progress on stderr when it is a terminal");
ABSL_FLAG(std::string, format, "text", "report format: text | json (json: one JSON object per scenario, for `merge`)");
ABSL_FLAG(bool, keep_going, false,
          "explore the whole space even once the verdict is decided (the full histogram, every failure counted, "
          "the shortest witness); without it a run stops at the first failure in exploration order");
ABSL_FLAG(bool, outcomes_with_setup, false,
          "list setup's variables in the outcomes too (before the threads'; the same in every schedule)");
ABSL_FLAG(bool, shrink, true, "shrink the failing schedule (fewer preemptions and steps) before printing it");

namespace vfiosim::cli {
namespace {

constexpr const char* kUsage = R"(vfiosim: a simulator of VFIO-PCI BAR mmap, dma-buf revoke and PTE zap.

Usage:
  vfiosim run [options] FILE...     explore each scenario and print its verdict
  vfiosim check FILE...             parse and validate only
  vfiosim diff [--a='OPTS'] [--b='OPTS'] FILE...
                                    compare two kernels (default legacy vs dmabuf):
                                    outcomes and violations found on one side only
  vfiosim list bugs|invariants|ops|fixes
  vfiosim stress [options]          free-running stress on real threads
  vfiosim kconfig --matrix          the Kconfig x variant x fix table
  vfiosim merge REPORT.json...      combine shard reports

Each scenario ends its report with exactly one line
  verdict: PASS|FAIL <name> schedules=<n> complete|bounded [reason=<invariant>|expect:<line>]
  (diff: `diff: SAME <name> outcomes=<n>` or `diff: DIFFERENT <name> only-a=<k> only-b=<m>`)
Exit status: 0 all PASS (SAME), 1 some FAIL (DIFFERENT, or bounded), 2 bad usage or scenario error.
Flags take --flag=value or --flag value; each command takes only its own.)";

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

// The width of a table's name column: its longest name, so descriptions line up.
template <class Rows, class Row>
int NameColumn(const Rows& rows, std::string_view Row::*name) {
  size_t w = 0;
  for (const Row& r : rows) w = std::max(w, std::string_view(r.*name).size());
  return static_cast<int>(w);
}

int List(const std::vector<std::string>& args) {
  if (args.size() != 1) return Usage("list wants one of: bugs, invariants, ops, fixes");
  const std::string& what = args[0];
  if (what == "bugs") {
    const int w = NameColumn(AllBugs(), &BugInfo::name);
    for (const BugInfo& b : AllBugs())
      std::cout << absl::StrFormat("%-*s %s\n%*s (%s)\n", w, b.name, b.description, w, "", b.reference);
  } else if (what == "invariants") {
    const int w = NameColumn(sim::AllInvariants(), &sim::InvariantInfo::name);
    for (const sim::InvariantInfo& i : sim::AllInvariants())
      std::cout << absl::StrFormat("%-*s %s\n", w, i.name, i.description);
  } else if (what == "fixes") {
    const int w = NameColumn(AllFixes(), &FixInfo::name);
    for (const FixInfo& f : AllFixes()) std::cout << absl::StrFormat("%-*s %s\n", w, f.name, f.description);
  } else if (what == "ops") {
    // Each op's syntax and what it binds (docs/scenario-language.md, "Ops").
    for (int i = 0; i < scn::kNumOpKinds; ++i) {
      const scn::OpKind op = static_cast<scn::OpKind>(i);
      const scn::HandleKind k = scn::ResultKind(op);
      if (k == scn::HandleKind::kValue) std::cout << scn::OpSyntax(op) << "\n";
      else std::cout << absl::StrFormat("%-44s -> %s\n", scn::OpSyntax(op), scn::HandleKindName(k));
    }
  } else {
    return Usage("list wants one of: bugs, invariants, ops, fixes (got '" + what + "')");
  }
  return kExitPass;
}

int Check(const std::vector<std::string>& files) {
  if (files.empty()) return Usage("check needs at least one scenario file");
  int rc = kExitPass;
  for (const std::string& f : files) {
    std::unique_ptr<scn::Scenario> s = LoadScenario(f);
    if (!s || !CompileScenario(*s, sim::CompileOptions{})) {
      rc = kExitUsage;
      continue;
    }
    std::cout << f << ": ok (" << s->name << ")\n";
  }
  return rc;
}

}  // namespace

int Usage(const std::string& msg) {
  std::cerr << "vfiosim: " << msg << "\nTry 'vfiosim --help'.\n";
  return kExitUsage;
}

std::unique_ptr<scn::Scenario> LoadScenario(const std::string& file) {
  scn::Diagnostics diags;
  absl::StatusOr<scn::Scenario> s = scn::LoadScenarioFile(file, &diags);
  if (!s.ok()) {
    std::cerr << diags.ToString();
    if (!diags.has_errors()) std::cerr << s.status().message() << "\n";
    return nullptr;
  }
  return std::make_unique<scn::Scenario>(std::move(*s));
}

std::optional<sim::Program> CompileScenario(const scn::Scenario& s, const sim::CompileOptions& co) {
  absl::StatusOr<sim::Program> p = sim::Compile(s, co);
  if (!p.ok()) {
    std::cerr << p.status().message() << "\n";
    return std::nullopt;
  }
  return std::move(*p);
}

absl::StatusOr<RunConfig> ParseRunFlags() {
  RunConfig rc;
  const std::string ex = absl::GetFlag(FLAGS_explore);
  if (ex == "exhaustive") rc.explore.strategy = sim::Strategy::kExhaustive;
  else if (ex == "random") rc.explore.strategy = sim::Strategy::kRandom;
  else if (ex == "pct") rc.explore.strategy = sim::Strategy::kPct;
  else return absl::InvalidArgumentError("--explore must be exhaustive, random or pct (got '" + ex + "')");
  rc.strategy_name = ex;
  rc.explore.max_schedules = absl::GetFlag(FLAGS_schedules);
  if (const uint64_t m = absl::GetFlag(FLAGS_max_schedules); m != 0) {
    if (rc.explore.max_schedules != 0 && rc.explore.max_schedules != m)
      return absl::InvalidArgumentError("--schedules and --max_schedules disagree");
    rc.explore.max_schedules = m;
  }
  rc.explore.seed = absl::GetFlag(FLAGS_seed);
  int jobs = absl::GetFlag(FLAGS_jobs);
  if (jobs < 0 || jobs > 1024) return absl::InvalidArgumentError("--jobs must be between 0 and 1024");
  if (jobs == 0) jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  rc.explore.jobs = jobs;
  const std::string red = absl::GetFlag(FLAGS_reduction);
  if (red == "dpor") rc.explore.reduction = sim::Reduction::kDpor;
  else if (red == "sleep") rc.explore.reduction = sim::Reduction::kSleep;
  else if (red == "none") rc.explore.reduction = sim::Reduction::kNone;
  else if (red == "state") rc.explore.reduction = sim::Reduction::kState;
  else return absl::InvalidArgumentError("--reduction must be dpor, sleep, state or none (got '" + red + "')");
  rc.explore.pct_depth = absl::GetFlag(FLAGS_pct_depth);
  if (rc.explore.pct_depth < 1 || rc.explore.pct_depth > 64) return absl::InvalidArgumentError("--pct_depth must be 1..64");
  rc.explore.max_preemptions = absl::GetFlag(FLAGS_max_preemptions);
  // A state reached within the bound may have been stored with fewer
  // preemptions left: the table would skip what the bound still allows.
  if (rc.explore.max_preemptions >= 0 && rc.explore.reduction == sim::Reduction::kState)
    return absl::InvalidArgumentError("--max_preemptions does not combine with --reduction=state");
  const std::string table = absl::GetFlag(FLAGS_state_table);
  if (table != "exact" && table != "hash")
    return absl::InvalidArgumentError("--state_table must be exact or hash (got '" + table + "')");
  rc.explore.state_hash_compaction = table == "hash";
  if (rc.explore.state_hash_compaction && rc.explore.reduction != sim::Reduction::kState)
    return absl::InvalidArgumentError("--state_table=hash needs --reduction=state");
  rc.explore.timeout_seconds = absl::GetFlag(FLAGS_timeout);
  if (rc.explore.timeout_seconds < 0) return absl::InvalidArgumentError("--timeout must not be negative");
  rc.explore.exec.max_steps = absl::GetFlag(FLAGS_max_steps);
  if (rc.explore.exec.max_steps == 0) return absl::InvalidArgumentError("--max_steps must be positive");
  // The test suite's access-discipline check (sim/core/discipline.h).
  if (const char* e = std::getenv("VFIOSIM_CHECK_DISCIPLINE"); e && std::string(e) == "1")
    rc.explore.exec.check_discipline = true;
  rc.explore.progress = absl::GetFlag(FLAGS_progress);
  rc.explore.keep_going = absl::GetFlag(FLAGS_keep_going);
  rc.explore.exec.outcome_setup = absl::GetFlag(FLAGS_outcomes_with_setup);
  const std::string shard = absl::GetFlag(FLAGS_shard);
  if (!shard.empty()) {
    std::vector<std::string> kn = absl::StrSplit(shard, '/');
    int k = 0, n = 0;
    if (kn.size() != 2 || !absl::SimpleAtoi(kn[0], &k) || !absl::SimpleAtoi(kn[1], &n) || n < 1 || k < 0 || k >= n ||
        n > 100000)
      return absl::InvalidArgumentError("--shard must be K/N with 0 <= K < N (got '" + shard + "')");
    rc.explore.shard_index = k;
    rc.explore.shard_count = n;
  }
  // The kernel: the same parser as diff's --a/--b (sim/cli/kernel_options.cc).
  for (const std::string& b : absl::GetFlag(FLAGS_bug))
    if (absl::Status st = ApplyKernelOption("bug", b, &rc.compile); !st.ok()) return st;
  for (const std::string& f : absl::GetFlag(FLAGS_fix))
    if (absl::Status st = ApplyKernelOption("fix", f, &rc.compile); !st.ok()) return st;
  const std::pair<const char*, std::string> one_of[] = {{"variant", absl::GetFlag(FLAGS_variant)},
                                                        {"arch", absl::GetFlag(FLAGS_arch)}};
  for (const auto& [name, v] : one_of)
    if (!v.empty())
      if (absl::Status st = ApplyKernelOption(name, v, &rc.compile); !st.ok()) return st;
  for (const std::string& kv : absl::GetFlag(FLAGS_kconfig))
    if (absl::Status st = ApplyKernelOption("kconfig", kv, &rc.compile); !st.ok()) return st;
  const std::string cfg = absl::GetFlag(FLAGS_config);
  if (!cfg.empty()) {
    if (!ReadFile(cfg, &rc.compile.dot_config)) return absl::InvalidArgumentError("cannot read --config file " + cfg);
    rc.compile.dot_config_name = cfg;
    if (rc.compile.dot_config.empty()) rc.compile.dot_config = "\n";
  }
  const std::string fp = absl::GetFlag(FLAGS_find_pfn);
  if (fp == "linear") rc.compile.find_pfn = dmabuf::PfnFinderKind::kLinear;
  else if (fp == "indexed") rc.compile.find_pfn = dmabuf::PfnFinderKind::kIndexed;
  else return absl::InvalidArgumentError("--find_pfn must be linear or indexed");
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format != "text" && format != "json") return absl::InvalidArgumentError("--format must be text or json");
  rc.json = format == "json";
  rc.shrink = absl::GetFlag(FLAGS_shrink);
  rc.replay = absl::GetFlag(FLAGS_replay);
  rc.trace = absl::GetFlag(FLAGS_trace);
  return rc;
}

namespace {

bool WriteTrace(const std::string& path, const sim::Program& p, const sim::ExecResult& e) {
  std::ofstream f(path);
  if (!f) {
    std::cerr << "vfiosim: cannot write --trace file " << path << "\n";
    return false;
  }
  f << json::Dump(sim::TraceToJson(p, e)) << "\n";
  return true;
}

// "; shrunk from schedule=<id> (S steps, P preemptions) in R replays" when the
// printed schedule is not the one exploration found (the Violation line's).
std::string ShrunkFrom(const std::optional<sim::ShrinkResult>& sh, const sim::ExecResult& shown) {
  if (!sh || sh->orig_schedule.empty() || sh->orig_schedule == shown.schedule) return "";
  return absl::StrFormat("; shrunk from schedule=%s (%d steps, %d preemptions) in %d replays", sh->orig_schedule,
                         sh->orig_steps, sh->orig_preemptions, sh->replays);
}

int RunOne(const std::string& file, const RunConfig& rc) {
  std::unique_ptr<scn::Scenario> s = LoadScenario(file);
  if (!s) return kExitUsage;
  std::optional<sim::Program> p = CompileScenario(*s, rc.compile);
  if (!p) return kExitUsage;
  if (!rc.replay.empty()) {
    sim::ExecOptions eo = rc.explore.exec;
    eo.record_trace = true;
    absl::StatusOr<sim::ExecResult> e = sim::Replay(*p, rc.replay, eo);
    if (!e.ok()) {
      std::cerr << "vfiosim: " << e.status().message() << "\n";
      return kExitUsage;
    }
    if (!rc.trace.empty() && !WriteTrace(rc.trace, *p, *e)) return kExitUsage;
    std::cout << "Replay of schedule=" << rc.replay << " of " << s->name << " (" << e->steps << " steps, "
              << e->preemptions << " preemptions):\n";
    std::cout << sim::RenderTrace(*p, *e);
    // A witness of an expectation or of the step limit fails the same way here.
    const std::string also = sim::RenderScheduleFailures(*p, *e, eo.max_steps);
    std::cout << also;
    if (e->end == sim::ExecResult::End::kComplete && !e->violation)
      std::cout << "outcome: " << (e->outcome.empty() ? "(no variables)" : e->outcome) << "\n";
    return e->violation || !also.empty() ? kExitFail : kExitPass;
  }
  // Setup runs alone, the same in every schedule: say which of its statements
  // failed, since every later use of its result then fails too (a misaligned
  // `at=` otherwise shows only as SIGSEGVs in the threads).
  std::vector<std::string> notes;
  {
    sim::ExecOptions eo = rc.explore.exec;
    eo.setup_only = true;
    eo.check_discipline = false;
    sim::Execution ex(*p, eo);
    sim::FirstChooser first;
    for (const sim::SetupResult& sr : ex.Run(first).setup)
      if (sr.failed)
        notes.push_back(absl::StrFormat("Setup failed: line %d: %s -> %s", sr.line, sr.stmt, sr.value));
  }
  sim::ExploreResult r = sim::Explore(*p, rc.explore);
  sim::Verdict v = sim::ComputeVerdict(*s, r);
  // The counterexample: the shortest failing schedule, shrunk.
  std::optional<sim::ExecResult> cex;
  std::optional<sim::ShrinkResult> shrunk;
  if (r.shortest) {
    std::string id = r.shortest->schedule;
    if (rc.shrink) {
      shrunk = sim::Shrink(*p, id, r.shortest->inv, rc.explore.exec);
      id = shrunk->schedule;
    }
    sim::ExecOptions eo = rc.explore.exec;
    eo.record_trace = true;
    absl::StatusOr<sim::ExecResult> e = sim::Replay(*p, id, eo);
    if (e.ok()) cex = std::move(*e);
  }
  // A FAIL whose reason is not an invariant (an expectation, the step limit):
  // its witness schedule, shrunk where the way it fails is a property of the
  // one schedule (not for `sometimes`: any schedule is a witness).
  std::optional<sim::ExecResult> wex;
  std::optional<sim::ShrinkResult> wshrunk;
  const bool invariant_reason = !v.pass && v.failed_expect < 0 && v.reason != "max-steps" && r.shortest;
  if (!v.pass && !invariant_reason) {
    if (std::optional<sim::Witness> w = sim::VerdictWitness(*s, r, v)) {
      std::string id = w->schedule;
      std::function<bool(const sim::ExecResult&)> same;
      if (v.reason == "max-steps") {
        same = [](const sim::ExecResult& e) { return e.end == sim::ExecResult::End::kStepLimit; };
      } else if (v.failed_expect >= 0) {
        const size_t i = static_cast<size_t>(v.failed_expect);
        const scn::Expectation::Kind k = s->expectations[i].kind;
        if (k == scn::Expectation::Kind::kAlways || k == scn::Expectation::Kind::kNever)
          same = [i, k](const sim::ExecResult& e) {
            return e.end == sim::ExecResult::End::kComplete && !e.violation && i < e.expect_holds.size() &&
                   (e.expect_holds[i] != 0) == (k == scn::Expectation::Kind::kNever);
          };
      }
      if (rc.shrink && same) {
        wshrunk = sim::Shrink(*p, id, same, rc.explore.exec);
        id = wshrunk->schedule;
      }
      sim::ExecOptions eo = rc.explore.exec;
      eo.record_trace = true;
      absl::StatusOr<sim::ExecResult> e = sim::Replay(*p, id, eo);
      if (e.ok()) wex = std::move(*e);
    }
  }
  // --trace: the schedule that shows the verdict's reason.
  const sim::ExecResult* traced = wex ? &*wex : cex ? &*cex : nullptr;
  if (!rc.trace.empty() && traced && !WriteTrace(rc.trace, *p, *traced)) return kExitUsage;
  if (!rc.trace.empty() && !traced)
    std::cerr << "vfiosim: --trace: " << rc.trace << " not written: no schedule of " << s->name
              << " failed (trace any schedule with --replay=<id> --trace=FILE)\n";
  if (rc.json) {
    sim::ReportMeta meta{file, rc.strategy_name, rc.explore.seed, rc.explore.shard_index, rc.explore.shard_count};
    std::cout << json::Dump(sim::ReportToJson(*p, r, v, meta, cex ? &*cex : nullptr, wex ? &*wex : nullptr), 2)
              << "\n";
    return v.pass ? kExitPass : kExitFail;
  }
  sim::ReportOptions ro;
  ro.strategy = rc.strategy_name;
  ro.notes = notes;
  std::cout << sim::RenderSummary(*p, r, v, ro);
  if (cex) {
    const std::string id = cex->schedule.empty() ? "-" : cex->schedule;
    std::cout << "Failing schedule: schedule=" << id << " (" << cex->steps << " steps, " << cex->preemptions
              << " preemptions";
    std::cout << ShrunkFrom(shrunk, *cex);
    std::cout << "; replay with --replay=" << id << ")\n";
    std::cout << sim::RenderTrace(*p, *cex);
  }
  if (wex) {
    const std::string id = wex->schedule.empty() ? "-" : wex->schedule;
    std::cout << "Failing schedule for " << v.reason << ": schedule=" << id << " (" << wex->steps << " steps, "
              << wex->preemptions << " preemptions";
    std::cout << ShrunkFrom(wshrunk, *wex);
    std::cout << "; replay with --replay=" << id << ")\n";
    std::cout << sim::RenderTrace(*p, *wex) << sim::RenderScheduleFailures(*p, *wex, rc.explore.exec.max_steps);
  }
  std::cout << sim::VerdictLine(*s, r, v) << "\n";
  std::cout.flush();
  return v.pass ? kExitPass : kExitFail;
}

}  // namespace

int Main(int argc, char** argv) {
  absl::FlagsUsageConfig uc;
  uc.contains_help_flags = [](absl::string_view f) { return f.find("sim/cli/") != absl::string_view::npos; };
  uc.contains_helpshort_flags = uc.contains_help_flags;
  uc.normalize_filename = [](absl::string_view f) { return std::string(f); };
  absl::SetFlagsUsageConfig(uc);
  absl::SetProgramUsageMessage(kUsage);
  // `vfiosim help`, --help, -h: usage on stdout and exit 0 (absl's own handling
  // of --help exits 1, which would read as a FAIL verdict).
  // The command word, if any: `stress --help` shows stress's own flags.
  const std::string command = CommandWord(argc, argv);
  const std::string usage(absl::StripPrefix(kUsage, "vfiosim: "));
  for (int i = 1; i < argc; ++i) {
    const absl::string_view a = argv[i];
    if (a == "--") break;
    if (a == "--helpfull") {  // every command with every flag it takes
      PrintFullHelp(std::cout, usage);
      return kExitPass;
    }
    if ((i == 1 && a == "help") || a == "-h" || a == "--help" || a == "-help" || a == "--helpshort") {
      if (command == "stress") PrintStressHelp(std::cout);
      else PrintHelp(std::cout, usage);
      return kExitPass;
    }
    // --help=SUBSTRING / --helpmatch=SUBSTRING: the flags whose name or
    // description contains it, on stdout and with exit 0.
    for (const absl::string_view prefix : {"--help=", "--helpmatch="}) {
      if (!absl::StartsWith(a, prefix)) continue;
      PrintMatchingFlags(std::cout, std::string(a.substr(prefix.size())));
      return kExitPass;
    }
  }
  // Accept --max-steps as well as --max_steps (absl flags spell names with '_').
  std::vector<std::string> storage;
  storage.reserve(static_cast<size_t>(argc));
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i > 0 && a.size() > 2 && a[0] == '-' && a[1] == '-') {
      const size_t end = std::min(a.find('='), a.size());
      for (size_t k = 2; k < end; ++k)
        if (a[k] == '-') a[k] = '_';
    }
    storage.push_back(std::move(a));
  }
  std::vector<char*> fixed_argv;
  for (std::string& a : storage) fixed_argv.push_back(a.data());
  std::vector<char*> pos = absl::ParseCommandLine(argc, fixed_argv.data());
  if (pos.size() < 2) return Usage("missing command (run, diff, check, list, stress, kconfig, merge or help)");
  const std::string cmd = pos[1];
  std::vector<std::string> args(pos.begin() + 2, pos.end());
  if (cmd == "list") return List(args);
  if (cmd == "check") return Check(args);
  if (cmd == "stress") return StressMain(args);
  if (cmd == "kconfig") return KconfigMain(args);
  if (cmd == "merge") return MergeMain(args);
  if (cmd == "gen") {
    // Hidden: the scenario the differential soundness test generates from a seed
    // (tests/explore/soundness_test.cc), to rerun it or save it as a regression.
    std::vector<uint64_t> seeds;
    for (const std::string& a : args) {
      uint64_t v = 0;
      if (!absl::SimpleAtoi(a, &v)) return Usage("gen takes seeds (numbers), not '" + a + "'");
      seeds.push_back(v);
    }
    if (seeds.empty()) seeds.push_back(absl::GetFlag(FLAGS_seed));
    for (uint64_t seed : seeds) std::cout << testing::GenerateScenario(seed).text;
    return kExitPass;
  }
  if (cmd == "diff") return DiffMain(args);
  if (cmd != "run") return Usage("unknown command '" + cmd + "' (run, diff, check, list, stress, kconfig, merge or help)");
  if (args.empty()) return Usage("run needs at least one scenario file");
  absl::StatusOr<RunConfig> rc = ParseRunFlags();
  if (!rc.ok()) return Usage(std::string(rc.status().message()));
  if (!rc->replay.empty() && args.size() != 1) return Usage("--replay takes exactly one scenario file");
  if (!rc->trace.empty() && args.size() != 1)
    return Usage("--trace writes the trace of one scenario: give it exactly one scenario file (got " +
                 std::to_string(args.size()) + ")");
  int worst = kExitPass;
  for (const std::string& f : args) {
    const int r = RunOne(f, *rc);
    worst = std::max(worst, r);
  }
  return worst;
}

}  // namespace vfiosim::cli
