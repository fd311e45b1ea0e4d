// The vfiosim tool as a user meets it: the built binary run as a subprocess.
//
//  - CliError.*     every class of bad input exits 2 with `file:line:col: error:`
//                   on stderr, pointing at the right line and column, and runs
//                   nothing (no verdict);
//  - CliUsage.*     bad flags (and a flag of another subcommand), bad --replay
//                   ids, no arguments, a missing file: exit 2 with a message;
//  - CliRun.*       a good scenario exits 0 with `verdict: PASS` last, a bug 1;
//  - CliLimits.*    --max_steps, --schedules, --timeout, and sizes that would need
//                   unbounded memory (huge BARs, the page-table budget);
//  - Determinism.AllScenarios: for every scenarios/**/*.scn (globbed when the
//                   test runs; bug scenarios also with their mutant), stdout is
//                   byte-identical across two runs and across --jobs=1 / --jobs=2,
//                   and a reported failing schedule replays to the same trace;
//  - Reduction.*    sleep sets, DPOR and the stateful search find what --reduction=none finds.
//
// The binary: tests/tool_runner.h.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "sim/cli/commands.h"
#include "sim/cli/flag_table.h"
#include "tests/sanitized.h"
#include "tests/tool_runner.h"

namespace {

namespace fs = std::filesystem;
using namespace vfiosim_test;  // Binary, SourceDir, Scn, ReadAll, WriteAll, TempDir, Result, RunTool

// The header most error tests start from: lines 1-10.
const std::string kHeader =
    "scenario t\n"            // 1
    "device gpu\n"            // 2
    "  bar 0 size=2M\n"       // 3
    "end\n"                   // 4
    "setup\n"                 // 5
    "  p = process\n"         // 6
    "  fd = open gpu in p\n"  // 7
    "  va = mmap p fd bar=0\n"  // 8
    "end\n"                   // 9
    "thread a\n";             // 10

// `text` is refused: exit 2, nothing runs, and stderr has
// `<file>:<line>:<col>: error: ` followed (somewhere on that line) by `message`.
void ExpectError(const std::string& text, int line, int col, const std::string& message,
                 const std::vector<std::string>& extra_args = {}) {
  SCOPED_TRACE("expecting an error at " + std::to_string(line) + ":" + std::to_string(col) + " '" + message + "'");
  TempDir d;
  const fs::path f = d.Write("bad.scn", text);
  std::vector<std::string> args{"run", "--jobs=1"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  args.push_back(f.string());
  const Result r = RunTool(args);
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_EQ(r.out.find("verdict:"), std::string::npos) << "a scenario with an error must not run\n" << r;
  const std::string want = f.string() + ":" + std::to_string(line) + ":" + std::to_string(col) + ": error: ";
  const size_t at = r.err.find(want);
  ASSERT_NE(at, std::string::npos) << "want a diagnostic starting with '" << want << "'\n" << r;
  const std::string diag = r.err.substr(at, r.err.find('\n', at) - at);
  EXPECT_NE(diag.find(message), std::string::npos) << "want '" << message << "' in: " << diag;
  // `check` refuses the same file the same way.
  const Result c = RunTool({"check", f.string()});
  EXPECT_EQ(c.status, 2) << c;
  EXPECT_NE(c.err.find(want), std::string::npos) << c;
}

std::string Scenarios() { return (SourceDir() / "scenarios").string(); }
// ---------------------------------------------------------------- scenario errors

TEST(CliError, UnknownOp) { ExpectError(kHeader + "  r = frob p va\nend\n", 11, 7, "unknown op 'frob'"); }

TEST(CliError, BadNumber) {
  ExpectError(kHeader + "  r = read p va+12abc\nend\n", 11, 17, "bad number");
  ExpectError(kHeader + "  r = read p va+0x1g\nend\n", 11, 17, "upper case");
}

TEST(CliError, Overflow) {
  ExpectError(kHeader + "  r = read p va+99999999999999999999\nend\n", 11, 17, "does not fit in 64 bits");
  // 16E = 2^64.
  ExpectError("scenario t\ndevice gpu\n  bar 0 size=17179869184G\nend\n", 3, 14, "does not fit in 64 bits");
  ExpectError(kHeader + "  r = read p 0x10000000000000000\nend\n", 11, 14, "does not fit in 64 bits");
}

TEST(CliError, UndefinedName) {
  ExpectError(kHeader + "  r = read q va\nend\n", 11, 12, "undefined name 'q'");
}

TEST(CliError, WrongHandleKind) {
  ExpectError(kHeader + "  r = read fd va\nend\n", 11, 12, "expects a process");
  ExpectError(kHeader + "  r = mmap p p bar=0\nend\n", 11, 14, "but p is a process");
}

TEST(CliError, DuplicateBinding) {
  ExpectError(kHeader + "  r = read p va\n  r = read p va\nend\n", 12, 3, "already bound at 11:3");
}

TEST(CliError, MissingEnd) {
  ExpectError(kHeader + "  r = read p va\n", 10, 1, "missing 'end' for thread a");
}

TEST(CliError, BadBarIndex) {
  ExpectError("scenario t\ndevice gpu\n  bar 7 size=2M\nend\n", 3, 3, "out of range");
}

TEST(CliError, BadBarSize) {
  ExpectError("scenario t\ndevice gpu\n  bar 0 size=3M\nend\n", 3, 3, "not a power of two");
  ExpectError("scenario t\ndevice gpu\n  bar 0 size=2K\nend\n", 3, 3, "smaller than 4K");
}

TEST(CliError, UnknownNames) {
  ExpectError("scenario t\nvariant foo\n", 2, 9, "unknown variant 'foo'");
  ExpectError("scenario t\narch sparc\n", 2, 6, "unknown arch 'sparc'");
  ExpectError("scenario t\nbug no-such-bug\n", 2, 5, "unknown bug 'no-such-bug'");
  ExpectError("scenario t\nexpect violation no-such-inv\n", 2, 18, "unknown invariant 'no-such-inv'");
  ExpectError("scenario t\nkconfig FOO_BAR=y\n", 2, 9, "unknown Kconfig symbol FOO_BAR");
}

TEST(CliError, BadExpectationSyntax) {
  ExpectError(kHeader + "  r = read p va\nend\nexpect always a.r ==\n", 13, 21, "expected a value");
  ExpectError(kHeader + "  r = read p va\nend\nexpect perhaps a.r == 0\n", 13, 8, "found 'perhaps'");
  ExpectError(kHeader + "  r = read p va\nend\nexpect always (a.r == 0\n", 13, 24, "expected ')'");
}

TEST(CliError, BinaryGarbage) {
  ExpectError(std::string("\x00\xff\xfe\x01garbage\x80\n", 13), 1, 1, "NUL byte");
  // No NUL: invalid UTF-8 and control bytes still get a located error.
  TempDir d;
  const fs::path f = d.Write("bad.scn", "\xff\xfe\x80\x01\x02garbage\n\x7f\x1b[0m\n");
  const Result r = RunTool({"run", f.string()});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_NE(r.err.find(f.string() + ":1:"), std::string::npos) << r;
}

TEST(CliError, EmptyFile) {
  ExpectError("", 1, 1, "empty scenario");
  ExpectError("\n\n# only a comment\n   \n", 1, 1, "empty scenario");
}

TEST(CliError, HugeFile) {
  // 20 MB: a header, 200000 comment lines of 100 bytes, then a bad statement.
  std::string text = "scenario huge\n";
  const std::string comment = "# " + std::string(97, 'c') + "\n";
  text.reserve(20 * 1000 * 1000 + 100);
  for (int i = 0; i < 200000; ++i) text += comment;
  text += "frobnicate everything\n";
  ASSERT_GE(text.size(), size_t{20} * 1000 * 1000);
  const auto t0 = std::chrono::steady_clock::now();
  ExpectError(text, 200002, 1, "unknown keyword 'frobnicate'");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 120);
  // One 20 MB line.
  ExpectError("scenario huge " + std::string(20 * 1000 * 1000, 'x') + "\n", 1, 15, "after the scenario name");
}

TEST(CliError, DeepNesting) {
  const std::string pre = kHeader + "  r = read p va\nend\n";  // expectations on line 13
  const int n = 100000;
  // Parentheses: the 257th '(' is past the limit of 256 levels.
  ExpectError(pre + "expect always " + std::string(n, '(') + "a.r == 0" + std::string(n, ')') + "\n", 13,
              15 + 256, "too deeply nested");
  ExpectError(pre + "expect always " + std::string(n, '!') + "a.r == 0\n", 13, 15 + 256, "too deeply nested");
  // A long flat chain is not nesting: it loads (or is refused cleanly), never crashes.
  std::string chain = "expect always a.r == 0";
  for (int i = 0; i < 20000; ++i) chain += " && a.r == 0";
  TempDir d;
  const fs::path f = d.Write("chain.scn", pre + chain + "\n");
  const Result r = RunTool({"run", "--jobs=1", f.string()});
  EXPECT_TRUE(r.status == 0 || r.status == 1 || r.status == 2) << r;
}

TEST(CliError, BarsThatDoNotFit) {
  // Two 8E BARs fill the 64-bit physical address space; a third has no room.
  std::string text = "scenario t\n";
  for (const char* d : {"a", "b", "c"}) text += std::string("device ") + d + "\n  bar 0 size=8589934592G mem64\nend\n";
  ExpectError(text, 9, 3, "does not fit in the 64-bit physical address space");
  // Explicit BARs at 0 and 8E leave no naturally aligned 8E hole (this used to
  // wrap around 2^64 and overlap the BAR at 8E).
  ExpectError("scenario t\ndevice a\n"
              "  bar 0 size=4611686018427387904 mem64 addr=0x8000000000000000\n"
              "  bar 2 size=4611686018427387904 mem64 addr=0\n"
              "  bar 4 size=8589934592G mem64\nend\n",
              5, 3, "does not fit");
}

TEST(CliError, TooManyThreads) {
  // Schedule ids name threads 0-9a-zA-Z: 62 at most.
  std::string text = "scenario many\n";
  for (int i = 0; i < 63; ++i) text += "thread t" + std::to_string(i) + "\nend\n";
  ExpectError(text, 2 + 2 * 62, 1, "too many threads");
}

// ---------------------------------------------------------------- usage errors

void ExpectUsage(const std::vector<std::string>& args, const std::string& message) {
  const Result r = RunTool(args);
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_NE(r.err.find(message), std::string::npos) << "want '" << message << "' on stderr\n" << r;
  EXPECT_EQ(r.out.find("verdict:"), std::string::npos) << r;
}

TEST(CliUsage, BadFlags) {
  const std::string f = Scn("fault-vs-revoke.scn");
  ExpectUsage({"run", "--explore=foo", f}, "--explore must be exhaustive, random or pct");
  ExpectUsage({"run", "--jobs=-1", f}, "--jobs");
  ExpectUsage({"run", "--shard=3/2", f}, "--shard");
  ExpectUsage({"run", "--reduction=states", f}, "--reduction must be dpor, sleep, state or none");
  ExpectUsage({"run", "--reduction=state", "--max-preemptions=2", f},
              "--max_preemptions does not combine with --reduction=state");
  ExpectUsage({"run", "--reduction=state", "--state_table=bits", f}, "--state_table must be exact or hash");
  ExpectUsage({"run", "--state_table=hash", f}, "--state_table=hash needs --reduction=state");
  ExpectUsage({"run", "--shard=x", f}, "--shard");
  ExpectUsage({"run", "--seed=abc", f}, "--seed");
  ExpectUsage({"run", "--schedules=-5", f}, "--schedules");
  ExpectUsage({"run", "--timeout=soon", f}, "--timeout");
  ExpectUsage({"run", "--no-such-flag", f}, "unknown flag");
  ExpectUsage({"run", "--no-such-flag=1", f}, "unknown flag");
  ExpectUsage({"run", f, "--seed"}, "--seed");  // a value flag without its value
  ExpectUsage({"run", "--bug=no-such-bug", f}, "unknown bug");
  ExpectUsage({"frobnicate"}, "unknown command");
}

// Each subcommand takes only its own flags (sim/cli/flag_table.cc): another's
// is bad usage, and the message names the subcommands it belongs to.
TEST(CliUsage, FlagOfAnotherCommandIsRefused) {
  const std::string f = Scn("fault-vs-revoke.scn");
  ExpectUsage({"run", "--stress_threads=4", f}, "vfiosim: --stress_threads is a flag of 'stress', not of 'run'\n");
  ExpectUsage({"stress", "--reduction=dpor"}, "vfiosim: --reduction is a flag of 'run' and 'diff', not of 'stress'\n");
  ExpectUsage({"merge", "--jobs=4", f}, "vfiosim: --jobs is a flag of 'run' and 'diff', not of 'merge'\n");
  ExpectUsage({"diff", "--seed=3", f}, "--seed is a flag of 'run', 'stress' and 'gen', not of 'diff'");
  ExpectUsage({"kconfig", "--arch=arm64"}, "--arch is a flag of 'run', not of 'kconfig'");
  ExpectUsage({"check", "--variant=legacy", f}, "--variant is a flag of 'run', 'stress' and 'kconfig', not of 'check'");
  ExpectUsage({"list", "--matrix", "bugs"}, "--matrix is a flag of 'kconfig', not of 'list'");
  // Before the command word (`--flag value` skipped to find it), '-' for '_', negated.
  ExpectUsage({"--stress_threads", "4", "run", f}, "--stress_threads is a flag of 'stress', not of 'run'");
  ExpectUsage({"stress", "--max-steps", "5"}, "--max_steps is a flag of 'run' and 'diff', not of 'stress'");
  ExpectUsage({"stress", "--noprogress"}, "--noprogress is a flag of 'run' and 'diff', not of 'stress'");
  ExpectUsage({"stress", "--reduction=dpor"}, "Try 'vfiosim stress --help'.");
}

TEST(CliUsage, EachCommandTakesItsOwnFlags) {
  const std::string f = Scn("fault-vs-revoke.scn");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"run", "--schedules=5", "--reduction=dpor", f},
           {"run", "--jobs=1", "--seed=2", "--explore=pct", "--pct_depth=2", "--schedules=3", "--noshrink", f},
           {"diff", "--jobs=1", "--reduction=dpor", "--max-steps=1000", "--explore=exhaustive", "--noprogress", f},
           {"stress", "--stress_duration=0.01", "--stress_leaf=4k", "--variant=legacy", "--seed=2", "--find_pfn=indexed"},
           {"kconfig", "--variant=legacy", "--fix=p2pdma-core", "--kconfig_format=json"},
           {"gen", "--seed=3"},
           {"check", f},
           {"list", "bugs"},
       }) {
    const Result r = RunTool(args);
    EXPECT_EQ(r.status, 0) << args[0] << "\n" << r;
    EXPECT_EQ(r.err.find("is a flag of"), std::string::npos) << r;
  }
}

