// `vfiosim diff` as a user meets it (spec 1.1, "Comparing two kernels"): the
// built binary run as a subprocess (tests/tool_runner.h).
//
//  - Diff.Same*        a scenario both kernels answer alike: `diff: SAME`, exit 0;
//  - Diff.Reset*       the reset finding (docs/findings.md): only-b SIGBUS, and
//                      every printed witness replays with `run <side's options>
//                      --replay=<id>` to the outcome or violation it names;
//  - Diff.PlantedBug   --a/--b choose any two kernels: a bug on one side only;
//  - Diff.Bounded*     a bounded side makes the line end in ` bounded`, exit 1;
//  - Diff.Usage*       bad options exit 2; a scenario error `file:line:col: error:`;
//  - Diff.Json         --format=json carries the same comparison;
//  - Diff.Jobs         stdout is byte-identical for --jobs=1 and --jobs=2.
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sim/report/json.h"
#include "tests/tool_runner.h"

namespace {

namespace fs = std::filesystem;
using namespace vfiosim_test;

// The lines of `out` that start with `prefix`.
std::vector<std::string> Lines(const std::string& out, const std::string& prefix) {
  std::vector<std::string> v;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);)
    if (l.rfind(prefix, 0) == 0) v.push_back(l);
  return v;
}

// `  A: <options> (legacy, x86_64): ...` -> the options of that side.
std::string SideOptions(const std::string& out, char side) {
  const std::string head = std::string("  ") + side + ": ";
  for (const std::string& l : Lines(out, head)) return l.substr(head.size(), l.find(" (") - head.size());
  return "";
}

std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string w; in >> w;) v.push_back(w);
  return v;
}

// Every only-a:/only-b: witness of a diff's output replays on its side to what
// the line names.
void ExpectWitnessesReplay(const std::string& out, const std::string& file) {
  for (const char side : {'a', 'b'}) {
    const std::string options = SideOptions(out, static_cast<char>(side - 'a' + 'A'));
    ASSERT_FALSE(options.empty()) << out;
    for (const std::string& l : Lines(out, std::string("only-") + side + ": ")) {
      SCOPED_TRACE(l);
      const size_t at = l.rfind(" schedule=");
      ASSERT_NE(at, std::string::npos);
      const std::string what = l.substr(8, at - 8);
      const std::string id = l.substr(at + 10);
      std::vector<std::string> args{"run"};
      for (const std::string& w : Words(options)) args.push_back(w);
      args.push_back("--replay=" + id);
      args.push_back(file);
      const Result r = RunTool(args);
      if (what.rfind("violation=", 0) == 0) {
        EXPECT_EQ(r.status, 1) << r;
        EXPECT_NE(r.out.find("=> " + what.substr(10) + ": "), std::string::npos) << r;
      } else {
        // Exit 1 only when an expectation fails in that schedule (`=> expect:`
        // lines): the outcome is what the witness shows.
        EXPECT_TRUE(r.status == 0 || (r.status == 1 && r.out.find("\n=> expect:") != std::string::npos)) << r;
        EXPECT_NE(r.out.find("\noutcome: " + what + "\n"), std::string::npos) << r;
      }
    }
  }
}

TEST(Diff, SameWhenBothKernelsAgree) {
  TempDir d;
  const fs::path f = d.Write("same.scn",
                             "scenario plain-read\n"
                             "device gpu\n  bar 0 size=2M\nend\n"
                             "setup\n  p = process\n  fd = open gpu in p\n  va = mmap p fd bar=0\nend\n"
                             "thread a\n  r = read p va\nend\n"
                             "thread b\n  w = write p va+0x1000 7\nend\n");
  const Result r = RunTool({"diff", "--jobs=2", f.string()});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.LastLine(), "diff: SAME plain-read outcomes=1") << r;
  EXPECT_TRUE(Lines(r.out, "only-").empty()) << r;
  EXPECT_NE(r.out.find("  A: --variant=legacy (legacy, x86_64): "), std::string::npos) << r;
  EXPECT_NE(r.out.find("  B: --variant=dmabuf (dmabuf, x86_64): "), std::string::npos) << r;
}

TEST(Diff, MemDisableIsTheSameOnBothKernels) {
  const Result r = RunTool({"diff", "--jobs=2", Scn("fault-vs-revoke.scn")});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.LastLine(), "diff: SAME fault-vs-revoke outcomes=2") << r;
}

