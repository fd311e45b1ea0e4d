// Differential soundness of the exhaustive explorer's reductions: sleep sets
// (--reduction=sleep), DPOR (--reduction=dpor) and the stateful search
// (--reduction=state: sleep sets and a visited-state table, where a missing
// field in a model's WriteState merges two different states) must reach exactly what the
// unreduced search (--reduction=none) reaches, wherever that search completes
// within a budget:
//   - the same SET of outcomes (the final valuations of the threads' variables),
//   - the same set of violated invariants,
//   - the same verdict (PASS, or FAIL with the same reason), and for every
//     expectation whether its condition was true in some / false in some
//     complete schedule.
// A reduction that prunes a schedule it believes equivalent to an explored one,
// but that is not (a model step touching shared state its scheduling point does
// not declare), shows up here as a missed outcome or violation.
//
// Inputs:
//   - Soundness/Generated.Shard/K: random valid scenarios from
//     sim/testing/scenario_gen (every op of the spec's table, both variants,
//     2-3 threads of 1-3 ops, with and without planted bugs), seeds split over
//     kShards ctest cases;
//   - Soundness.RepoScenarios: every scenarios/**/*.scn, and every
//     scenarios/bugs/NAME.scn once more with --bug=NAME;
//   - Soundness.Regressions: every tests/regressions/soundness/*.scn.
//
// Sizes: kDefaultPerShard seeds per shard in a default run; VFIOSIM_SOAK=1 runs
// kSoakPerShard per shard; under ASan/TSan (or VFIOSIM_SMALL=1) kSmallPerShard.
// By hand:
//   VFIOSIM_SOUNDNESS_FIRST_SEED=N   first seed (default 1)
//   VFIOSIM_SOUNDNESS_PER_SHARD=N    seeds per shard
//   VFIOSIM_SOUNDNESS_BUDGET=N       --reduction=none schedule budget (default 20000)
//   VFIOSIM_SOUNDNESS_OUT=DIR        where disagreeing scenarios are written
//                                    (default: soundness-failures/ in the test's
//                                    working directory, build/tests/)
//   VFIOSIM_SOUNDNESS_MINIMIZE=1     also write a greedily minimised version
//                                    (NAME.min.scn) of each disagreeing scenario
//   VFIOSIM_SOUNDNESS_SEEDS=a,b,...  check exactly these seeds (shard 0 only)
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>
#include <functional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sim/check/invariant.h"
#include "sim/explore/explorer.h"
#include "sim/report/verdict.h"
#include "sim/run/program.h"
#include "sim/scenario/parser.h"
#include "sim/scenario/printer.h"
#include "sim/testing/scenario_gen.h"
#include "tests/sanitized.h"