// Every flag defined under sim/cli/ has its row in the table, and every row is a flag.
TEST(CliUsage, FlagTableHasEveryFlag) {
  static int (*volatile keep)(int, char**) = &vfiosim::cli::Main;  // links in every ABSL_FLAG of sim/cli/
  ASSERT_NE(keep, nullptr);
  size_t defined = 0;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (flag->Filename().find("sim/cli/") == std::string::npos) continue;
    ++defined;
    EXPECT_TRUE(vfiosim::cli::FlagCommands(std::string(name))) << "--" << name << ": no row in sim/cli/flag_table.cc";
  }
  for (const vfiosim::cli::FlagOwners& f : vfiosim::cli::FlagTable()) {
    EXPECT_NE(absl::FindCommandLineFlag(absl::string_view(f.flag.data(), f.flag.size())), nullptr) << f.flag;
    EXPECT_NE(f.commands, 0u) << f.flag;
  }
  EXPECT_EQ(defined, vfiosim::cli::FlagTable().size());
}

TEST(CliUsage, BadReplayIds) {
  const std::string f = Scn("fault-vs-revoke.scn");
  ExpectUsage({"run", "--replay=!!", f}, "schedule id");        // not thread characters
  ExpectUsage({"run", "--replay=5", f}, "names no thread");     // a thread it does not have
  ExpectUsage({"run", "--replay=" + std::string(100000, '0'), f}, "longer than");  // too long
  ExpectUsage({"run", "--replay=\x01\xff", f}, "schedule id");
  // An id that picks a thread blocked on a lock at one of its branching points.
  ExpectUsage({"run", "--replay=1212", Scn("three-thread-fault-mem-pm.scn")}, "not runnable there");
  // The empty schedule is valid: lowest runnable thread first.
  const Result ok = RunTool({"run", "--replay=-", f});
  EXPECT_EQ(ok.status, 0) << ok;
}