TEST(Diff, ResetFaultSigbusOnlyOnDmabuf) {
  const std::string f = Scn("fault-vs-reset.scn");
  const Result r = RunTool({"diff", "--jobs=2", f});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_EQ(r.LastLine(), "diff: DIFFERENT fault-vs-reset only-a=0 only-b=1") << r;
  const std::vector<std::string> only_b = Lines(r.out, "only-b: ");
  ASSERT_EQ(only_b.size(), 1u) << r;
  EXPECT_TRUE(std::regex_match(only_b[0], std::regex("only-b: cpu\\.r=SIGBUS admin\\.c=ok schedule=[0-9a-zA-Z]+")))
      << only_b[0];
  // The witnesses side by side: both tables, A's kernel taking memory_lock.
  EXPECT_NE(r.out.find("Witness of only-b: cpu.r=SIGBUS"), std::string::npos) << r;
  EXPECT_NE(r.out.find("(B's thread order, as far as A can follow it) -> cpu.r="), std::string::npos) << r;
  EXPECT_NE(r.out.find("The threads run in the same order up to step "), std::string::npos) << r;
  ExpectWitnessesReplay(r.out, f);
}

// vfiosim's proposed fix for the reset finding (docs/findings.md): a fault on a
// temporarily revoked buffer waits on memory_lock as legacy does. The reset
// scenarios become SAME, and no scenario violates an invariant with it.
TEST(Diff, FaultWaitsTempRevokeFixMakesResetSame) {
  for (const char* rel : {"fault-vs-reset.scn", "write-vs-reset.scn", "importer-dma-vs-reset.scn"}) {
    SCOPED_TRACE(rel);
    const Result r = RunTool({"diff", "--jobs=2", "--b=--variant=dmabuf --fix=fault-waits-temp-revoke", Scn(rel)});
    EXPECT_EQ(r.status, 0) << r;
    EXPECT_EQ(r.LastLine().rfind("diff: SAME ", 0), 0u) << r;
  }
  // Without the fix the dmabuf side has the SIGBUS (the finding), with it not.
  const Result fixed = RunTool({"run", "--keep-going", "--variant=dmabuf", "--fix=fault-waits-temp-revoke",
                                Scn("fault-vs-reset.scn")});
  EXPECT_EQ(fixed.out.find("cpu.r=SIGBUS"), std::string::npos) << fixed;
  EXPECT_EQ(fixed.out.find("Violation"), std::string::npos) << fixed;
  // Every invariant kept where a revoke races a fault: the fix's runs find no violation.
  for (const char* rel : {"fault-vs-revoke.scn", "fault-vs-d3.scn", "fault-vs-mem-toggle.scn", "fault-vs-power-cycle.scn",
                          "revoke-vs-fault.scn", "temp-vs-perm-revoke.scn"}) {
    SCOPED_TRACE(rel);
    const Result r = RunTool({"run", "--jobs=2", "--keep-going", "--variant=dmabuf", "--fix=fault-waits-temp-revoke", Scn(rel)});
    EXPECT_EQ(r.status, 0) << r;
    EXPECT_NE(r.LastLine().find("verdict: PASS "), std::string::npos) << r;
  }
}

TEST(Diff, PlantedBugOnOneSide) {
  const std::string f = Scn("fault-vs-revoke.scn");
  const Result r = RunTool({"diff", "--jobs=2", "--a=--variant=dmabuf",
                            "--b=--variant=dmabuf --bug=no-zap-on-revoke", f});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_NE(r.out.find("  B: --variant=dmabuf --bug=no-zap-on-revoke (dmabuf, x86_64): "), std::string::npos) << r;
  // The bug's schedules stop at the stale PTE: a violation only B has, and the
  // outcome those schedules would have reached only A has.
  EXPECT_EQ(Lines(r.out, "only-b: violation=stale-pte schedule=").size(), 1u) << r;
  EXPECT_EQ(Lines(r.out, "only-a: cpu.r=0 admin.c=ok schedule=").size(), 1u) << r;
  EXPECT_EQ(r.LastLine(), "diff: DIFFERENT fault-vs-revoke only-a=1 only-b=1") << r;
  ExpectWitnessesReplay(r.out, f);
}

TEST(Diff, BoundedIsInconclusive) {
  const Result r = RunTool({"diff", "--jobs=1", "--schedules=1", Scn("fault-vs-revoke.scn")});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_TRUE(std::regex_match(r.LastLine(), std::regex("diff: (SAME|DIFFERENT) fault-vs-revoke .* bounded"))) << r;
  const Result s = RunTool({"diff", "--jobs=2", "--shard=0/2", Scn("fault-vs-revoke.scn")});
  EXPECT_EQ(s.status, 1) << s;
  EXPECT_NE(s.LastLine().find(" bounded"), std::string::npos) << s;
}

