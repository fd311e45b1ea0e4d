// The scenario validator: names, scopes, handle kinds, devices and BARs are
// checked before anything runs, each error at its `line:col`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "sim/scenario/ast.h"
#include "sim/scenario/diag.h"
#include "sim/scenario/parser.h"
#include "sim/scenario/validator.h"
#include "tests/tool_runner.h"

namespace vfiosim::scn {
namespace {

using ::testing::HasSubstr;

// Lines 1-11; a test's setup statements start at line 12.
constexpr char kHead[] =
    "scenario t\n"                  // 1
    "device gpu\n"                  // 2
    "  bar 0 size=2M mem64\n"       // 3
    "  bar 4 size=256 io\n"         // 4
    "end\n"                         // 5
    "setup\n"                       // 6
    "  p = process\n"               // 7
    "  fd = open gpu in p\n"        // 8
    "  va = mmap p fd bar=0\n"      // 9
    "  buf = export fd bar=0\n"     // 10
    "  att = attach buf dynamic\n"  // 11
    ;

// kHead + `setup_more` (from line 12) + "end" + `rest`.
std::string With(std::string_view setup_more, std::string_view rest = "") {
  std::string s = kHead;
  s += setup_more;
  if (!setup_more.empty() && setup_more.back() != '\n') s += "\n";
  s += "end\n";
  s += rest;
  return s;
}

std::vector<Diagnostic> Validate(std::string_view text) {
  Diagnostics d;
  absl::StatusOr<Scenario> s = ParseScenario(text, "v.scn", &d);
  EXPECT_TRUE(s.ok()) << d.ToString();
  if (!s.ok()) return {};
  ValidateScenario(*s, &d);
  return d.diagnostics();
}

void ExpectValid(std::string_view text) {
  std::vector<Diagnostic> e = Validate(text);
  for (const Diagnostic& d : e) ADD_FAILURE() << d.ToString();
}

void ExpectInvalid(std::string_view text, int line, int col, std::string_view msg) {
  std::vector<Diagnostic> e = Validate(text);
  ASSERT_FALSE(e.empty()) << "valid:\n" << text;
  EXPECT_EQ(e[0].loc.line, line) << e[0].ToString();
  EXPECT_EQ(e[0].loc.col, col) << e[0].ToString();
  EXPECT_THAT(e[0].message, HasSubstr(std::string(msg))) << e[0].ToString();
}

TEST(ScenarioValidator, SpecExampleIsValid) {
  ExpectValid(R"(scenario fault-vs-revoke
title "a CPU fault on a BAR mapping races memory-disable"
variant dmabuf

device gpu
  bar 0 size=2M mem64 prefetch
end

setup
  p  = process
  fd = open gpu in p
  va = mmap p fd bar=0 len=2M
end

thread cpu
  r = read p va+0x1000
end

thread admin
  c = command fd mem=0
end

expect always cpu.r in {0, SIGBUS}
expect never mapped(p, va+0x1000) && admin.c == ok
)");
}

TEST(ScenarioValidator, EveryOpWithRightKindsIsValid) {
  ExpectValid(
      With("  fd2 = open gpu\n"
           "  vb = mmap p buf offset=4K len=4K prot=r at=va+2M\n"
           "  i = info fd bar=4\n"
           "  vio = mmap p fd bar=4\n"  // an io BAR: fails at run time, not here
           "  m = map att\n",
           "thread cpu\n"
           "  r = read p va\n"
           "  w = write p va+4 0xffffffff\n"
           "  t = touch p va len=2M\n"
           "  q = fork p\n"
           "  r2 = read q 0x1000\n"
           "end\n"
           "thread admin\n"
           "  c = command fd mem=0\n"
           "  x = reset fd\n"
           "  d = power fd d3\n"
           "  rv = revoke fd buf\n"
           "end\n"
           "thread importer\n"
           "  v = dma att 0\n"
           "  u = unmap att\n"
           "  dt = detach att\n"
           "  io = iommu-map p va len=4K\n"
           "  io2 = iommufd-map buf\n"
           "  pv = p2p io 0x10\n"
           "  pv2 = p2p io2 0\n"
           "end\n"
           "finally\n"
           "  munmap p va len=4K\n"
           "  close buf\n"
           "  close fd2\n"
           "  exit p\n"
           "end\n"
           "expect always cpu.r in {0, SIGBUS} && importer.v != EIO || admin.c == ok\n"
           "expect never mapped(cpu.q, va) || revoked(buf) || pagesize(p, va+4K) == 2M\n"
           "expect sometimes i == mmap\n"
           "expect violation stale-pte\n"));
}

TEST(ScenarioValidator, UndefinedName) {
  ExpectInvalid(With("  r = read p vx\n"), 12, 14, "undefined name 'vx' (did you mean 'va'?)");
  ExpectInvalid(With("  close bf\n"), 12, 9, "undefined name 'bf'");
  ExpectInvalid(With("", "expect always nosuch == 0\n"), 13, 15, "undefined name 'nosuch'");
}

TEST(ScenarioValidator, NameUsedBeforeItIsBound) {
  ExpectInvalid(With("  r = read p later\n  later = mmap p fd bar=0\n"), 12, 14,
                "undefined name 'later'");
}

TEST(ScenarioValidator, WrongHandleKind) {
  ExpectInvalid(With("  vb = mmap p p bar=0\n"), 12, 15,
                "mmap expects a device fd or dma-buf fd, but p is a process");
  ExpectInvalid(With("  r = read fd va\n"), 12, 12,
                "read expects a process, but fd is a device fd");
  ExpectInvalid(With("  r = read p fd\n"), 12, 14,
                "read expects an address, but fd is a device fd");
  ExpectInvalid(With("  m = map buf\n"), 12, 11,
                "map expects an attachment, but buf is a dma-buf fd");
  ExpectInvalid(With("  v = p2p att 0\n"), 12, 11,
                "p2p expects an IOVA mapping, but att is an attachment");
  ExpectInvalid(With("  r = revoke buf fd\n"), 12, 14,
                "revoke expects a device fd, but buf is a dma-buf fd");
  ExpectInvalid(With("  c = close att\n"), 12, 13, "close expects a device fd or dma-buf fd");
  ExpectInvalid(With("  f = open gpu in fd\n"), 12, 19,
                "open expects a process, but fd is a device fd");
  ExpectInvalid(With("  vb = mmap p fd bar=0 at=p\n"), 12, 27,
                "mmap expects an address, but p is a process");
  ExpectInvalid(With("  v = dma att 0\n  r = read p v\n"), 13, 14, "but v is a value");
}

TEST(ScenarioValidator, DuplicateBindingInOneScope) {
  ExpectInvalid(With("  va = mmap p fd bar=0\n"), 12, 3, "va is already bound at 9:3");
  ExpectInvalid(With("", "thread a\n  x = process\n  x = process\nend\n"), 15, 3,
                "x is already bound at 14:3");
  ExpectInvalid(With("", "finally\n  y = process\n  y = process\nend\n"), 15, 3,
                "y is already bound at 14:3");
}

TEST(ScenarioValidator, ThreadOrFinallyVariableMayNotShadowSetup) {
  ExpectInvalid(With("", "thread a\n  p = process\nend\n"), 14, 3, "p is already bound at 7:3");
  ExpectInvalid(With("", "finally\n  fd = open gpu\nend\n"), 14, 3, "fd is already bound at 8:3");
}

TEST(ScenarioValidator, TwoThreadsMayBindTheSameName) {
  ExpectValid(With("",
                   "thread a\n  r = read p va\nend\nthread b\n  r = read p va\nend\n"
                   "finally\n  r = read p va\nend\n"
                   "expect always a.r == 0 && b.r != 0 || r == 0\n"));
}

TEST(ScenarioValidator, ThreadsCannotSeeEachOthersVariables) {
  ExpectInvalid(With("", "thread a\n  q = process\nend\nthread b\n  exit q\nend\n"), 17, 8,
                "undefined name 'q' (it is bound in thread a");
}

TEST(ScenarioValidator, FinallySeesSetupButNotThreads) {
  ExpectValid(With("", "finally\n  exit p\nend\n"));
  ExpectInvalid(With("", "thread a\n  q = process\nend\nfinally\n  exit q\nend\n"), 17, 8,
                "undefined name 'q' (it is bound in thread a");
}

TEST(ScenarioValidator, SetupCannotSeeLaterBlocks) {
  ExpectInvalid(With("  exit q\n", "thread a\n  q = process\nend\n"), 12, 8,
                "undefined name 'q' (it is bound in thread a");
}

TEST(ScenarioValidator, ExpectationThreadReferences) {
  ExpectInvalid(With("", "thread cpu\n  r = read p va\nend\nexpect always cpux.r == 0\n"), 16, 15,
                "unknown thread 'cpux' (did you mean 'cpu'?)");
  ExpectInvalid(With("", "thread cpu\n  r = read p va\nend\nexpect always cpu.s == 0\n"), 16, 15,
                "thread cpu does not bind 's'");
  ExpectInvalid(With("", "thread cpu\n  r = read p va\nend\nexpect always cpu.va == 0\n"), 16, 15,
                "va is a setup variable");
  ExpectInvalid(With("", "thread cpu\n  r = read p va\nend\nexpect always r == 0\n"), 16, 15,
                "refer to it as cpu.r");
}

TEST(ScenarioValidator, ExpectationOperandKinds) {
  ExpectInvalid(With("", "expect never mapped(fd, va)\n"), 13, 21,
                "mapped expects a process, but fd is a device fd");
  ExpectInvalid(With("", "expect never mapped(p, p)\n"), 13, 24, "mapped expects an address");
  ExpectInvalid(With("", "expect never revoked(att)\n"), 13, 22, "revoked expects a dma-buf fd");
  ExpectInvalid(With("", "expect never pagesize(p, va) == SIGBUS\n"), 13, 33,
                "compare it with a number");
  ExpectValid(With("", "thread f\n  c = fork p\nend\nexpect never mapped(f.c, va+4K)\n"));
  ExpectInvalid(With("", "thread f\n  c = fork p\nend\nexpect never mapped(f.d, va)\n"), 16, 21,
                "thread f does not bind 'd'");
}

TEST(ScenarioValidator, OpenNamesADeclaredDevice) {
  ExpectInvalid(With("  f = open gpx in p\n"), 12, 12,
                "unknown device 'gpx' (did you mean 'gpu'?)");
}

TEST(ScenarioValidator, DuplicateDeviceAndThreadNames) {
  ExpectInvalid("scenario t\ndevice a\nend\ndevice a\nend\n", 4, 1,
                "device a is already declared at 2:1");
  ExpectInvalid("scenario t\nthread a\nend\nthread a\nend\n", 4, 1,
                "thread a is already declared at 2:1");
  ExpectInvalid("scenario t\ndevice a bdf=0000:01:00.0\nend\ndevice b bdf=0000:01:00.0\nend\n", 4,
                1, "bdf 0000:01:00.0 is already used by device a");
}

TEST(ScenarioValidator, BarIndexOutOfRange) {
  ExpectInvalid("scenario t\ndevice d\n  bar 6 size=4K\nend\n", 3, 3,
                "BAR index 6 is out of range");
  ExpectInvalid(With("  i = info fd bar=6\n"), 12, 19, "BAR index 6 is out of range");
}

TEST(ScenarioValidator, DuplicateBarIndex) {
  ExpectInvalid("scenario t\ndevice d\n  bar 1 size=4K\n  bar 1 size=8K\nend\n", 4, 3,
                "BAR 1 of device d is already declared at 3:3");
}

TEST(ScenarioValidator, BarSizeMustBeAPowerOfTwoOfAtLeast4K) {
  ExpectInvalid("scenario t\ndevice d\n  bar 0 size=3000\nend\n", 3, 3,
                "BAR size 0xbb8 (3000) is not a power of two");
  ExpectInvalid("scenario t\ndevice d\n  bar 0 size=12K\nend\n", 3, 3,
                "BAR size 12K is not a power of two");
  ExpectInvalid("scenario t\ndevice d\n  bar 0 size=0\nend\n", 3, 3, "not a power of two");
  ExpectInvalid("scenario t\ndevice d\n  bar 0 size=2048\nend\n", 3, 3,
                "a memory BAR size 2K is smaller than 4K");
  ExpectValid("scenario t\ndevice d\n  bar 0 size=4K\n  bar 1 size=8G mem64\nend\n");
}

TEST(ScenarioValidator, IoBarRules) {
  ExpectValid("scenario t\ndevice d\n  bar 0 size=4 io\n  bar 1 size=256 io\nend\n");
  ExpectInvalid("scenario t\ndevice d\n  bar 0 size=2 io\nend\n", 3, 3,
                "an io BAR size 2 is smaller than 4 bytes");
  ExpectInvalid("scenario t\ndevice d\n  bar 0 size=4K io mem64\nend\n", 3, 3,
                "an io BAR cannot be mem64 or prefetch");
}

TEST(ScenarioValidator, BarAddrMustBeNaturallyAligned) {
  ExpectInvalid("scenario t\ndevice d\n  bar 0 size=2M addr=0x80001000\nend\n", 3, 22,
                "BAR addr 0x80001000 is not aligned to the BAR size 2M");
  ExpectInvalid(
      "scenario t\ndevice d\n  bar 0 size=1G addr=0xffffffffc0000000\nend\n"
      "device e\n  bar 0 size=8G mem64 addr=0xfffffffe00000000\nend\n",
      6, 28, "overlaps");
  ExpectValid("scenario t\ndevice d\n  bar 0 size=1G addr=0xffffffffc0000000\nend\n");
}

TEST(ScenarioValidator, BarAddrsMustNotOverlap) {
  ExpectInvalid(
      "scenario t\n"
      "device a\n"
      "  bar 0 size=1G addr=0x40000000\n"
      "end\n"
      "device b\n"
      "  bar 2 size=2M addr=0x40200000\n"
      "end\n",
      6, 22,
      "BAR 2 of device b [0x40200000, 0x403fffff] overlaps BAR 0 of device a declared at 3:3");
  // Memory and io BARs live in different address spaces; adjacent BARs are fine.
  ExpectValid(
      "scenario t\n"
      "device a\n"
      "  bar 0 size=4K addr=0x1000\n"
      "  bar 1 size=4K addr=0x2000\n"
      "  bar 2 size=4K io addr=0x1000\n"
      "end\n");
}

TEST(ScenarioValidator, UnknownBugFixAndInvariant) {
  ExpectInvalid("scenario t\nbug no-zap-on-revok\n", 2, 5,
                "unknown bug 'no-zap-on-revok' (did you mean 'no-zap-on-revoke'?)");
  ExpectInvalid("scenario t\nbug bogus\n", 2, 5, "see 'vfiosim list bugs'");
  ExpectInvalid("scenario t\nbug lock-inversion\nbug lock-inversion\n", 3, 5,
                "already given at 2:5");
  ExpectInvalid("scenario t\nfix legacy-fallbak\n", 2, 5,
                "unknown fix 'legacy-fallbak' (did you mean 'legacy-fallback'?)");
  ExpectInvalid("scenario t\nexpect violation stale-ptes\n", 2, 18,
                "unknown invariant 'stale-ptes' (did you mean 'stale-pte'?)");
}

TEST(ScenarioValidator, KconfigRules) {
  ExpectInvalid("scenario t\nkconfig ZONE_DEVICE=y VFIO_PCI_DMABUF=y\n", 2, 23,
                "VFIO_PCI_DMABUF is derived");
  ExpectInvalid("scenario t\nkconfig ZONE_DEVICE=y\nkconfig ZONE_DEVICE=n\n", 3, 9,
                "ZONE_DEVICE is already set to y at 2:9");
  ExpectValid("scenario t\nkconfig ZONE_DEVICE=y\nkconfig ZONE_DEVICE=y PCI_P2PDMA=n\n");
  ExpectInvalid("scenario t\nkconfig ZONE_DEVICE=y ZONE_DEVIC=n\n", 2, 23,
                "unknown Kconfig symbol ZONE_DEVIC (did you mean 'ZONE_DEVICE'?)");
}

TEST(ScenarioValidator, MmapBarOption) {
  ExpectInvalid(With("  vb = mmap p fd len=4K\n"), 12, 8, "mmap of a device fd needs bar=<n>");
  ExpectInvalid(With("  vb = mmap p buf bar=0\n"), 12, 23, "bar= applies to mmap of a device fd");
}

TEST(ScenarioValidator, OptionValues) {
  ExpectInvalid(With("  c = command fd mem=2\n"), 12, 22, "mem= must be 0 or 1, not 2");
  ExpectInvalid(With("  w = write p va 0x100000000\n"), 12, 18, "does not fit in 32 bits");
  ExpectInvalid(With("  b = export fd bar=0 ranges=0xffffffffffff0000+0x10000\n"), 12, 30,
                "export range <offset>+<len> does not fit in 64 bits");
}

TEST(ScenarioValidator, CleanContradictsViolation) {
  ExpectInvalid("scenario t\nexpect violation stale-pte\nexpect clean\n", 3, 1,
                "'expect clean' contradicts 'expect violation' (at 2:1)");
}

TEST(ScenarioValidator, SeveralErrorsAreCollected) {
  std::vector<Diagnostic> e = Validate(
      "scenario t\n"               // 1
      "bug nope\n"                 // 2
      "device d\n"                 // 3
      "  bar 7 size=4K\n"          // 4
      "end\n"                      // 5
      "setup\n"                    // 6
      "  p = process\n"            // 7
      "  p = process\n"            // 8
      "  r = read fd p\n"          // 9
      "end\n"                      // 10
      "expect violation nope\n");  // 11
  ASSERT_EQ(e.size(), 6u);
  EXPECT_EQ(e[0].loc.line, 2);
  EXPECT_EQ(e[1].loc.line, 4);
  EXPECT_EQ(e[2].loc.line, 8);
  EXPECT_EQ(e[3].loc.line, 9);  // undefined fd
  EXPECT_EQ(e[4].loc.line, 9);  // p is not an address
  EXPECT_EQ(e[5].loc.line, 11);
}

TEST(ScenarioValidator, LoadScenarioParsesThenValidates) {
  Diagnostics d;
  absl::StatusOr<Scenario> s = LoadScenario("scenario t\nsetup\n  exit q\nend\n", "l.scn", &d);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(std::string(s.status().message()), "l.scn:3:8: error: undefined name 'q'");
  // A syntax error stops before validation.
  absl::StatusOr<Scenario> bad = LoadScenario("scenario t\nsetup\n  exit q q\nend\n", "m.scn", &d);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("m.scn:3:10: error: unexpected 'q'"));
  EXPECT_THAT(std::string(bad.status().message()), ::testing::Not(HasSubstr("undefined")));
}

// Every scenario shipped in the repository loads (parses and validates), except
// drafts and negative examples kept under pending/, invalid/ or errors/.
TEST(ScenarioValidator, RepositoryScenariosLoad) {
  std::filesystem::path dir =
      vfiosim_test::SourceDir() / "scenarios";
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
      if (!e.is_regular_file() || e.path().extension() != ".scn") continue;
      bool skip = false;
      for (const auto& part : std::filesystem::relative(e.path(), dir)) {
        skip |= part == "pending" || part == "invalid" || part == "errors";
      }
      if (!skip) files.push_back(e.path());
    }
  }
  ASSERT_FALSE(files.empty()) << "no .scn files under " << dir;
  for (const auto& f : files) {
    Diagnostics d;
    absl::StatusOr<Scenario> s = LoadScenarioFile(f.string(), &d);
    EXPECT_TRUE(s.ok()) << d.ToString();
  }
}