TEST(CliUsage, NoArguments) {
  const Result r = RunTool({});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_FALSE(r.err.empty()) << r;
  ExpectUsage({"run"}, "needs at least one scenario file");
}

TEST(CliUsage, MissingFile) {
  ExpectUsage({"run", "/nonexistent/dir/none.scn"}, "/nonexistent/dir/none.scn");
  ExpectUsage({"check", "/nonexistent/dir/none.scn"}, "/nonexistent/dir/none.scn");
  TempDir d;  // a directory is not a scenario file
  ExpectUsage({"run", d.path().string()}, d.path().string());
}

TEST(CliUsage, MergeRejectsBadReports) {
  TempDir d;
  // Not JSON numbers (RFC 8259): refused with the byte offset.
  for (const char* bad : {"{\"vfiosim_report\": 1-2}", "{\"vfiosim_report\": +1}", "{\"vfiosim_report\": 1.}",
                          "{\"vfiosim_report\": -}", "[1, 2", "\x01\x02", ""}) {
    const fs::path f = d.Write("bad.json", bad);
    const Result r = RunTool({"merge", f.string()});
    EXPECT_EQ(r.status, 2) << bad << "\n" << r;
    EXPECT_NE(r.err.find("error"), std::string::npos) << bad << "\n" << r;
  }
  // Numbers outside int64 (found by json_fuzzer: a UB float-to-int cast).
  const fs::path f = d.Write("huge.json",
                             "{\"vfiosim_report\": 1, \"scenario\": \"x\", \"seed\": 1e400, \"schedules\": "
                             "88888888888888888888888888888888, \"shard\": \"0/1\", \"expectations\": []}");
  const Result r = RunTool({"merge", f.string()});
  EXPECT_LE(r.status, 2) << r;
}

// The JSON report's layout, which `merge` and users' scripts read: two-space
// indent, keys in report order, empty arrays as [], and the seed as an int64 (a
// seed above INT64_MAX as its negative bits, as reports have always said it).
TEST(CliUsage, JsonReportLayout) {
  const Result r = RunTool({"run", "--jobs=1", "--format=json", "--explore=random", "--schedules=5",
                            "--seed=18446744073709551615", Scn("fault-vs-revoke.scn")});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out.rfind("{\n  \"vfiosim_report\": 1,\n  \"scenario\": \"fault-vs-revoke\",\n  \"file\": \"", 0), 0u)
      << r.out;
  for (const char* part : {
           "\n  \"strategy\": \"random\",\n  \"seed\": -1,\n  \"shard\": \"0/1\",\n  \"verdict\": \"PASS\",\n"
           "  \"reason\": \"\",\n",
           "\n  \"complete\": false,\n  \"timed_out\": false,\n",
           "\n  \"first_complete\": {\n    \"schedule\": \"",
           "\n  \"outcomes\": [\n    {\n      \"outcome\": \"",
           "\n  \"violations\": [],\n  \"lock_steps\": [\n    {\n",
           "\n      \"edges\": [\n        [\n          \"",
       })
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
  EXPECT_TRUE(r.out.ends_with("\n  ]\n}\n")) << r.out;
}

// Shard reports merge into the unsharded answer; anything that is not one
// exploration's shards is refused (exit 2), a missing shard makes it bounded.
TEST(CliUsage, MergeOfShards) {
  TempDir d;
  const std::string scn = Scn("huge-4k-misaligned.scn");  // 72 schedules, PASS in each shard
  auto shard = [&](const std::string& kn, const std::string& file, const std::string& scenario) {
    const Result r = RunTool({"run", "--jobs=1", "--format=json", "--shard=" + kn, scenario});
    EXPECT_EQ(r.status, 0) << r;
    return d.Write(file, r.out);
  };
  const fs::path s0 = shard("0/2", "s0.json", scn), s1 = shard("1/2", "s1.json", scn);
  // One shard alone covers part of the space: its verdict says bounded (spec 1.1).
  const Result one = RunTool({"run", "--jobs=1", "--shard=0/2", scn});
  EXPECT_EQ(one.status, 0) << one;
  EXPECT_NE(one.LastLine().find(" bounded"), std::string::npos) << one.LastLine();
  const Result whole = RunTool({"run", "--jobs=1", scn});
  ASSERT_EQ(whole.status, 0) << whole;
  EXPECT_NE(whole.LastLine().find(" complete"), std::string::npos) << whole.LastLine();
  const Result merged = RunTool({"merge", s0.string(), s1.string()});
  EXPECT_EQ(merged.status, 0) << merged;
  EXPECT_EQ(merged.LastLine(), whole.LastLine()) << merged << "\n" << whole;

  const Result twice = RunTool({"merge", s0.string(), s0.string()});
  EXPECT_EQ(twice.status, 2) << twice;
  EXPECT_NE(twice.err.find("given twice"), std::string::npos) << twice;

  const Result half = RunTool({"merge", s0.string()});
  EXPECT_EQ(half.status, 0) << half;
  EXPECT_NE(half.out.find("missing: 1"), std::string::npos) << half;
  EXPECT_NE(half.LastLine().find(" bounded"), std::string::npos) << half;

  const fs::path other = shard("1/2", "other.json", Scn("fault-vs-revoke.scn"));
  const Result mixed = RunTool({"merge", s0.string(), other.string()});
  EXPECT_EQ(mixed.status, 2) << mixed;
  EXPECT_NE(mixed.err.find("not shards of one exploration"), std::string::npos) << mixed;

  // A shard count no run can produce (it would size the merge's bookkeeping).
  const std::string text = ReadAll(s0);
  const size_t at = text.find("\"0/2\"");
  ASSERT_NE(at, std::string::npos) << text;
  for (const char* bad : {"\"0/2000000000\"", "\"0/0\"", "\"0/-5\""}) {
    std::string t = text;
    t.replace(at, 5, bad);
    const Result r = RunTool({"merge", d.Write("bad-n.json", t).string()});
    EXPECT_EQ(r.status, 2) << bad << "\n" << r;
  }
}