TEST(Diff, UsageErrors) {
  const std::string f = Scn("fault-vs-revoke.scn");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"diff"},
           {"diff", "--a=--schedules=3", f},
           {"diff", "--b=--variant=foo", f},
           {"diff", "--a=--bug=no-such-bug", f},
           {"diff", "--a=variant=legacy", f},
           {"diff", "--variant=legacy", f},
           {"diff", "--explore=random", f},
           {"diff", "--replay=01", f},
           {"diff", "--format=yaml", f},
       }) {
    const Result r = RunTool(args);
    EXPECT_EQ(r.status, 2) << r;
    EXPECT_EQ(r.out.find("diff: "), std::string::npos) << r;
    EXPECT_NE(r.err.find("vfiosim: "), std::string::npos) << r;
  }
  // A kernel option that contradicts Kconfig on one side is that side's error.
  const Result k = RunTool({"diff", "--a=--arch=i386 --kconfig=PCI_P2PDMA=y", f});
  EXPECT_EQ(k.status, 2) << k;
}

TEST(Diff, ScenarioErrorIsReportedWithItsPosition) {
  TempDir d;
  const fs::path f = d.Write("bad.scn", "scenario bad\nthread a\n  r = frobnicate\nend\n");
  const Result r = RunTool({"diff", f.string()});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_NE(r.err.find(f.string() + ":3:"), std::string::npos) << r;
  EXPECT_NE(r.err.find(": error: "), std::string::npos) << r;
  EXPECT_EQ(r.out.find("diff: "), std::string::npos) << r;
}

TEST(Diff, Json) {
  const std::string f = Scn("fault-vs-reset.scn");
  const Result text = RunTool({"diff", "--jobs=2", f});
  const Result r = RunTool({"diff", "--jobs=2", "--format=json", f});
  EXPECT_EQ(r.status, 1) << r;
  absl::StatusOr<vfiosim::json::Value> parsed = vfiosim::json::Parse(r.out);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << r;
  const vfiosim::json::View v(*parsed);
  EXPECT_EQ(v["result"].as_string(), "DIFFERENT");
  EXPECT_EQ(v["diff_line"].as_string(), text.LastLine());
  EXPECT_FALSE(v["bounded"].as_bool());
  EXPECT_EQ(v["a"]["options"].as_string(), "--variant=legacy");
  EXPECT_TRUE(v["a"]["complete"].as_bool());
  ASSERT_EQ(v["only_b"].items().size(), 1u);
  const vfiosim::json::View e = v["only_b"].items()[0];
  EXPECT_EQ(e["outcome"].as_string(), "cpu.r=SIGBUS admin.c=ok");
  EXPECT_EQ(e["line"].as_string(), Lines(text.out, "only-b: ")[0]);
  EXPECT_EQ(e["witness"]["ends_with"].as_string(), "cpu.r=SIGBUS admin.c=ok");
  EXPECT_FALSE(e["witness"]["trace"].items().empty());
  EXPECT_FALSE(e["counterpart"]["trace"].items().empty());
}

TEST(Diff, ShardsMergeIntoTheWholeComparison) {
  TempDir d;
  const std::string f = Scn("write-vs-reset.scn");
  std::vector<std::string> merge{"merge"};
  for (int k = 0; k < 3; ++k) {
    const Result r = RunTool({"diff", "--jobs=1", "--format=json", "--shard=" + std::to_string(k) + "/3", f});
    EXPECT_EQ(r.status, 1) << r;  // one shard is bounded
    merge.push_back(d.Write("s" + std::to_string(k) + ".json", r.out).string());
  }
  const Result whole = RunTool({"diff", "--jobs=2", f});
  const Result m = RunTool(merge);
  EXPECT_EQ(m.status, 1) << m;
  EXPECT_EQ(m.LastLine(), whole.LastLine()) << m;
  EXPECT_EQ(m.LastLine(), "diff: DIFFERENT write-vs-reset only-a=0 only-b=1") << m;
  // The merged histogram is the whole one.
  auto table = [](const std::string& out) { return out.substr(out.find("Outcomes"), out.find("only-") - out.find("Outcomes")); };
  EXPECT_EQ(table(m.out), table(whole.out)) << m;
  ExpectWitnessesReplay(m.out, f);
  // A missing shard leaves the comparison bounded.
  const Result part = RunTool({"merge", merge[1], merge[3]});
  EXPECT_EQ(part.status, 1) << part;
  EXPECT_NE(part.LastLine().find(" bounded"), std::string::npos) << part;
  // Diff and run reports do not mix.
  const Result run = RunTool({"run", "--format=json", f});
  const Result mixed = RunTool({"merge", merge[1], d.Write("run.json", run.out).string()});
  EXPECT_EQ(mixed.status, 2) << mixed;
}

TEST(Diff, OutputDoesNotDependOnJobs) {
  for (const char* rel : {"fault-vs-reset.scn", "write-vs-reset.scn"}) {
    const Result one = RunTool({"diff", "--jobs=1", Scn(rel)});
    const Result two = RunTool({"diff", "--jobs=2", Scn(rel)});
    EXPECT_EQ(one.status, two.status) << rel;
    EXPECT_EQ(one.out, two.out) << rel;
  }
}

}  // namespace