namespace vfiosim::sim {
namespace {

namespace fs = std::filesystem;

constexpr int kShards = 8;
constexpr int kDefaultPerShard = 80;   // 640 generated scenarios per ctest run (about half checked)
constexpr int kSoakPerShard = 500;     // 4000 with VFIOSIM_SOAK=1
constexpr int kSmallPerShard = 3;      // 24 under sanitizers
constexpr uint64_t kDefaultBudget = 20000;

bool EnvIs(const char* name, const char* value) {
  const char* e = std::getenv(name);
  return e && std::string(e) == value;
}

uint64_t EnvNumber(const char* name, uint64_t dflt) {
  const char* e = std::getenv(name);
  uint64_t v = 0;
  return e && *e && absl::SimpleAtoi(e, &v) ? v : dflt;
}

bool Small() { return kSanitized || EnvIs("VFIOSIM_SMALL", "1"); }
bool Soak() { return !Small() && EnvIs("VFIOSIM_SOAK", "1"); }

uint64_t PerShard() {
  return EnvNumber("VFIOSIM_SOUNDNESS_PER_SHARD", Small() ? kSmallPerShard : Soak() ? kSoakPerShard : kDefaultPerShard);
}
uint64_t Budget() { return EnvNumber("VFIOSIM_SOUNDNESS_BUDGET", kDefaultBudget); }
// Regression scenarios are never skipped: they get a larger budget (the
// biggest, exit-vs-iommufd-map-leak, has 112,023 schedules under none).
constexpr uint64_t kRegressionBudget = 200000;

fs::path SourceDir() {
  if (const char* e = std::getenv("VFIOSIM_SOURCE_DIR"); e && *e) return e;
#ifdef VFIOSIM_SOURCE_DIR
  return VFIOSIM_SOURCE_DIR;
#else
  return ".";
#endif
}

fs::path OutDir() {
  if (const char* e = std::getenv("VFIOSIM_SOUNDNESS_OUT"); e && *e) return e;
  return fs::absolute("soundness-failures");
}

ExploreResult ExploreWith(const Program& p, Reduction red, uint64_t max_schedules) {
  ExploreOptions o;
  o.strategy = Strategy::kExhaustive;
  o.reduction = red;
  o.max_schedules = max_schedules;
  o.jobs = 1;  // ctest -j runs the shards side by side
  o.keep_going = true;  // the whole space: every outcome and every violation
  o.progress = false;
  // Every step's touches checked against its declared op (sim/core/discipline.h):
  // a missing scheduling point fails here even where the outcomes happen to agree.
  o.exec.check_discipline = true;
  return Explore(p, o);
}

const char* RedName(Reduction r) {
  switch (r) {
    case Reduction::kNone: return "none";
    case Reduction::kSleep: return "sleep";
    case Reduction::kDpor: return "dpor";
    case Reduction::kState: return "state";
  }
  return "?";
}

struct Check {
  enum Status { kAgree, kSkipped, kDisagree, kError };
  Status status = kAgree;
  std::string why;                 // kSkipped / kError
  std::vector<std::string> diffs;  // kDisagree: one line per difference
  uint64_t none_schedules = 0;
};

std::string VerdictText(const Verdict& v) { return v.pass ? "PASS" : "FAIL reason=" + v.reason; }

// Compares sleep and dpor with none on one scenario (with `bugs` added).
Check CompareReductions(const scn::Scenario& s, const CompileOptions& co, uint64_t budget) {
  Check c;
  absl::StatusOr<Program> p = Compile(s, co);
  if (!p.ok()) {
    c.status = Check::kError;
    c.why = std::string(p.status().message());
    return c;
  }
  const ExploreResult none = ExploreWith(*p, Reduction::kNone, budget);
  c.none_schedules = none.schedules;
  if (!none.exhaustive_complete || none.timed_out || none.step_limited > 0) {
    c.status = Check::kSkipped;
    c.why = absl::StrCat("--reduction=none did not complete within ", budget, " schedules");
    return c;
  }
  const Verdict none_v = ComputeVerdict(s, none);
  for (Reduction red : {Reduction::kSleep, Reduction::kDpor, Reduction::kState}) {
    const ExploreResult r = ExploreWith(*p, red, 0);
    const std::string rn = RedName(red);
    if (!r.exhaustive_complete || r.step_limited > 0) {
      c.diffs.push_back(absl::StrCat(rn, ": exploration did not complete (none did, in ", none.schedules, " schedules)"));
      continue;
    }
    for (const auto& [o, n] : none.outcomes)
      if (!r.outcomes.count(o))
        c.diffs.push_back(absl::StrCat(rn, " misses outcome {", o, "} (none: ", n, " of ", none.schedules,
                                       " schedules)"));
    for (const auto& [o, n] : r.outcomes)
      if (!none.outcomes.count(o)) c.diffs.push_back(absl::StrCat(rn, " has outcome {", o, "} that none never reaches"));
    for (const auto& [inv, f] : none.failures)
      if (!r.failures.count(inv))
        c.diffs.push_back(absl::StrCat(rn, " misses violation ", std::string(InvariantName(inv)), " (none: schedule=", f.schedule,
                                       ", ", f.message, ")"));
    for (const auto& [inv, f] : r.failures)
      if (!none.failures.count(inv))
        c.diffs.push_back(absl::StrCat(rn, " has violation ", std::string(InvariantName(inv)), " (schedule=", f.schedule,
                                       ") that none never finds"));
    const Verdict v = ComputeVerdict(s, r);
    if (v.pass != none_v.pass || v.reason != none_v.reason)
      c.diffs.push_back(absl::StrCat(rn, " verdict ", VerdictText(v), " but none ", VerdictText(none_v)));
    // Each expectation's condition: true in some complete schedule, false in some.
    for (size_t i = 0; i < v.expectations.size() && i < none_v.expectations.size(); ++i) {
      const ExpectationResult &a = v.expectations[i], &b = none_v.expectations[i];
      const scn::Expectation& e = *b.e;
      if (e.kind == scn::Expectation::Kind::kClean || e.kind == scn::Expectation::Kind::kViolation) continue;
      if ((a.positive > 0) != (b.positive > 0) || (a.negative > 0) != (b.negative > 0))
        c.diffs.push_back(absl::StrCat(rn, " expect:", e.loc.line, " (", scn::PrintCond(*e.cond), ") true/false in ",
                                       a.positive, "/", a.negative, " schedules, none in ", b.positive, "/",
                                       b.negative));
    }
  }
  if (!c.diffs.empty()) c.status = Check::kDisagree;
  return c;
}

// Runs CompareReductions in a child process, so that a simulator crash on one
// scenario is reported as that scenario's failure (with which reductions crash)
// instead of killing the whole shard. Sanitizer builds run in-process.
std::string Serialize(const Check& c) {
  std::string out = absl::StrCat(static_cast<int>(c.status), "\n", c.none_schedules, "\n");
  std::string why = c.why;
  std::replace(why.begin(), why.end(), '\n', ' ');
  absl::StrAppend(&out, why, "\n");
  for (const std::string& d : c.diffs) absl::StrAppend(&out, d, "\n");
  return out;
}

Check Deserialize(const std::string& text) {
  Check c;
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  int st = 0;
  if (lines.size() < 3 || !absl::SimpleAtoi(lines[0], &st) || !absl::SimpleAtoi(lines[1], &c.none_schedules)) {
    c.status = Check::kError;
    c.why = "garbled result from the child process";
    return c;
  }
  c.status = static_cast<Check::Status>(st);
  c.why = lines[2];
  for (size_t i = 3; i < lines.size(); ++i)
    if (!lines[i].empty()) c.diffs.push_back(lines[i]);
  return c;
}

// Runs `f` in a child; its output, or the signal that killed it.
struct ChildResult {
  bool ok = false;
  int signal = 0;
  std::string out;
};

ChildResult RunInChild(const std::function<std::string()>& f) {
  ChildResult r;
  int fds[2];
  if (pipe(fds) != 0) {
    r.ok = true;
    r.out = f();
    return r;
  }
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const std::string out = f();
    size_t off = 0;
    while (off < out.size()) {
      const ssize_t n = write(fds[1], out.data() + off, out.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) r.out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  else r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return r;
}

Check CompareIsolated(const scn::Scenario& s, const CompileOptions& co, uint64_t budget) {
  if (kSanitized || EnvIs("VFIOSIM_SOUNDNESS_FORK", "0")) return CompareReductions(s, co, budget);
  const ChildResult whole = RunInChild([&] { return Serialize(CompareReductions(s, co, budget)); });
  if (whole.ok) return Deserialize(whole.out);
  // A crash: which reductions crash on their own?
  Check c;
  c.status = Check::kDisagree;
  absl::StatusOr<Program> p = Compile(s, co);
  if (!p.ok()) {
    c.status = Check::kError;
    c.why = "the check crashed";
    return c;
  }
  for (Reduction red : {Reduction::kNone, Reduction::kSleep, Reduction::kDpor, Reduction::kState}) {
    const ChildResult one = RunInChild([&] {
      const ExploreResult r = ExploreWith(*p, red, red == Reduction::kNone ? budget : 0);
      return absl::StrCat(r.schedules, r.exhaustive_complete ? " complete" : " bounded");
    });
    c.diffs.push_back(one.ok ? absl::StrCat(RedName(red), ": explored ", one.out, " schedules without a crash")
                             : absl::StrCat(RedName(red), ": the simulator CRASHES (signal ", one.signal, ")"));
  }
  return c;
}

Check CompareText(const std::string& text, const std::string& name, const CompileOptions& co, uint64_t budget) {
  absl::StatusOr<scn::Scenario> s = scn::LoadScenario(text, name);
  if (!s.ok()) {
    Check c;
    c.status = Check::kError;
    c.why = std::string(s.status().message());
    return c;
  }
  return CompareIsolated(*s, co, budget);
}

// Greedy delta debugging over lines: drop one line (a statement, an expectation,
// a header line) or one whole thread / finally block at a time while the result
// still loads and still disagrees; repeat until nothing can go.
std::string Minimize(std::string text, const CompileOptions& co, uint64_t budget) {
  bool progress = true;
  while (progress) {
    progress = false;
    std::vector<std::string> lines = absl::StrSplit(text, '\n');
    // Candidates: whole blocks first (bigger steps), then single lines.
    std::vector<std::pair<size_t, size_t>> cuts;  // [from, to)
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].rfind("thread ", 0) == 0 || lines[i] == "finally") {
        size_t j = i + 1;
        while (j < lines.size() && lines[j] != "end") ++j;
        if (j < lines.size()) cuts.push_back({i, j + 1});
      }
    }
    for (size_t i = 1; i < lines.size(); ++i)
      if (!lines[i].empty() && lines[i] != "end") cuts.push_back({i, i + 1});
    for (const auto& [from, to] : cuts) {
      std::vector<std::string> cand;
      for (size_t i = 0; i < lines.size(); ++i)
        if (i < from || i >= to) cand.push_back(lines[i]);
      const std::string t = absl::StrJoin(cand, "\n");
      absl::StatusOr<scn::Scenario> s = scn::LoadScenario(t, "min.scn");
      if (!s.ok()) continue;
      const std::string canon = scn::PrintScenario(*s);
      if (CompareText(canon, "min.scn", co, budget).status != Check::kDisagree) continue;
      text = canon;
      progress = true;
      break;
    }
  }
  return text;
}