// Adds a lock step (an execution with these lock-class edges) to a JSON report.
std::string WithLockStep(std::string report, const std::string& edges) {
  const std::string key = "\"lock_steps\": [";
  const size_t at = report.find(key);
  if (at == std::string::npos) return report;
  const size_t in = at + key.size();
  const bool empty = report[in] == ']';
  report.insert(in, "{\"schedule\": \"1\", \"steps\": 3, \"edges\": " + edges + "}" + (empty ? "" : ", "));
  return report;
}

// Lockdep across shards: a lock-order cycle whose two halves come from
// schedules of different shards is found by `merge`, as an unsharded run finds
// it across schedules.
TEST(CliUsage, MergeFindsLockOrderCyclesAcrossShards) {
  TempDir d;
  const std::string scn = Scn("huge-4k-misaligned.scn");  // 72 schedules, PASS in each shard
  std::vector<std::string> reports;
  for (const char* kn : {"0/2", "1/2"}) {
    const Result r = RunTool({"run", "--jobs=1", "--format=json", std::string("--shard=") + kn, scn});
    ASSERT_EQ(r.status, 0) << r;
    reports.push_back(r.out);
  }
  // The real reports carry memory_lock -> dma_resv (the fault path).
  std::string compact = reports[0];
  compact.erase(std::remove_if(compact.begin(), compact.end(), [](char c) { return std::isspace(c); }),
                compact.end());
  ASSERT_NE(compact.find("[\"memory_lock\",\"dma_resv\"]"), std::string::npos) << reports[0];
  // Two lock classes this scenario never nests: shard 0 saw one order in one of
  // its schedules, shard 1 the other order in one of its schedules.
  const fs::path s0 = d.Write("s0.json", WithLockStep(reports[0], "[[\"dev_set->lock\", \"i_mmap_rwsem\"]]"));
  const fs::path s1 = d.Write("s1.json", WithLockStep(reports[1], "[[\"i_mmap_rwsem\", \"dev_set->lock\"]]"));
  for (const fs::path& one : {s0, s1}) {  // each shard alone is clean
    const Result alone = RunTool({"merge", one.string()});
    EXPECT_EQ(alone.status, 0) << alone;
    EXPECT_EQ(alone.LastLine().find("reason=lock-order"), std::string::npos) << alone;
  }
  const Result merged = RunTool({"merge", s0.string(), s1.string()});
  EXPECT_EQ(merged.status, 1) << merged;
  EXPECT_NE(merged.LastLine().find("reason=lock-order"), std::string::npos) << merged;
  EXPECT_NE(merged.out.find("i_mmap_rwsem is taken before dev_set->lock here, but after it in an earlier schedule"),
            std::string::npos)
      << merged;
  // The order the reports are given in does not matter.
  const Result swapped = RunTool({"merge", s1.string(), s0.string()});
  EXPECT_EQ(swapped.out, merged.out) << swapped;
  // A lock class that does not exist is a bad report.
  const fs::path bad = d.Write("bad.json", WithLockStep(reports[1], "[[\"dma_resv\", \"big_kernel_lock\"]]"));
  const Result b = RunTool({"merge", s0.string(), bad.string()});
  EXPECT_EQ(b.status, 2) << b;
  EXPECT_NE(b.err.find("bad lock edge"), std::string::npos) << b;
}

TEST(CliUsage, MaxSchedulesIsAnAliasOfSchedules) {
  const std::string f = Scn("three-thread-fault-mem-pm.scn");
  const Result a = RunTool({"run", "--jobs=1", "--schedules=7", f});
  const Result b = RunTool({"run", "--jobs=1", "--max-schedules=7", f});
  EXPECT_EQ(a.status, b.status) << b;
  EXPECT_EQ(a.out, b.out) << b;
  EXPECT_NE(b.LastLine().find("schedules=7 bounded"), std::string::npos) << b;
  ExpectUsage({"run", "--schedules=7", "--max_schedules=8", f}, "disagree");
}

TEST(CliUsage, HelpExitsZero) {
  for (const char* h : {"--help", "-h", "help"}) {
    const Result r = RunTool({h});
    EXPECT_EQ(r.status, 0) << h << "\n" << r;
    EXPECT_NE(r.out.find("vfiosim run [options] FILE"), std::string::npos) << r;
    EXPECT_NE(r.out.find("--max_steps"), std::string::npos) << r;  // the flags, too
  }
  // --helpfull: every command with all the flags it takes, no source paths.
  const Result full = RunTool({"--helpfull"});
  EXPECT_EQ(full.status, 0) << full;
  for (const char* want : {"Options of run:", "Options of diff:", "Options of stress:", "Options of kconfig:",
                           "--stress_threads", "--max_steps", "--kconfig_format"})
    EXPECT_NE(full.out.find(want), std::string::npos) << want << "\n" << full;
  EXPECT_EQ(full.out.find(".cc"), std::string::npos) << full;
  const Result r = RunTool({"run", "--help", Scn("fault-vs-revoke.scn")});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out.find("\nverdict: PASS fault-vs-revoke"), std::string::npos) << r;  // help, not a run
  EXPECT_NE(r.out.find("Usage:"), std::string::npos) << r;
}

TEST(CliUsage, HelpSubstringListsMatchingFlagsAndExitsZero) {
  for (const char* h : {"--help=max_steps", "--helpmatch=max_steps"}) {
    const Result r = RunTool({h});
    EXPECT_EQ(r.status, 0) << h << "\n" << r;
    EXPECT_NE(r.out.find("--max_steps"), std::string::npos) << r;
    EXPECT_EQ(r.out.find("--pct_depth"), std::string::npos) << r;  // only the matching flags
  }
  const Result none = RunTool({"--help=no_such_flag_anywhere"});
  EXPECT_EQ(none.status, 0) << none;
  EXPECT_NE(none.out.find("No flags matched"), std::string::npos) << none;
}

// ---------------------------------------------------------------- verdicts

TEST(CliRun, GoodScenarioPasses) {
  const Result r = RunTool({"run", "--jobs=2", Scn("fault-vs-revoke.scn")});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.LastLine().rfind("verdict: PASS", 0), 0u) << r;
}

TEST(CliRun, BugFails) {
  const Result r = RunTool({"run", "--jobs=2", "--bug=no-zap-on-revoke", Scn("fault-vs-revoke.scn")});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_EQ(r.LastLine().rfind("verdict: FAIL", 0), 0u) << r;
  // The failure's schedule id replays to a failure.
  const size_t at = r.out.find("--replay=");
  ASSERT_NE(at, std::string::npos) << r;
  std::string id = r.out.substr(at + 9);
  id = id.substr(0, id.find_first_of(") \n"));
  const Result rp = RunTool({"run", "--bug=no-zap-on-revoke", "--replay=" + id, Scn("fault-vs-revoke.scn")});
  EXPECT_EQ(rp.status, 1) << rp;
}

