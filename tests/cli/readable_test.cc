// Counterexamples a reviewer can read (issue 15): what the tool prints for a
// first-time user, run as a subprocess.
//
//  - Readable.Trace*     the trace says why (SIGBUS reason, the fault's order
//                        walk, each statement with its options as written) and
//                        never wraps inside a number;
//  - Readable.Shrink*    the shrunk witness is never longer than the original;
//  - Readable.Trace/Merge/Setup*: --trace with several files, a PASS with
//                        --trace, merge's Observation lines, failed setup ops;
//  - Readable.Help*/Messages*: list ops, stress --help, did-you-mean, stress's
//                        bug coverage, the lock-order and finally messages.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "model/bugs.h"
#include "tests/tool_runner.h"

namespace {

namespace fs = std::filesystem;
using namespace vfiosim_test;

// fault-vs-revoke with the admin thread first: MEM=0 revokes the BAR mmap's
// dma-buf, then the CPU's fault gets SIGBUS.
TEST(Readable, TraceSaysWhyTheFaultGotSigbus) {
  const Result r = RunTool({"run", "--replay=11", Scn("fault-vs-revoke.scn")});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_NE(r.out.find("outcome: cpu.r=SIGBUS admin.c=ok"), std::string::npos) << r;
  // Every operand and option, as the file wrote them.
  EXPECT_NE(r.out.find("c = command fd mem=0"), std::string::npos) << r;
  EXPECT_NE(r.out.find("r = read p va+0x1000"), std::string::npos) << r;
  EXPECT_NE(r.out.find("va = mmap p fd bar=0 len=2M"), std::string::npos) << r;
  // Why: the dma-buf was revoked by the MEM=0 write.
  EXPECT_NE(r.out.find("SIGBUS: temporarily revoked (MEM off)"), std::string::npos) << r;
}

TEST(Readable, TraceShowsTheFaultsOrderWalk) {
  // cpu first: the fault is offered a PMD (2M BAR, 2M-aligned) after the PUD
  // falls back, and installs it.
  const Result r = RunTool({"run", "--replay=0", Scn("fault-vs-revoke.scn")});
  ASSERT_EQ(r.status, 0) << r;
  const size_t pud = r.out.find("PUD fault -> FALLBACK");
  const size_t pmd = r.out.find("PMD fault -> NOPAGE");
  ASSERT_NE(pud, std::string::npos) << r;
  ASSERT_NE(pmd, std::string::npos) << r;
  EXPECT_LT(pud, pmd) << r;
}

TEST(Readable, LegacyTraceSaysMemoryDisabled) {
  const Result r = RunTool({"run", "--replay=11", "--variant=legacy", Scn("fault-vs-revoke.scn")});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_NE(r.out.find("SIGBUS: memory disabled (MEM off)"), std::string::npos) << r;
}

// No row of a trace table is cut inside a number: every hex number in a cell
// is followed by a blank, the cell's end, or punctuation -- never by the next
// row's continuation of the same number.
TEST(Readable, TraceNeverWrapsInsideANumber) {
  const Result r = RunTool({"run", "--replay=0", Scn("fault-vs-revoke.scn")});
  ASSERT_EQ(r.status, 0) << r;
  // The PTE install line is longer than a column; its pfn must stay whole.
  EXPECT_NE(r.out.find("pfn=0x8000000"), std::string::npos) << r;
  std::istringstream in(r.out);
  std::string line;
  const std::regex cut(R"(0x[0-9a-f]*$)");
  std::string prev_cell;
  while (std::getline(in, line)) {
    if (line.size() < 7 || line[5] != '|') continue;
    std::string cell = line.substr(7);
    while (!cell.empty() && cell.back() == ' ') cell.pop_back();
    // A cell exactly 40 wide ending in a number would be a hard cut.
    EXPECT_FALSE(cell.size() >= 40 && std::regex_search(cell.substr(0, 40), cut)) << line;
  }
}

// A shrunk witness is no longer (in steps) than the one exploration found, and
// names it. fault-without-lock with --keep-going once shrank 18 steps with 3
// preemptions into 20 steps with 2.
TEST(Readable, ShrinkNeverLengthens) {
  for (const char* bug : {"fault-without-lock", "legacy-no-memory-check", "fault-ignores-revoked"}) {
    const Result r = RunTool({"run", "--jobs=2", "--keep-going", std::string("--bug=") + bug,
                              Scn(std::string("bugs/") + bug + ".scn")});
    ASSERT_EQ(r.status, 1) << r;
    // Exploration's shortest failing schedule (one invariant here) ...
    const std::regex vre(R"(\(shortest: schedule=(\S+), (\d+) steps\))");
    std::smatch v;
    ASSERT_TRUE(std::regex_search(r.out, v, vre)) << r;
    // ... and the one printed, shrunk from it: never longer, and it names it.
    const std::regex re(R"(Failing schedule: schedule=(\S+) \((\d+) steps, \d+ preemptions(; shrunk from schedule=(\S+) )?)");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, re)) << r;
    EXPECT_LE(std::stoi(m[2]), std::stoi(v[2])) << bug << "\n" << r;
    if (m[1].str() != v[1].str()) {
      EXPECT_EQ(m[4].str(), v[1].str()) << bug << "\n" << r;
    }
    // The printed id replays to the printed trace.
    const Result rep = RunTool({"run", "--replay=" + m[1].str(), std::string("--bug=") + bug,
                                Scn(std::string("bugs/") + bug + ".scn")});
    EXPECT_EQ(rep.status, 1) << rep;
    const std::string head = "(" + m[2].str() + " steps,";
    EXPECT_NE(rep.out.find(head), std::string::npos) << rep;
  }
}