std::string Describe(const Check& c) { return absl::StrJoin(c.diffs, "\n"); }

// Writes a disagreeing scenario (with the differences as comments) for
// tests/regressions/soundness/; returns the path.
std::string Save(const std::string& file_stem, const std::string& text, const Check& c, const CompileOptions& co,
                 uint64_t budget) {
  std::error_code ec;
  fs::create_directories(OutDir(), ec);
  auto write = [&](const fs::path& path, const std::string& body, const Check& why) {
    std::ofstream f(path);
    f << "# soundness: sleep/dpor disagree with --reduction=none";
    for (const std::string& b : co.extra_bugs) f << " (with --bug=" << b << ")";
    f << "\n";
    for (const std::string& d : why.diffs) f << "#   " << d << "\n";
    f << body;
  };
  const fs::path path = OutDir() / (file_stem + ".scn");
  write(path, text, c);
  if (EnvIs("VFIOSIM_SOUNDNESS_MINIMIZE", "1")) {
    const std::string m = Minimize(text, co, budget);
    write(OutDir() / (file_stem + ".min.scn"), m, CompareText(m, "min.scn", co, budget));
  }
  return path.string();
}

struct Tally {
  int generated = 0, checked = 0, skipped = 0, disagreed = 0, rejected = 0;
  uint64_t budget_floor = 0;  // the smallest budget a scenario gets (Regressions)
};