// ---------------------------------------------------------------- resource limits

// A mapping faulted in 4K pages only (no huge pfnmaps without THP).
const std::string k4kHeader =
    "scenario small-pages\n"
    "kconfig TRANSPARENT_HUGEPAGE=n\n"
    "device gpu\n"
    "  bar 0 size=2M\n"
    "end\n"
    "setup\n"
    "  p = process\n"
    "  fd = open gpu in p\n"
    "  va = mmap p fd bar=0\n"
    "end\n";

TEST(CliLimits, MaxStepsCutsLongSchedules) {
  TempDir d;
  const fs::path f = d.Write("long.scn", k4kHeader +
                                             "thread cpu\n  t = touch p va len=32K\nend\n"
                                             "thread admin\n  c = command fd mem=0\nend\n");
  // A fault takes more than 2 steps without progress: every schedule is cut,
  // and a cut schedule is a FAIL (spec 1.1), with a witness that replays to it.
  const Result r = RunTool({"run", "--jobs=1", "--max_steps=2", f.string()});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_NE(r.out.find("cut by --max-steps"), std::string::npos) << r;
  EXPECT_NE(r.LastLine().find(" bounded reason=max-steps"), std::string::npos) << r;
  const size_t w = r.out.find("Failing schedule for max-steps: schedule=");
  ASSERT_NE(w, std::string::npos) << r;
  EXPECT_NE(r.out.find("\n=> max-steps: ", w), std::string::npos) << r;
  const size_t at = r.out.find("--replay=", w);
  ASSERT_NE(at, std::string::npos) << r;
  const std::string id = r.out.substr(at + 9, r.out.find_first_of(") \n", at) - at - 9);
  const Result rp = RunTool({"run", "--jobs=1", "--max_steps=2", "--replay=" + id, f.string()});
  EXPECT_EQ(rp.status, 1) << rp;
  EXPECT_NE(rp.out.find("\n=> max-steps: "), std::string::npos) << rp;
  // --keep-going cuts every schedule and still says so.
  const Result all = RunTool({"run", "--jobs=1", "--keep-going", "--max_steps=2", f.string()});
  EXPECT_EQ(all.status, 1) << all;
  EXPECT_NE(all.LastLine().find(" bounded reason=max-steps"), std::string::npos) << all;
  // Without the bound the same scenario explores completely.
  const Result full = RunTool({"run", "--jobs=1", f.string()});
  EXPECT_EQ(full.out.find("cut by --max-steps"), std::string::npos) << full;
  EXPECT_NE(full.LastLine().find(" complete"), std::string::npos) << full;
  // `--max-steps` is accepted for `--max_steps`; 0 is refused.
  EXPECT_EQ(RunTool({"run", "--jobs=1", "--max-steps=2", f.string()}).out, r.out);
  ExpectUsage({"run", "--max_steps=0", f.string()}, "--max_steps");
}

TEST(CliLimits, SchedulesBound) {
  const Result r = RunTool({"run", "--jobs=2", "--schedules=10", Scn("three-thread-fault-mem-pm.scn")});
  EXPECT_TRUE(r.status == 0 || r.status == 1) << r;
  EXPECT_NE(r.LastLine().find(" schedules=10 bounded"), std::string::npos) << r;
  const Result rnd =
      RunTool({"run", "--jobs=2", "--explore=random", "--schedules=25", Scn("three-thread-fault-mem-pm.scn")});
  EXPECT_NE(rnd.LastLine().find(" schedules=25 bounded"), std::string::npos) << rnd;
}

// Four threads of four ops each: far too many schedules to finish.
std::string BigSpace() {
  std::string t = "scenario big-space\ndevice gpu\n  bar 0 size=2M\nend\n"
                  "setup\n  p = process\n  fd = open gpu in p\n  va = mmap p fd bar=0\nend\n";
  for (int i = 0; i < 4; ++i) {
    t += "thread t" + std::to_string(i) + "\n";
    t += "  a = read p va+" + std::to_string(i * 4096) + "\n";
    t += "  b = command fd mem=" + std::to_string(i % 2) + "\n";
    t += "  c = write p va 1\n";
    t += "  d = power fd " + std::string(i % 2 ? "d0" : "d3") + "\n";
    t += "end\n";
  }
  return t;
}

TEST(CliLimits, TimeoutStopsExploration) {
  TempDir d;
  const fs::path f = d.Write("big.scn", BigSpace());
  for (const char* strategy : {"exhaustive", "random"}) {
    const Result r = RunTool({"run", "--jobs=2", "--timeout=1", std::string("--explore=") + strategy,
                          "--schedules=" + std::string(strategy[0] == 'r' ? "1000000" : "0"), f.string()},
                         120);
    EXPECT_FALSE(r.timed_out) << r;
    EXPECT_TRUE(r.status == 0 || r.status == 1) << r;
    EXPECT_NE(r.out.find("stopped by --timeout"), std::string::npos) << strategy << "\n" << r;
    EXPECT_NE(r.LastLine().find(" bounded"), std::string::npos) << r;
  }
}

TEST(CliLimits, HugeScheduleBoundRunsInBoundedMemory) {
  // random/pct run --schedules in windows merged in order, so a bound of 1e11
  // costs no memory up front: --timeout stops the run after many schedules,
  // and the verdict says so.
  const Result r = RunTool({"run", "--jobs=2", "--explore=random", "--schedules=100000000000", "--timeout=1",
                            Scn("fault-vs-revoke.scn")},
                           120);
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_NE(r.out.find("stopped by --timeout"), std::string::npos) << r;
  EXPECT_NE(r.out.find(" bounded"), std::string::npos) << r;
  // More than the single schedule the up-front allocation left time for.
  const size_t at = r.out.find("schedules=");
  ASSERT_NE(at, std::string::npos) << r;
  EXPECT_GT(std::stoull(r.out.substr(at + 10)), 10u) << r;
}

// --max_preemptions cuts the exhaustive space: the run must not call itself
// complete when the bound kept a schedule out, and must when it did not.
TEST(CliLimits, PreemptionBoundIsReportedAsBounded) {
  const Result cut = RunTool({"run", "--jobs=1", "--max_preemptions=0", Scn("three-thread-fault-mem-pm.scn")});
  EXPECT_LE(cut.status, 1) << cut;
  EXPECT_NE(cut.out.find("bounded by --max-preemptions"), std::string::npos) << cut;
  EXPECT_NE(cut.out.find("verdict: "), std::string::npos) << cut;
  EXPECT_EQ(cut.out.find(" complete"), std::string::npos) << cut;
  // A bound no schedule reaches cuts nothing.
  const Result loose = RunTool({"run", "--jobs=1", "--max_preemptions=1000", Scn("fault-vs-revoke.scn")});
  EXPECT_EQ(loose.status, 0) << loose;
  EXPECT_NE(loose.out.find(" complete"), std::string::npos) << loose;
  EXPECT_EQ(loose.out.find("bounded"), std::string::npos) << loose;
}