TEST(Readable, TraceWithSeveralFilesIsRefused) {
  TempDir d;
  const fs::path t = d.path() / "t.json";
  const Result r = RunTool({"run", "--trace=" + t.string(), Scn("fault-vs-revoke.scn"), Scn("fault-vs-reset.scn")});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_NE(r.err.find("--trace writes the trace of one scenario"), std::string::npos) << r;
  EXPECT_FALSE(fs::exists(t));
}

TEST(Readable, PassWithTraceSaysNothingFailed) {
  TempDir d;
  const fs::path t = d.path() / "t.json";
  const Result r = RunTool({"run", "--jobs=1", "--trace=" + t.string(), Scn("fault-vs-revoke.scn")});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_NE(r.err.find("not written: no schedule of fault-vs-revoke failed"), std::string::npos) << r;
  EXPECT_FALSE(fs::exists(t));
}

TEST(Readable, MergeKeepsObservationLines) {
  TempDir d;
  const std::string scn = Scn("fault-vs-revoke.scn");
  std::vector<std::string> files;
  for (const char* kn : {"0/2", "1/2"}) {
    const Result s = RunTool({"run", "--jobs=1", "--keep-going", "--format=json", std::string("--shard=") + kn, scn});
    ASSERT_EQ(s.status, 0) << s;
    files.push_back(d.Write(std::string("s") + kn[0] + ".json", s.out).string());
  }
  const Result whole = RunTool({"run", "--jobs=1", "--keep-going", scn});
  const Result merged = RunTool({"merge", files[0], files[1]});
  ASSERT_EQ(merged.status, 0) << merged;
  std::istringstream in(whole.out);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.rfind("Observation ", 0) != 0) continue;
    ++n;
    EXPECT_NE(merged.out.find(line + "\n"), std::string::npos) << line << "\n" << merged;
  }
  EXPECT_EQ(n, 2) << whole;
}

const char* kMisalignedSetup = R"(scenario misaligned-setup
device gpu
  bar 0 size=2M
end
setup
  p = process
  fd = open gpu in p
  va = mmap p fd bar=0 at=0x1000000800
end
thread cpu
  r = read p va
end
expect always va == EINVAL
expect always cpu.r == SIGSEGV
)";

TEST(Readable, FailedSetupOpIsReported) {
  TempDir d;
  const fs::path f = d.Write("s.scn", kMisalignedSetup);
  const Result r = RunTool({"run", "--jobs=1", f.string()});
  EXPECT_EQ(r.status, 0) << r;  // setup's result can be expected
  EXPECT_NE(r.out.find("Setup failed: line 8: va = mmap p fd bar=0 at=0x1000000800 -> EINVAL\n"), std::string::npos)
      << r;
  EXPECT_NE(r.out.find("       1  cpu.r=SIGSEGV\n"), std::string::npos) << r;
  // Asked for, setup's variables show in the outcomes.
  const Result w = RunTool({"run", "--jobs=1", "--outcomes_with_setup", f.string()});
  EXPECT_EQ(w.status, 0) << w;
  EXPECT_NE(w.out.find("       1  p=process fd=device fd va=EINVAL cpu.r=SIGSEGV\n"), std::string::npos) << w;
}

TEST(Readable, ListOpsPrintsSyntax) {
  const Result r = RunTool({"list", "ops"});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_NE(r.out.find("mmap <proc> <fd|buf> [bar=<n>] [offset=<n>] [len=<n>] [prot=r|rw] [at=<addr>]"),
            std::string::npos)
      << r;
  EXPECT_NE(r.out.find("command <fd> mem=0|1"), std::string::npos) << r;
  EXPECT_NE(r.out.find("open <device> [in <proc>]"), std::string::npos) << r;
  EXPECT_NE(r.out.find("export <fd> bar=<n> [ranges=<off>+<len>,...]"), std::string::npos) << r;
}