// Runs the check on one scenario text and reports a disagreement as a test failure.
void CheckOne(const std::string& label, const std::string& file_stem, const std::string& text,
              const scn::Scenario& s, const CompileOptions& co, Tally* t) {
  const uint64_t budget = std::max(Budget(), t->budget_floor);
  const Check c = CompareIsolated(s, co, budget);
  switch (c.status) {
    case Check::kSkipped: ++t->skipped; return;
    case Check::kError: ADD_FAILURE() << label << ": " << c.why << "\n" << text; return;
    case Check::kAgree: ++t->checked; return;
    case Check::kDisagree: break;
  }
  ++t->checked;
  ++t->disagreed;
  const std::string path = Save(file_stem, text, c, co, budget);
  std::string bugs;
  for (const std::string& b : co.extra_bugs) bugs += " --bug=" + b;
  ADD_FAILURE() << label << bugs << ": sleep/dpor disagree with --reduction=none (" << c.none_schedules
                << " schedules)\n"
                << Describe(c) << "\nscenario (written to " << path << "):\n"
                << text;
}

// ---- the generator itself ----

TEST(ScenarioGen, DeterministicValidAndCoversEveryOp) {
  std::set<scn::OpKind> ops;
  std::set<std::string> variants, bugs;
  int rejected = 0, with_expect = 0, with_finally = 0;
  const int n = Small() ? 40 : 300;
  for (int seed = 1; seed <= n; ++seed) {
    vfiosim::testing::GeneratedScenario a = vfiosim::testing::GenerateScenario(static_cast<uint64_t>(seed));
    vfiosim::testing::GeneratedScenario b = vfiosim::testing::GenerateScenario(static_cast<uint64_t>(seed));
    ASSERT_EQ(a.text, b.text) << "seed " << seed;
    ASSERT_NE(a.scenario, nullptr);
    rejected += a.rejected;
    const scn::Scenario& s = *a.scenario;
    EXPECT_GE(s.threads.size(), 2u);
    EXPECT_LE(s.threads.size(), 3u);
    for (const scn::ThreadDecl& t : s.threads) {
      EXPECT_GE(t.stmts.size(), 1u) << a.text;
      EXPECT_LE(t.stmts.size(), 3u) << a.text;
      for (const scn::Stmt& st : t.stmts) ops.insert(st.op);
    }
    for (const scn::Stmt& st : s.setup) ops.insert(st.op);
    variants.insert(s.variant == Variant::kLegacy ? "legacy" : "dmabuf");
    for (const scn::NamedLoc& bug : s.bugs) bugs.insert(bug.name);
    with_expect += !s.expectations.empty();
    with_finally += s.has_finally;
    // The printed text is what runs: it loads to the same AST.
    absl::StatusOr<scn::Scenario> again = scn::LoadScenario(a.text, "again.scn");
    ASSERT_TRUE(again.ok()) << again.status() << "\n" << a.text;
    std::string why;
    EXPECT_TRUE(scn::AstEquals(s, *again, &why)) << why;
  }
  // Every op of the spec (through p2p); the generator does not draw the
  // extensions appended after it (pmcsr, iommufd-unmap, pread), so seeds keep their scenarios.
  EXPECT_EQ(static_cast<int>(ops.size()), static_cast<int>(scn::OpKind::kP2p) + 1) << "ops seen: " << ops.size();
  EXPECT_EQ(ops.count(scn::OpKind::kPmcsr), 0u);
  EXPECT_EQ(ops.count(scn::OpKind::kIommufdUnmap), 0u);
  EXPECT_EQ(ops.count(scn::OpKind::kPread), 0u);
  EXPECT_EQ(variants.size(), 2u);
  EXPECT_GE(bugs.size(), Small() ? 3u : 10u);
  EXPECT_GT(with_expect, n / 2);
  EXPECT_GT(with_finally, n / 10);
  EXPECT_LT(rejected, n / 10) << "the generator should mostly produce valid scenarios";
  std::printf("generator: %d seeds, %d candidates rejected, %zu ops, %zu bugs\n", n, rejected, ops.size(),
              bugs.size());
}