TEST(CliLimits, HugeBarsAreHandled) {
  TempDir d;
  // 8E BARs (2^63 bytes): too big to map in any user address space.
  const fs::path f = d.Write("8e.scn",
                             "scenario eight-exa\n"
                             "device gpu\n  bar 0 size=8589934592G mem64\nend\n"
                             "device gpu2\n  bar 0 size=4K\nend\n"
                             "setup\n  p = process\n  fd = open gpu in p\n  va = mmap p fd bar=0\n"
                             "  fd2 = open gpu2 in p\n  va2 = mmap p fd2 bar=0\nend\n"
                             "thread a\n  r = read p va\n  s = read p va2\nend\n"
                             "expect always a.r == SIGSEGV && a.s == 0\n");
  Result r = RunTool({"run", "--jobs=1", f.string()});
  EXPECT_EQ(r.status, 0) << r;
  // A window of an 8E BAR maps and reads; offsets past VFIO_PCI_OFFSET_SHIFT
  // (1T: the region index lives in the bits above) cannot be mapped.
  const fs::path g = d.Write("8e-window.scn",
                             "scenario eight-exa-window\n"
                             "device gpu\n  bar 0 size=8589934592G mem64\nend\n"
                             "setup\n  p = process\n  fd = open gpu in p\n"
                             "  va = mmap p fd bar=0 offset=512G len=2M\n"
                             "  far = mmap p fd bar=0 offset=4611686018427387904 len=2M\nend\n"
                             "thread a\n  w = write p va+4K 7\n  r = read p va+4K\n  s = read p far\nend\n"
                             "expect always a.r == 7 && a.s == SIGSEGV\n");
  r = RunTool({"run", "--jobs=1", g.string()});
  EXPECT_EQ(r.status, 0) << r;
}

// A scenario whose setup (left open) builds ~64 MiB of page tables: 4K leaves
// only, one read every 2M of a 1G BAR (a last-level table each, ~2 MiB in all),
// then 48 forks that copy them.
std::string PageTableHeavySetup(const std::string& name) {
  std::string t = "scenario " + name +
                  "\nkconfig TRANSPARENT_HUGEPAGE=n\n"
                  "device gpu\n  bar 0 size=1G\nend\n"
                  "setup\n  p = process\n  fd = open gpu in p\n  va = mmap p fd bar=0\n";
  for (int i = 0; i < 512; ++i) t += "  r" + std::to_string(i) + " = read p va+" + std::to_string(i * 2) + "M\n";
  for (int i = 0; i < 48; ++i) t += "  f" + std::to_string(i) + " = fork p\n";
  return t;
}

TEST(CliLimits, PageTableBudget) {
  // 4K leaves only. Reading one page every 2M of a 1G BAR costs a last-level
  // table per read (512 tables, ~2 MiB); each fork copies all of them. The
  // Machine's page-table budget (64 MiB) runs out after ~30 forks: fork() and
  // a fault needing a new table then fail with ENOMEM, and nothing crashes or
  // grows without bound.
  std::string t = PageTableHeavySetup("pt-budget");
  t += "  q = process\n  vq = mmap q fd bar=0\n  last = read q vq+6M\nend\n";
  t += "expect always r511 == 0 && f0 != ENOMEM && f47 == ENOMEM && last == ENOMEM\n";
  TempDir d;
  const fs::path f = d.Write("budget.scn", t);
  const Result r = RunTool({"run", "--jobs=1", f.string()});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.LastLine().rfind("verdict: PASS", 0), 0u) << r;
}


// Out of memory inside the model (a coroutine allocating page tables) is a
// clean exit 2 with a message, not std::terminate: the exception travels up the
// awaiting coroutines to the driver and out of the explorer.
TEST(CliLimits, OutOfMemoryInTheModelExitsCleanly) {
  if (kSanitized) GTEST_SKIP() << "RLIMIT_AS cannot be used under ASan/TSan";
  // ~64 MiB of page tables (as in PageTableBudget) in 80 MB of address space.
  const std::string t = PageTableHeavySetup("pt-oom") + "end\n";
  TempDir d;
  const fs::path f = d.Write("oom.scn", t);
  const Result ok = RunTool({"run", "--jobs=1", f.string()});
  ASSERT_EQ(ok.status, 0) << ok;  // fits without the limit (it needs ~75 MB; vfiosim alone < 20 MB)
  const Result r = RunTool({"run", "--jobs=1", f.string()}, 120, uint64_t{48} << 20);
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_NE(r.err.find("out of memory"), std::string::npos) << r;
  // The same in TBB workers: 256 random schedules are 4 chunks for 2 jobs.
  // (Found a crash: coroutine frames freed during the unwinding went to a
  // free list that allocated, inside a noexcept destructor.)
  const Result j =
      RunTool({"run", "--jobs=2", "--explore=random", "--schedules=256", f.string()}, 120, uint64_t{64} << 20);
  EXPECT_EQ(j.status, 2) << j;
  EXPECT_NE(j.err.find("out of memory"), std::string::npos) << j;
}

// --max_steps counts the steps without progress (a statement finished, an
// access reached device memory), so a long `touch` is never cut by its size
// alone: a gigabyte in 4K pages (~1.8 M steps) runs to its end, and a planted
// bug behind a 64M touch is found (it was `PASS ... schedules=0 bounded`).
TEST(CliLimits, TouchIsNotCutBySizeAlone) {
  TempDir d;
  const std::string head = "scenario big-touch\nkconfig TRANSPARENT_HUGEPAGE=n\n"
                           "device gpu\n  bar 0 size=1G mem64\nend\n"
                           "setup\n  p = process\n  fd = open gpu in p\n  va = mmap p fd bar=0\nend\n";
  // 256M (65,536 pages, still far past --max_steps) under the sanitizers.
  const std::string len = kSanitized ? "256M" : "1G";
  const fs::path gig =
      d.Write("gig.scn", head + "thread a\n  t = touch p va len=" + len + "\nend\nexpect always a.t == ok\n");
  const Result r = RunTool({"run", "--jobs=1", "--max_steps=20000", gig.string()}, 120);
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out.find("cut by --max-steps"), std::string::npos) << r;
  EXPECT_NE(r.LastLine().find("verdict: PASS big-touch schedules=1 complete"), std::string::npos) << r;

  const fs::path bug = d.Write("bug.scn", head + "thread a\n  t = touch p va len=64M\nend\n"
                                                 "thread admin\n  c = command fd mem=0\nend\n");
  const Result b = RunTool({"run", "--jobs=2", "--bug=no-zap-on-revoke", bug.string()}, 120);
  EXPECT_EQ(b.status, 1) << b.LastLine();
  EXPECT_NE(b.LastLine().find("verdict: FAIL big-touch schedules=1 bounded reason=stale-pte"), std::string::npos)
      << b.LastLine();
  EXPECT_EQ(b.out.find("cut by --max-steps"), std::string::npos);
}

TEST(CliLimits, WrappingRangesAreRefused) {
  TempDir d;
  const fs::path f = d.Write("wrap.scn",
                             "scenario wrap\n"
                             "device gpu\n  bar 0 size=2M mem64\nend\n"
                             "setup\n  p = process\n  fd = open gpu in p\n  va = mmap p fd bar=0\nend\n"
                             "thread a\n"
                             "  m = iommu-map p va len=0xffffffffff000000\n"
                             "  t = touch p va len=0xffffffffffffff00\n"
                             "  u = munmap p va len=0xfffffffffffff001\n"
                             "end\n"
                             "expect always a.m == EINVAL && a.t == SIGSEGV && a.u == EINVAL\n");
  const Result r = RunTool({"run", "--jobs=1", f.string()});
  EXPECT_EQ(r.status, 0) << r;
}

// ---------------------------------------------------------------- determinism