TEST(ScenarioDiagnostics, CapIsPerCallAndCopiedToTheCaller) {
  Diagnostics shared;
  std::string text = "scenario t\nsetup\n";
  for (int i = 0; i < 50; ++i) text += "  bogus\n";
  text += "end\n";
  // The same file name twice into one collector: each call fails on its own.
  for (int round = 0; round < 2; ++round) {
    absl::StatusOr<Scenario> s = ParseScenario(text, "same.scn", &shared);
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(std::string(s.status().message()), HasSubstr("too many errors"));
  }
  EXPECT_EQ(shared.diagnostics().size(), 2u * (Diagnostics::kMaxErrorsPerFile + 1));
  EXPECT_TRUE(shared.full("same.scn"));
  EXPECT_FALSE(shared.full("other.scn"));
  Diagnostic whole{"x.scn", SourceLoc{}, "cannot read"};
  EXPECT_EQ(whole.ToString(), "x.scn: error: cannot read");
  EXPECT_TRUE(Diagnostics().ToStatus().ok());
}

TEST(ScenarioAst, OpNamesRoundTrip) {
  for (int i = 0; i < kNumOpKinds; ++i) {
    OpKind op = static_cast<OpKind>(i);
    EXPECT_EQ(ParseOpName(OpName(op)), op) << OpName(op);
  }
  EXPECT_EQ(OpName(OpKind::kIommuMap), "iommu-map");
  EXPECT_EQ(OpName(OpKind::kIommufdMap), "iommufd-map");
  EXPECT_FALSE(ParseOpName("iommu").has_value());
  EXPECT_FALSE(ParseOpName("").has_value());
}