// ---- generated scenarios ----

class Generated : public ::testing::TestWithParam<int> {};

TEST_P(Generated, Shard) {
  const int shard = GetParam();
  std::vector<uint64_t> seeds;
  if (const char* e = std::getenv("VFIOSIM_SOUNDNESS_SEEDS"); e && *e) {
    if (shard != 0) GTEST_SKIP() << "VFIOSIM_SOUNDNESS_SEEDS runs in shard 0";
    const std::vector<std::string> parts = absl::StrSplit(std::string(e), ',');
    for (const std::string& part : parts) {
      uint64_t v = 0;
      if (absl::SimpleAtoi(part, &v)) seeds.push_back(v);
    }
  } else {
    const uint64_t first = EnvNumber("VFIOSIM_SOUNDNESS_FIRST_SEED", 1), per = PerShard();
    for (uint64_t i = 0; i < per; ++i) seeds.push_back(first + i * kShards + static_cast<uint64_t>(shard));
  }
  Tally t;
  const auto t0 = std::chrono::steady_clock::now();
  for (uint64_t seed : seeds) {
    vfiosim::testing::GeneratedScenario g = vfiosim::testing::GenerateScenario(seed);
    ++t.generated;
    t.rejected += g.rejected;
    CheckOne(absl::StrCat("seed ", seed), absl::StrCat("gen-", seed), g.text, *g.scenario, CompileOptions{}, &t);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("soundness shard %d/%d: %d generated (%d candidates rejected), %d checked, %d skipped (none over %llu "
              "schedules), %d disagree, %.1f s\n",
              shard, kShards, t.generated, t.rejected, t.checked, t.skipped,
              static_cast<unsigned long long>(Budget()), t.disagreed, secs);
  if (t.generated >= 10) {
    EXPECT_GT(t.checked, 0) << "every scenario was skipped";
  }
}

INSTANTIATE_TEST_SUITE_P(Soundness, Generated, ::testing::Range(0, kShards));

// ---- scenarios of the repository and saved regressions ----

std::vector<fs::path> ScnFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".scn") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// `# test-options:` of a repository scenario that choose the kernel.
CompileOptions TestCompileOptions(const fs::path& f) {
  CompileOptions co;
  std::ifstream in(f);
  for (std::string line; std::getline(in, line);) {
    const size_t k = line.find("# test-options:");
    if (k == std::string::npos) continue;
    std::istringstream ss(line.substr(k + 15));
    for (std::string o; ss >> o;) {
      if (o == "--find_pfn=indexed") co.find_pfn = dmabuf::PfnFinderKind::kIndexed;
      if (o.rfind("--bug=", 0) == 0) co.extra_bugs.push_back(o.substr(6));
    }
  }
  return co;
}