// `list bugs|invariants|fixes`: every description starts in one column, however long a name.
TEST(Readable, ListTablesLineUp) {
  for (const char* what : {"bugs", "invariants", "fixes"}) {
    const Result r = RunTool({"list", what});
    ASSERT_EQ(r.status, 0) << r;
    std::set<size_t> starts;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line[0] == ' ') continue;  // a bug's reference line
      const size_t name_end = line.find(' ');
      ASSERT_NE(name_end, std::string::npos) << line;
      starts.insert(line.find_first_not_of(' ', name_end));
    }
    EXPECT_EQ(starts.size(), 1u) << what << "\n" << r;
  }
}

TEST(Readable, HelpHasNoSourcePathsAndStressHasItsOwn) {
  const Result h = RunTool({"--help"});
  ASSERT_EQ(h.status, 0) << h;
  EXPECT_EQ(h.out.find(".cc"), std::string::npos) << h;
  EXPECT_EQ(h.out.find("sim/cli"), std::string::npos) << h;
  EXPECT_NE(h.out.find("--max_steps"), std::string::npos) << h;
  const Result s = RunTool({"stress", "--help"});
  ASSERT_EQ(s.status, 0) << s;
  EXPECT_NE(s.out.find("--stress_threads"), std::string::npos) << s;
  EXPECT_NE(s.out.find("--bug"), std::string::npos) << s;
  EXPECT_EQ(s.out.find("--max_steps"), std::string::npos) << s;  // run's, not stress's
  EXPECT_EQ(s.out.find(".cc"), std::string::npos) << s;
}

TEST(Readable, DidYouMeanForBugOnTheCommandLine) {
  const Result r = RunTool({"run", "--bug=no-zap-on-revok", Scn("fault-vs-revoke.scn")});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_NE(r.err.find("unknown bug 'no-zap-on-revok' (did you mean 'no-zap-on-revoke'?)"), std::string::npos) << r;
  const Result s = RunTool({"stress", "--bug=fault-without-lok"});
  EXPECT_EQ(s.status, 2) << s;
  EXPECT_NE(s.err.find("did you mean 'fault-without-lock'?"), std::string::npos) << s;
}

TEST(Readable, StressRefusesABugItCannotExercise) {
  const Result r = RunTool({"stress", "--bug=fork-escapes-zap", "--stress_duration=0.01"});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_NE(r.err.find("cannot exercise --bug=fork-escapes-zap: stress never forks"), std::string::npos) << r;
  EXPECT_EQ(r.out.find("PASS"), std::string::npos) << r;
  const Result v = RunTool({"stress", "--bug=lock-inversion", "--variant=legacy", "--stress_duration=0.01"});
  EXPECT_EQ(v.status, 2) << v;
  EXPECT_NE(v.err.find("dmabuf variant's fault handler"), std::string::npos) << v;
  // A bug the kernel had: its own reason, and its scenario in scenarios/history/.
  const Result h = RunTool({"stress", "--bug=bar-rw-holds-memory-lock", "--stress_duration=0.01"});
  EXPECT_EQ(h.status, 2) << h;
  EXPECT_NE(h.err.find("stress never reads the device fd (pread); use 'vfiosim run "
                       "--bug=bar-rw-holds-memory-lock' on its scenario "
                       "(scenarios/history/bar-rw-holds-memory-lock.scn)"),
            std::string::npos)
      << h;
}

// Each catalogued bug names its scenario (model/bugs.cc), the one home of the
// pointer stress's refusal gives: the file exists and is that bug's scenario.
TEST(Readable, EveryBugNamesItsScenario) {
  for (const vfiosim::BugInfo& b : vfiosim::AllBugs()) {
    const fs::path f = SourceDir() / std::string(b.scenario);
    std::ifstream in(f);
    ASSERT_TRUE(in.good()) << b.name << ": no " << f;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("scenario " + std::string(b.name)), std::string::npos) << f;
  }
}

TEST(Readable, LockOrderMessageNamesBothOrders) {
  const Result r = RunTool({"run", "--jobs=1", "--bug=lock-inversion", Scn("bugs/lock-inversion.scn")});
  ASSERT_EQ(r.status, 1) << r;
  EXPECT_NE(r.out.find("memory_lock taken while holding dma_resv (order dma_resv -> memory_lock), but earlier in "
                       "this run the order was memory_lock -> dma_resv"),
            std::string::npos)
      << r;
}

TEST(Readable, ThreadVariableInFinallyIsNamed) {
  TempDir d;
  const fs::path f = d.Write("s.scn", R"(scenario t
device gpu
  bar 0 size=2M
end
thread a
  fd = open gpu
end
finally
  c = close a.fd
end
)");
  const Result r = RunTool({"check", f.string()});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_NE(r.err.find(f.string() + ":9:13: error: 'a.fd' is a thread's variable"), std::string::npos) << r;
}

}  // namespace