TEST(ScenarioAst, ResultKinds) {
  EXPECT_EQ(ResultKind(OpKind::kProcess), HandleKind::kProcess);
  EXPECT_EQ(ResultKind(OpKind::kFork), HandleKind::kProcess);
  EXPECT_EQ(ResultKind(OpKind::kOpen), HandleKind::kFd);
  EXPECT_EQ(ResultKind(OpKind::kExport), HandleKind::kBuf);
  EXPECT_EQ(ResultKind(OpKind::kMmap), HandleKind::kAddr);
  EXPECT_EQ(ResultKind(OpKind::kAttach), HandleKind::kAtt);
  EXPECT_EQ(ResultKind(OpKind::kIommuMap), HandleKind::kIova);
  EXPECT_EQ(ResultKind(OpKind::kIommufdMap), HandleKind::kIova);
  for (OpKind op : {OpKind::kRead, OpKind::kWrite, OpKind::kInfo, OpKind::kDma, OpKind::kP2p,
                    OpKind::kClose, OpKind::kMunmap, OpKind::kCommand}) {
    EXPECT_EQ(ResultKind(op), HandleKind::kValue) << OpName(op);
  }
  EXPECT_EQ(HandleKindName(HandleKind::kProcess), "process");
  EXPECT_EQ(HandleKindName(HandleKind::kFd), "device fd");
  EXPECT_EQ(HandleKindName(HandleKind::kBuf), "dma-buf fd");
}

}  // namespace
}  // namespace vfiosim::scn