// The schedule id after "--replay=" in the block that starts at `header`.
std::string ReplayIdAfter(const std::string& out, const std::string& header) {
  const size_t h = out.find(header);
  if (h == std::string::npos) return "";
  const size_t at = out.find("--replay=", h);
  if (at == std::string::npos) return "";
  return out.substr(at + 9, out.find_first_of(") \n", at) - at - 9);
}

// The trace table and "=> " lines of the block that starts at `header`.
std::string TableAfter(const std::string& out, const std::string& header) {
  const size_t h = out.find(header);
  if (h == std::string::npos) return "";
  const size_t start = out.find('\n', h) + 1;
  size_t end = start;
  for (size_t nl; (nl = out.find('\n', end)) != std::string::npos;) {
    const std::string line = out.substr(end, nl - end);
    if (line.rfind("verdict: ", 0) == 0 || line.rfind("outcome: ", 0) == 0 || line.rfind("Failing schedule", 0) == 0)
      break;
    end = nl + 1;
  }
  return out.substr(start, end - start);
}

// Every FAIL has a witness (spec 1.1), an expectation's too: the schedule where
// an `always` failed, any schedule for a `sometimes` that never held; it is
// printed with its trace, written by --trace, and its replay fails the same way.
TEST(CliRun, ExpectationFailuresHaveReplayableWitnesses) {
  TempDir d;
  std::string base;
  {
    std::ifstream in(Scn("fault-vs-revoke.scn"));
    std::stringstream ss;
    ss << in.rdbuf();
    base = ss.str();
    base = base.substr(0, base.find("expect "));
  }
  const int line = static_cast<int>(std::count(base.begin(), base.end(), '\n')) + 1;
  struct Case {
    std::string expect;
    std::string says;
  };
  for (const Case& c : {Case{"expect always cpu.r == SIGBUS", "`always cpu.r == SIGBUS` is false"},
                        Case{"expect never cpu.r == SIGBUS", "`never cpu.r == SIGBUS` is true"},
                        Case{"expect sometimes cpu.r == 7", "`sometimes cpu.r == 7` is false"}}) {
    SCOPED_TRACE(c.expect);
    const fs::path f = d.Write("w.scn", base + c.expect + "\n");
    const fs::path trace = d.path() / "w.json";
    for (const char* mode : {"--keep-going", "--keep-going=false"}) {
      const Result r = RunTool({"run", "--jobs=2", mode, "--trace=" + trace.string(), f.string()});
      EXPECT_EQ(r.status, 1) << r;
      const std::string reason = "expect:" + std::to_string(line);
      EXPECT_NE(r.LastLine().find("reason=" + reason), std::string::npos) << r;
      const std::string header = "Failing schedule for " + reason + ": schedule=";
      const std::string id = ReplayIdAfter(r.out, header);
      ASSERT_FALSE(id.empty()) << r;
      const std::string table = TableAfter(r.out, header);
      EXPECT_NE(table.find("=> " + reason + ": " + c.says + " in this schedule"), std::string::npos) << r;
      EXPECT_TRUE(fs::exists(trace) && fs::file_size(trace) > 100) << r;
      fs::remove(trace);
      const Result rp = RunTool({"run", "--replay=" + id, f.string()});
      EXPECT_EQ(rp.status, 1) << rp;
      EXPECT_EQ(TableAfter(rp.out, "Replay of schedule="), table) << rp << "\n" << r;
    }
  }
}

// Exhaustive runs stop at the first failure in exploration order (issue 18):
// the same output for any --jobs, `bounded` and a line that says so;
// --keep-going explores the whole space as before.
TEST(CliRun, StopsAtTheFirstFailureDeterministically) {
  const std::string f = Scn("three-thread-fault-mem-pm.scn");
  for (const char* bug : {"--bug=fault-without-lock", "--bug=zap-before-lock", "--bug=no-zap-on-revoke"}) {
    for (const char* red : {"--reduction=sleep", "--reduction=dpor"}) {
      SCOPED_TRACE(std::string(bug) + " " + red);
      const Result a = RunTool({"run", "--jobs=1", red, bug, f});
      const Result b = RunTool({"run", "--jobs=2", red, bug, f});
      const Result c = RunTool({"run", "--jobs=4", red, bug, f});
      ASSERT_EQ(a.status, 1) << a;
      EXPECT_TRUE(a.out == b.out) << a << "\n" << b;
      EXPECT_TRUE(a.out == c.out) << a << "\n" << c;
      EXPECT_NE(a.out.find("\nStopped at the first failure in exploration order"), std::string::npos) << a;
      EXPECT_NE(a.LastLine().find(" bounded reason="), std::string::npos) << a;
      if (std::string(bug) != "--bug=fault-without-lock" || std::string(red) != "--reduction=sleep") continue;
      // The whole space of the bug's own scenario (three-thread-fault-mem-pm's is
      // minutes under the sanitizers).
      const Result all = RunTool({"run", "--jobs=2", "--keep-going", red, bug, Scn("bugs/fault-without-lock.scn")});
      EXPECT_EQ(all.status, 1) << all;
      EXPECT_EQ(all.out.find("Stopped at"), std::string::npos) << all;
      EXPECT_NE(all.LastLine().find(" complete reason="), std::string::npos) << all;
    }
  }
  // A PASS explores everything: the same with or without --keep-going.
  const Result pass = RunTool({"run", "--jobs=2", Scn("fault-vs-revoke.scn")});
  EXPECT_EQ(pass.out, RunTool({"run", "--jobs=2", "--keep-going", Scn("fault-vs-revoke.scn")}).out);
}

// A run that explores no schedule is never a PASS: a shard with no part of a
// small space.
TEST(CliRun, NoScheduleIsNoPass) {
  const Result r = RunTool({"run", "--jobs=1", "--shard=99/100", Scn("fault-vs-revoke.scn")});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_NE(r.LastLine().find("schedules=0 bounded reason=no-schedules"), std::string::npos) << r;
}

std::vector<std::string> TestOptions(const fs::path& scn) {
  std::ifstream in(scn);
  std::string line;
  const std::string key = "test-options:";
  while (std::getline(in, line)) {
    const size_t h = line.find_first_not_of(" \t");
    if (h == std::string::npos || line[h] != '#') continue;
    const size_t k = line.find(key);
    if (k == std::string::npos || line.find_first_not_of(" \t#", h) != k) continue;
    std::istringstream ss(line.substr(k + key.size()));
    std::vector<std::string> opts;
    for (std::string o; ss >> o;) opts.push_back(o);
    return opts;
  }
  return {};
}