void CheckFiles(const std::vector<fs::path>& files, bool with_own_bug, Tally* t) {
  for (const fs::path& f : files) {
    absl::StatusOr<scn::Scenario> s = scn::LoadScenarioFile(f.string());
    ASSERT_TRUE(s.ok()) << f << ": " << s.status();
    std::ifstream in(f);
    std::stringstream text;
    text << in.rdbuf();
    std::vector<CompileOptions> runs{TestCompileOptions(f)};
    if (with_own_bug && f.parent_path().filename() == "bugs") {
      CompileOptions b = runs[0];
      b.extra_bugs.push_back(f.stem().string());
      runs.push_back(b);
    }
    for (const CompileOptions& co : runs) {
      ++t->generated;
      std::string stem = f.stem().string();
      if (co.extra_bugs.size() > runs[0].extra_bugs.size()) stem += "--bug-" + co.extra_bugs.back();
      CheckOne(f.string(), stem, text.str(), *s, co, t);
    }
  }
}

TEST(Soundness, RepoScenarios) {
  if (Small()) GTEST_SKIP() << "the CLI's Reduction.ReductionsAgreeWithNone covers them under sanitizers";
  Tally t;
  CheckFiles(ScnFiles(SourceDir() / "scenarios"), true, &t);
  std::printf("repo scenarios: %d runs, %d checked, %d skipped (none over %llu schedules), %d disagree\n",
              t.generated, t.checked, t.skipped, static_cast<unsigned long long>(Budget()), t.disagreed);
  EXPECT_GT(t.checked, 20);
}

TEST(Soundness, Regressions) {
  Tally t;
  t.budget_floor = kRegressionBudget;
  const std::vector<fs::path> files = ScnFiles(SourceDir() / "tests" / "regressions" / "soundness");
  CheckFiles(files, false, &t);
  std::printf("soundness regressions: %d files, %d checked, %d skipped, %d disagree\n", t.generated, t.checked,
              t.skipped, t.disagreed);
  EXPECT_EQ(t.skipped, 0) << "a regression scenario must be small enough for --reduction=none";
}

}  // namespace
}  // namespace vfiosim::sim