TEST(Determinism, AllScenarios) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(Scenarios()))
    if (e.is_regular_file() && e.path().extension() == ".scn") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << "no scenario under " << Scenarios();
  int compared = 0, replayed = 0;
  // Every scenario, and every bug scenario once more with its mutant (so that
  // there are failing schedules to replay).
  std::vector<std::pair<fs::path, std::string>> runs;
  for (const fs::path& f : files) {
    runs.push_back({f, ""});
    if (f.parent_path().filename() == "bugs") runs.push_back({f, "--bug=" + f.stem().string()});
  }
  for (const auto& [f, bug] : runs) {
    SCOPED_TRACE(f.string() + " " + bug);
    // --schedules=200 keeps the big ones fast (the first 200 schedules in DFS
    // order are themselves deterministic), 40 under the sanitizers, where the
    // whole suite must fit the test's 300 s on a busy machine; a scenario's own
    // test-options first.
    std::vector<std::string> base{"run"};
    for (const std::string& o : TestOptions(f)) base.push_back(o);
    base.push_back(kSanitized ? "--schedules=40" : "--schedules=200");
    if (!bug.empty()) base.push_back(bug);
    auto run = [&](const char* jobs) {
      std::vector<std::string> a = base;
      a.push_back(jobs);
      a.push_back(f.string());
      return RunTool(a);
    };
    const Result a = run("--jobs=2"), b = run("--jobs=2"), c = run("--jobs=1");
    ASSERT_LE(a.status, 2) << a;  // never a crash
    EXPECT_EQ(a.status, b.status) << "exit status differs between two runs";
    EXPECT_EQ(a.status, c.status) << "exit status differs between --jobs=2 and --jobs=1";
    EXPECT_TRUE(a.out == b.out) << "stdout differs between two runs with --jobs=2:\n" << a << "\n" << b;
    EXPECT_TRUE(a.out == c.out) << "stdout differs between --jobs=2 and --jobs=1:\n" << a << "\n" << c;
    ++compared;
    // A reported failing schedule replays to the same trace, step for step.
    const size_t fs_at = a.out.find("\nFailing schedule: ");
    if (fs_at == std::string::npos) continue;
    const size_t id_at = a.out.find("--replay=", fs_at);
    ASSERT_NE(id_at, std::string::npos) << a;
    const std::string id = a.out.substr(id_at + 9, a.out.find_first_of(";) \n", id_at) - id_at - 9);
    std::vector<std::string> r = base;
    r.push_back("--replay=" + id);
    r.push_back(f.string());
    const Result rp = RunTool(r);
    auto table = [](const std::string& out, const char* header) {
      const size_t h = out.find(header);
      if (h == std::string::npos) return std::string();
      const size_t start = out.find('\n', h + 1) + 1;
      const size_t end = out.find("\n=> ", start);
      return out.substr(start, end == std::string::npos ? std::string::npos : out.find('\n', end + 1) - start);
    };
    const std::string want = table(a.out, "\nFailing schedule: "), got = table(rp.out, "Replay of schedule=");
    EXPECT_FALSE(want.empty()) << a;
    EXPECT_TRUE(want == got) << "--replay=" << id << " gives another trace:\n" << rp;
    ++replayed;
  }
  std::printf("compared %d scenarios, replayed %d reported schedules\n", compared, replayed);
  EXPECT_GT(replayed, 0);
}

// What a run found, independent of how many schedules it took: the distinct
// outcomes, the violated invariants, and the verdict word.
struct Findings {
  std::set<std::string> outcomes, violations;
  std::string verdict;
  bool complete = false;
  bool operator==(const Findings& o) const {
    return outcomes == o.outcomes && violations == o.violations && verdict == o.verdict;
  }
};

std::ostream& operator<<(std::ostream& os, const Findings& f) {
  os << f.verdict << (f.complete ? " complete" : " bounded") << "\n  outcomes:";
  for (const std::string& o : f.outcomes) os << "\n    " << o;
  os << "\n  violations:";
  for (const std::string& v : f.violations) os << " " << v;
  return os;
}

Findings ParseFindings(const Result& r) {
  Findings f;
  std::istringstream in(r.out);
  bool in_outcomes = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Outcomes (", 0) == 0) {
      in_outcomes = true;
      continue;
    }
    if (in_outcomes) {
      // "       6  cpu.r=SIGBUS admin.c=ok"
      const size_t digits = line.find_first_not_of(' ');
      const size_t gap = line.find("  ", digits);
      if (digits != std::string::npos && gap != std::string::npos && std::isdigit(line[digits])) {
        f.outcomes.insert(line.substr(gap + 2));
        continue;
      }
      in_outcomes = false;
    }
    if (line.rfind("Violation ", 0) == 0) f.violations.insert(line.substr(10, line.find(' ', 10) - 10));
    if (line.rfind("verdict: ", 0) == 0) {
      f.verdict = line.substr(9, 4);
      f.complete = line.find(" complete") != std::string::npos;
    }
  }
  return f;
}

// Sleep sets, DPOR and the stateful search find what exploring every interleaving finds: the same
// outcomes, the same violated invariants, the same verdict. On every scenario
// small enough to explore without reduction (and every mutant on its scenario).
TEST(Reduction, ReductionsAgreeWithNone) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(Scenarios()))
    if (e.is_regular_file() && e.path().extension() == ".scn") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  int compared = 0, skipped = 0;
  for (const fs::path& f : files) {
    std::vector<std::vector<std::string>> variants{{}};
    if (f.parent_path().filename() == "bugs") variants.push_back({"--bug=" + f.stem().string()});
    for (const std::vector<std::string>& extra : variants) {
      SCOPED_TRACE(f.string() + (extra.empty() ? "" : " " + extra[0]));
      auto run = [&](const char* reduction, const char* bound) {
        std::vector<std::string> a{"run", "--jobs=1", "--keep-going", reduction, bound};
        for (const std::string& o : TestOptions(f)) a.push_back(o);
        a.insert(a.end(), extra.begin(), extra.end());
        a.push_back(f.string());
        return RunTool(a);
      };
      const Result none = run("--reduction=none", "--schedules=3000");
      ASSERT_LE(none.status, 2) << none;
      const Findings all = ParseFindings(none);
      if (none.status == 2 || !all.complete) {
        ++skipped;
        continue;
      }
      for (const char* reduction : {"--reduction=sleep", "--reduction=dpor", "--reduction=state"}) {
        const Result r = run(reduction, "--schedules=0");
        const Findings got = ParseFindings(r);
        EXPECT_TRUE(got == all) << reduction << " finds\n" << got << "\nbut --reduction=none finds\n" << all;
      }
      ++compared;
    }
  }
  std::printf("compared %d scenario runs, %d too large for --reduction=none\n", compared, skipped);
  EXPECT_GT(compared, 20);
}

// random and PCT: each schedule is seeded from (--seed, its index), so their
// output is as reproducible as exhaustive search's, and independent of --jobs.
TEST(Determinism, SampledStrategies) {
  for (const std::string rel : {"three-thread-fault-mem-pm.scn", "fault-vs-revoke.scn"}) {
    for (const std::string strategy : {"random", "pct"}) {
      SCOPED_TRACE(rel + " " + strategy);
      for (const bool keep_going : {true, false}) {
        SCOPED_TRACE(keep_going ? "--keep-going" : "stopping at the first failure");
        std::vector<std::string> base{"run", "--explore=" + strategy, "--schedules=300", "--seed=7",
                                      "--bug=no-zap-on-revoke"};
        if (keep_going) base.push_back("--keep-going");
        auto run = [&](const char* jobs) {
          std::vector<std::string> a = base;
          a.push_back(jobs);
          a.push_back(Scn(rel));
          return RunTool(a);
        };
        const Result a = run("--jobs=2"), b = run("--jobs=2"), c = run("--jobs=1");
        ASSERT_EQ(a.status, 1) << a;
        EXPECT_TRUE(a.out == b.out) << a << "\n" << b;
        EXPECT_TRUE(a.out == c.out) << a << "\n" << c;
        if (keep_going) {
          EXPECT_NE(a.LastLine().find(" schedules=300 bounded"), std::string::npos) << a;
        } else {
          EXPECT_EQ(a.LastLine().find(" schedules=300 bounded"), std::string::npos) << a;
          EXPECT_NE(a.out.find("Stopped at the first failure"), std::string::npos) << a;
        }
      }
    }
  }
}

}  // namespace
