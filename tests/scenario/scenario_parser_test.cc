// The scenario parser and printer against the language contract
// (/work/shared/spec/scenario-language.md): every construct of the spec parses to
// the AST it means, prints back to text that re-parses to the same AST, and bad
// input gets `file:line:col: error:` diagnostics, never a crash.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "sim/scenario/ast.h"
#include "sim/scenario/diag.h"
#include "sim/scenario/parser.h"
#include "sim/scenario/printer.h"
#include "sim/scenario/validator.h"
#include "tests/tool_runner.h"

namespace vfiosim::scn {
namespace {

using ::testing::HasSubstr;

// Time limits of the hostile-input tests assume an optimized build.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || !defined(NDEBUG)
constexpr double kSlowdown = 20;
#else
constexpr double kSlowdown = 1;
#endif

constexpr char kSpecExample[] = R"(scenario fault-vs-revoke
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
)";

Scenario ParseOk(std::string_view text) {
  Diagnostics d;
  absl::StatusOr<Scenario> s = ParseScenario(text, "t.scn", &d);
  EXPECT_TRUE(s.ok()) << d.ToString();
  return s.ok() ? std::move(*s) : Scenario{};
}

// The diagnostics of a text that must fail to parse.
std::vector<Diagnostic> ParseErrors(std::string_view text) {
  Diagnostics d;
  absl::StatusOr<Scenario> s = ParseScenario(text, "t.scn", &d);
  EXPECT_FALSE(s.ok()) << "parsed:\n" << text.substr(0, 400);
  EXPECT_TRUE(d.has_errors());
  return d.diagnostics();
}

// Asserts that parsing fails and that the first error is at line:col and says `msg`.
void ExpectError(std::string_view text, int line, int col, std::string_view msg) {
  std::vector<Diagnostic> e = ParseErrors(text);
  ASSERT_FALSE(e.empty());
  EXPECT_EQ(e[0].loc.line, line) << e[0].ToString();
  EXPECT_EQ(e[0].loc.col, col) << e[0].ToString();
  EXPECT_THAT(e[0].message, HasSubstr(std::string(msg))) << e[0].ToString();
}

// A header and a device, then `body` inside a setup block (statement on line 5).
std::string InSetup(std::string_view body) {
  return "scenario t\ndevice gpu\n  bar 0 size=2M\nend\nsetup\n" + std::string(body) + "\nend\n";
}

// The single setup statement of InSetup(line).
Stmt SetupStmt(std::string_view line) {
  Scenario s = ParseOk(InSetup(line));
  EXPECT_EQ(s.setup.size(), 1u);
  return s.setup.empty() ? Stmt{} : std::move(s.setup[0]);
}

void ExpectRoundTrip(std::string_view text) {
  Scenario a = ParseOk(text);
  std::string printed = PrintScenario(a);
  Diagnostics d;
  absl::StatusOr<Scenario> b = ParseScenario(printed, "printed.scn", &d);
  ASSERT_TRUE(b.ok()) << d.ToString() << "\n" << printed;
  std::string why;
  EXPECT_TRUE(AstEquals(a, *b, &why)) << why << "\n" << printed;
  EXPECT_EQ(PrintScenario(*b), printed) << "printing is not idempotent";
}

// ---------------------------------------------------------------------------
// The spec's constructs

TEST(ScenarioParser, SpecExampleParsesToExpectedAst) {
  Scenario s = ParseOk(kSpecExample);
  EXPECT_EQ(s.file, "t.scn");
  EXPECT_EQ(s.name, "fault-vs-revoke");
  EXPECT_EQ(s.name_loc.line, 1);
  EXPECT_EQ(s.name_loc.col, 10);
  EXPECT_EQ(s.title, "a CPU fault on a BAR mapping races memory-disable");
  EXPECT_TRUE(s.variant_given);
  EXPECT_EQ(s.variant, Variant::kDmabuf);
  EXPECT_FALSE(s.arch_given);
  EXPECT_EQ(s.arch, Arch::kX86_64);

  ASSERT_EQ(s.devices.size(), 1u);
  EXPECT_EQ(s.devices[0].name, "gpu");
  ASSERT_EQ(s.devices[0].bars.size(), 1u);
  const BarDecl& bar = s.devices[0].bars[0];
  EXPECT_EQ(bar.index, 0);
  EXPECT_EQ(bar.size, 2u << 20);
  EXPECT_TRUE(bar.mem64);
  EXPECT_TRUE(bar.prefetch);
  EXPECT_FALSE(bar.io);
  EXPECT_FALSE(bar.addr.has_value());

  ASSERT_TRUE(s.has_setup);
  ASSERT_EQ(s.setup.size(), 3u);
  EXPECT_EQ(s.setup[0].bind, "p");
  EXPECT_EQ(s.setup[0].op, OpKind::kProcess);
  EXPECT_EQ(s.setup[1].bind, "fd");
  EXPECT_EQ(s.setup[1].op, OpKind::kOpen);
  EXPECT_EQ(s.setup[1].args[0].name, "gpu");
  ASSERT_TRUE(s.setup[1].in_proc.has_value());
  EXPECT_EQ(s.setup[1].in_proc->name, "p");
  const Stmt& mmap = s.setup[2];
  EXPECT_EQ(mmap.op, OpKind::kMmap);
  EXPECT_EQ(mmap.loc.line, 12);
  EXPECT_EQ(mmap.loc.col, 8);
  EXPECT_EQ(mmap.bind_loc.col, 3);
  ASSERT_EQ(mmap.args.size(), 2u);
  EXPECT_EQ(mmap.args[0].name, "p");
  EXPECT_EQ(mmap.args[1].name, "fd");
  EXPECT_EQ(mmap.bar, 0u);
  EXPECT_EQ(mmap.len, 2u << 20);

  ASSERT_EQ(s.threads.size(), 2u);
  EXPECT_EQ(s.threads[0].name, "cpu");
  ASSERT_EQ(s.threads[0].stmts.size(), 1u);
  const Stmt& read = s.threads[0].stmts[0];
  EXPECT_EQ(read.op, OpKind::kRead);
  EXPECT_EQ(read.args[1].name, "va");
  EXPECT_EQ(read.args[1].offset, 0x1000);
  EXPECT_EQ(s.threads[1].name, "admin");
  EXPECT_EQ(s.threads[1].stmts[0].op, OpKind::kCommand);
  EXPECT_EQ(s.threads[1].stmts[0].mem, 0u);
  EXPECT_FALSE(s.has_finally);

  ASSERT_EQ(s.expectations.size(), 2u);
  const Expectation& e0 = s.expectations[0];
  EXPECT_EQ(e0.kind, Expectation::Kind::kAlways);
  EXPECT_EQ(e0.loc.line, 23);
  ASSERT_TRUE(e0.cond);
  EXPECT_EQ(e0.cond->kind, Cond::Kind::kIn);
  EXPECT_EQ(e0.cond->ref.kind, CondRef::Kind::kThreadVar);
  EXPECT_EQ(e0.cond->ref.thread, "cpu");
  EXPECT_EQ(e0.cond->ref.var, "r");
  ASSERT_EQ(e0.cond->values.size(), 2u);
  EXPECT_EQ(e0.cond->values[0].kind, CondValue::Kind::kNumber);
  EXPECT_EQ(e0.cond->values[0].number, 0u);
  EXPECT_EQ(e0.cond->values[1].kind, CondValue::Kind::kSignal);
  EXPECT_EQ(e0.cond->values[1].name, "SIGBUS");

  const Cond& c1 = *s.expectations[1].cond;
  EXPECT_EQ(s.expectations[1].kind, Expectation::Kind::kNever);
  EXPECT_EQ(c1.kind, Cond::Kind::kAnd);
  EXPECT_EQ(c1.lhs->kind, Cond::Kind::kMapped);
  EXPECT_EQ(c1.lhs->proc.name, "p");
  EXPECT_EQ(c1.lhs->addr.name, "va");
  EXPECT_EQ(c1.lhs->addr.offset, 0x1000);
  EXPECT_EQ(c1.rhs->kind, Cond::Kind::kEq);
  EXPECT_EQ(c1.rhs->ref.thread, "admin");
  EXPECT_EQ(c1.rhs->ref.var, "c");
  EXPECT_EQ(c1.rhs->values[0].kind, CondValue::Kind::kOk);
}

TEST(ScenarioParser, HeaderStatements) {
  Scenario s = ParseOk(
      "scenario huge-fault-range\n"
      "title \"say \\\"hi\\\" \\\\ there\"\n"
      "arch arm64\n"
      "variant legacy\n"
      "kconfig ZONE_DEVICE=n PCI_P2PDMA=y\n"
      "kconfig 64BIT=y\n"
      "bug no-zap-on-revoke\n"
      "bug fault-without-lock\n"
      "fix legacy-fallback\n");
  EXPECT_EQ(s.name, "huge-fault-range");
  EXPECT_EQ(s.title, "say \"hi\" \\ there");
  EXPECT_TRUE(s.arch_given);
  EXPECT_EQ(s.arch, Arch::kArm64);
  EXPECT_EQ(s.variant, Variant::kLegacy);
  ASSERT_EQ(s.kconfig.size(), 3u);
  EXPECT_EQ(s.kconfig[0].symbol, "ZONE_DEVICE");
  EXPECT_FALSE(s.kconfig[0].value);
  EXPECT_EQ(s.kconfig[1].symbol, "PCI_P2PDMA");
  EXPECT_TRUE(s.kconfig[1].value);
  EXPECT_EQ(s.kconfig[1].loc.col, 23);
  EXPECT_EQ(s.kconfig[2].symbol, "64BIT");
  ASSERT_EQ(s.bugs.size(), 2u);
  EXPECT_EQ(s.bugs[0].name, "no-zap-on-revoke");
  EXPECT_EQ(s.bugs[0].loc.col, 5);
  EXPECT_EQ(s.bugs[1].name, "fault-without-lock");
  ASSERT_EQ(s.fixes.size(), 1u);
  EXPECT_EQ(s.fixes[0].name, "legacy-fallback");
}

TEST(ScenarioParser, DeviceWithBdfNoresetAndBarFlags) {
  Scenario s = ParseOk(
      "scenario t\n"
      "device nic bdf=0000:0A:1f.7 noreset\n"
      "  bar 0 size=16K addr=0x80000000\n"
      "  bar 2 size=1G mem64 prefetch addr=0x4000000000\n"
      "  bar 4 size=256 io\n"
      "end\n"
      "device gpu\n"
      "end\n");
  ASSERT_EQ(s.devices.size(), 2u);
  const DeviceDecl& d = s.devices[0];
  EXPECT_EQ(d.bdf, "0000:0a:1f.7");
  EXPECT_TRUE(d.noreset);
  ASSERT_EQ(d.bars.size(), 3u);
  EXPECT_EQ(d.bars[0].size, 16u << 10);
  EXPECT_EQ(d.bars[0].addr, 0x80000000u);
  EXPECT_EQ(d.bars[0].addr_loc.col, 23);
  EXPECT_EQ(d.bars[1].index, 2);
  EXPECT_EQ(d.bars[1].size, 1u << 30);
  EXPECT_TRUE(d.bars[1].mem64 && d.bars[1].prefetch);
  EXPECT_EQ(d.bars[1].addr, 0x4000000000u);
  EXPECT_TRUE(d.bars[2].io);
  EXPECT_EQ(d.bars[2].size, 256u);
  EXPECT_TRUE(s.devices[1].bars.empty());
  EXPECT_FALSE(s.devices[1].noreset);
  EXPECT_TRUE(s.devices[1].bdf.empty());
}

TEST(ScenarioParser, MmapOfDeviceFdWithEveryOption) {
  Stmt st = SetupStmt("va = mmap p fd bar=2 offset=4K len=2M prot=r at=va0+2M");
  EXPECT_EQ(st.op, OpKind::kMmap);
  EXPECT_EQ(st.bar, 2u);
  EXPECT_EQ(st.bar_loc.col, 20);
  EXPECT_EQ(st.offset, 4096u);
  EXPECT_EQ(st.len, 2u << 20);
  EXPECT_EQ(st.prot, Prot::kRead);
  ASSERT_TRUE(st.at.has_value());
  EXPECT_EQ(st.at->name, "va0");
  EXPECT_EQ(st.at->offset, 2 << 20);
  EXPECT_EQ(SetupStmt("mmap p fd bar=0 prot=rw").prot, Prot::kReadWrite);
}

TEST(ScenarioParser, ProcessNofileAndIommuMapProt) {
  Stmt p = SetupStmt("p = process nofile=2");
  EXPECT_EQ(p.op, OpKind::kProcess);
  EXPECT_EQ(p.nofile, 2u);
  EXPECT_FALSE(SetupStmt("p = process").nofile.has_value());
  Stmt io = SetupStmt("io = iommu-map p va len=4K prot=r");
  EXPECT_EQ(io.op, OpKind::kIommuMap);
  EXPECT_EQ(io.prot, Prot::kRead);
  EXPECT_FALSE(SetupStmt("io = iommu-map p va len=4K").prot.has_value());
}

TEST(ScenarioParser, MmapOfDmaBufAndMunmap) {
  Stmt st = SetupStmt("mmap p buf offset=4K");
  EXPECT_FALSE(st.bar.has_value());
  EXPECT_EQ(st.offset, 4096u);
  EXPECT_EQ(st.args[1].name, "buf");
  EXPECT_TRUE(st.bind.empty());
  Stmt un = SetupStmt("r = munmap p va+4K len=4K");
  EXPECT_EQ(un.op, OpKind::kMunmap);
  EXPECT_EQ(un.args[1].offset, 4096);
  EXPECT_EQ(un.len, 4096u);
}

TEST(ScenarioParser, CpuAccessOps) {
  Stmt w = SetupStmt("write p va+8 0x1234");
  EXPECT_EQ(w.op, OpKind::kWrite);
  ASSERT_EQ(w.args.size(), 3u);
  EXPECT_EQ(w.args[1].offset, 8);
  EXPECT_TRUE(w.args[2].is_number());
  EXPECT_EQ(w.args[2].number, 0x1234u);
  Stmt t = SetupStmt("touch p va len=2M");
  EXPECT_EQ(t.op, OpKind::kTouch);
  EXPECT_EQ(t.len, 2u << 20);
  Stmt r = SetupStmt("r = read p 0x7f0000000000");
  EXPECT_TRUE(r.args[1].is_number());
  EXPECT_EQ(r.args[1].number, 0x7f0000000000u);
}

TEST(ScenarioParser, DeviceControlOps) {
  Stmt c = SetupStmt("command fd mem=1");
  EXPECT_EQ(c.op, OpKind::kCommand);
  EXPECT_EQ(c.mem, 1u);
  EXPECT_EQ(SetupStmt("reset fd").op, OpKind::kReset);
  EXPECT_EQ(SetupStmt("power fd d3").power, PowerTarget::kD3);
  EXPECT_EQ(SetupStmt("power fd d0").power, PowerTarget::kD0);
  Stmt i = SetupStmt("f = info fd bar=1");
  EXPECT_EQ(i.op, OpKind::kInfo);
  EXPECT_EQ(i.bar, 1u);
  Stmt o = SetupStmt("fd = open gpu");
  EXPECT_EQ(o.op, OpKind::kOpen);
  EXPECT_FALSE(o.in_proc.has_value());
}

TEST(ScenarioParser, DmaBufOps) {
  Stmt e = SetupStmt("buf = export fd bar=0 ranges=0+4K,8K+4K");
  EXPECT_EQ(e.op, OpKind::kExport);
  EXPECT_EQ(e.bar, 0u);
  ASSERT_EQ(e.ranges.size(), 2u);
  EXPECT_EQ(e.ranges[0].offset, 0u);
  EXPECT_EQ(e.ranges[0].len, 4096u);
  EXPECT_EQ(e.ranges[1].offset, 8192u);
  EXPECT_EQ(e.ranges[1].len, 4096u);
  EXPECT_EQ(e.ranges[1].loc.col, 35);
  EXPECT_TRUE(SetupStmt("buf = export fd bar=0").ranges.empty());
  EXPECT_EQ(SetupStmt("att = attach buf dynamic").attach_mode, AttachMode::kDynamic);
  EXPECT_EQ(SetupStmt("att = attach buf pinned").attach_mode, AttachMode::kPinned);
  EXPECT_EQ(SetupStmt("map att").op, OpKind::kMap);
  EXPECT_EQ(SetupStmt("unmap att").op, OpKind::kUnmap);
  Stmt d = SetupStmt("v = dma att 0x100");
  EXPECT_EQ(d.op, OpKind::kDma);
  EXPECT_EQ(d.args[1].number, 0x100u);
  EXPECT_EQ(SetupStmt("detach att").op, OpKind::kDetach);
  Stmt r = SetupStmt("revoke fd buf");
  EXPECT_EQ(r.op, OpKind::kRevoke);
  EXPECT_EQ(r.args[1].name, "buf");
  EXPECT_EQ(SetupStmt("close buf").op, OpKind::kClose);
}

TEST(ScenarioParser, ProcessAndIommuOps) {
  EXPECT_EQ(SetupStmt("q = fork p").op, OpKind::kFork);
  EXPECT_EQ(SetupStmt("exit p").op, OpKind::kExit);
  Stmt m = SetupStmt("io = iommu-map p va len=2M");
  EXPECT_EQ(m.op, OpKind::kIommuMap);
  EXPECT_EQ(m.loc.col, 6);
  EXPECT_EQ(m.len, 2u << 20);
  EXPECT_EQ(SetupStmt("io = iommufd-map buf").op, OpKind::kIommufdMap);
  Stmt p = SetupStmt("v = p2p io 0");
  EXPECT_EQ(p.op, OpKind::kP2p);
  EXPECT_EQ(p.args[0].name, "io");
  EXPECT_EQ(p.args[1].number, 0u);
}

TEST(ScenarioParser, NumbersWithSuffixesAndHex) {
  struct Case {
    const char* text;
    uint64_t value;
  } cases[] = {
      {"0", 0},
      {"4096", 4096},
      {"4K", 4096},
      {"2M", 2u << 20},
      {"1G", 1u << 30},
      {"0x1000", 0x1000},
      {"0xFFff", 0xffff},
      {"0x10K", 0x4000},
      {"16777215G", 16777215ull << 30},
      {"18446744073709551615", UINT64_MAX},
      {"0xffffffffffffffff", UINT64_MAX},
  };
  for (const Case& c : cases) {
    Stmt st = SetupStmt(std::string("v = dma att ") + c.text);
    EXPECT_EQ(st.args[1].number, c.value) << c.text;
  }
}

TEST(ScenarioParser, AddressExpressions) {
  Operand a = SetupStmt("r = read p va+2M").args[1];
  EXPECT_EQ(a.name, "va");
  EXPECT_EQ(a.offset, 2 << 20);
  Operand b = SetupStmt("r = read p va-0x1000").args[1];
  EXPECT_EQ(b.name, "va");
  EXPECT_EQ(b.offset, -0x1000);
  Operand c = SetupStmt("r = read p 0x1000").args[1];
  EXPECT_TRUE(c.is_number());
  EXPECT_EQ(c.number, 0x1000u);
  EXPECT_EQ(c.offset, 0x1000);
  Operand d = SetupStmt("r = read p va - 4K").args[1];
  EXPECT_EQ(d.offset, -4096);
  Operand e = SetupStmt("r = read p va").args[1];
  EXPECT_EQ(e.offset, 0);
  EXPECT_EQ(e.loc.col, 12);
  // Extension: several terms fold into one displacement.
  Operand f = SetupStmt("r = read p va+2M+4K-0x10").args[1];
  EXPECT_EQ(f.offset, (2 << 20) + 4096 - 16);
  Operand g = SetupStmt("r = read p va-0x8000000000000000").args[1];
  EXPECT_EQ(g.offset, INT64_MIN);
}

TEST(ScenarioParser, HyphenatedNamesJoinOnlyWhenTouching) {
  Scenario s = ParseOk(
      "scenario fault-vs-revoke-2M\n"
      "bug no-zap-on-revoke\n"
      "setup\n"
      "  io = iommu-map p va-0x1000 len=4K\n"
      "end\n"
      "expect violation mmio-while-disabled\n");
  EXPECT_EQ(s.name, "fault-vs-revoke-2M");
  EXPECT_EQ(s.bugs[0].name, "no-zap-on-revoke");
  EXPECT_EQ(s.setup[0].op, OpKind::kIommuMap);
  EXPECT_EQ(s.setup[0].args[1].offset, -0x1000);
  EXPECT_EQ(s.expectations[0].invariant, "mmio-while-disabled");
  EXPECT_EQ(s.expectations[0].invariant_loc.col, 18);
  // `iommu - map` is not the op `iommu-map`.
  ExpectError(InSetup("io = iommu - map p va len=4K"), 6, 6, "unknown op 'iommu'");
  ExpectError("scenario t\nbug no-zap-\n", 2, 11, "cannot end with '-'");
}

TEST(ScenarioParser, ConditionPrecedence) {
  // `!` binds tighter than `&&`, which binds tighter than `||`.
  Scenario s = ParseOk(
      "scenario t\n"
      "expect never !a == 1 && b == 2 || c == 3 && !d == 4\n");
  const Cond& c = *s.expectations[0].cond;
  ASSERT_EQ(c.kind, Cond::Kind::kOr);
  ASSERT_EQ(c.lhs->kind, Cond::Kind::kAnd);
  EXPECT_EQ(c.lhs->lhs->kind, Cond::Kind::kNot);
  EXPECT_EQ(c.lhs->lhs->lhs->kind, Cond::Kind::kEq);
  EXPECT_EQ(c.lhs->lhs->lhs->ref.var, "a");
  EXPECT_EQ(c.lhs->rhs->ref.var, "b");
  ASSERT_EQ(c.rhs->kind, Cond::Kind::kAnd);
  EXPECT_EQ(c.rhs->lhs->ref.var, "c");
  EXPECT_EQ(c.rhs->rhs->kind, Cond::Kind::kNot);
  // Left associative.
  Scenario t = ParseOk("scenario t\nexpect never a == 1 || b == 2 || c == 3\n");
  const Cond& o = *t.expectations[0].cond;
  ASSERT_EQ(o.kind, Cond::Kind::kOr);
  EXPECT_EQ(o.lhs->kind, Cond::Kind::kOr);
  EXPECT_EQ(o.rhs->ref.var, "c");
}

TEST(ScenarioParser, ParenthesesOverridePrecedence) {
  Scenario s = ParseOk("scenario t\nexpect always !(a == 1 || b != 2) && (c == 3)\n");
  const Cond& c = *s.expectations[0].cond;
  ASSERT_EQ(c.kind, Cond::Kind::kAnd);
  ASSERT_EQ(c.lhs->kind, Cond::Kind::kNot);
  EXPECT_EQ(c.lhs->lhs->kind, Cond::Kind::kOr);
  EXPECT_EQ(c.lhs->lhs->rhs->kind, Cond::Kind::kNe);
  EXPECT_EQ(c.rhs->kind, Cond::Kind::kEq);
  EXPECT_EQ(c.loc.col, 15);
}

TEST(ScenarioParser, ConditionRefsPredicatesAndValues) {
  Scenario s = ParseOk(
      "scenario t\n"
      "expect always pagesize(p, va+4K) == 2M\n"
      "expect sometimes revoked(buf) || t.f in {mmap, nommap, ok, EINVAL, EOPNOTSUPP, SIGSEGV, "
      "4K}\n"
      "expect never mapped(child.q, 0x1000)\n"
      "expect clean\n");
  const Cond& p = *s.expectations[0].cond;
  EXPECT_EQ(p.ref.kind, CondRef::Kind::kPagesize);
  EXPECT_EQ(p.ref.proc.name, "p");
  EXPECT_EQ(p.ref.addr.offset, 4096);
  EXPECT_EQ(p.values[0].number, 2u << 20);
  EXPECT_EQ(s.expectations[1].kind, Expectation::Kind::kSometimes);
  const Cond& o = *s.expectations[1].cond;
  EXPECT_EQ(o.lhs->kind, Cond::Kind::kRevoked);
  EXPECT_EQ(o.lhs->buf.name, "buf");
  const std::vector<CondValue>& v = o.rhs->values;
  ASSERT_EQ(v.size(), 7u);
  EXPECT_EQ(v[0].kind, CondValue::Kind::kMmap);
  EXPECT_EQ(v[1].kind, CondValue::Kind::kNommap);
  EXPECT_EQ(v[2].kind, CondValue::Kind::kOk);
  EXPECT_EQ(v[3].kind, CondValue::Kind::kErrno);
  EXPECT_EQ(v[3].name, "EINVAL");
  EXPECT_EQ(v[4].name, "EOPNOTSUPP");
  EXPECT_EQ(v[5].kind, CondValue::Kind::kSignal);
  EXPECT_EQ(v[6].number, 4096u);
  // A thread's variable as an operand: `<thread>.<var>` (see SplitQualifiedName).
  const Cond& m = *s.expectations[2].cond;
  EXPECT_EQ(m.proc.name, "child.q");
  EXPECT_EQ(SplitQualifiedName(m.proc.name).thread, "child");
  EXPECT_EQ(SplitQualifiedName(m.proc.name).var, "q");
  EXPECT_TRUE(m.addr.is_number());
  EXPECT_EQ(s.expectations[3].kind, Expectation::Kind::kClean);
  // Every errno and signal of the spec is a value.
  for (const char* name :
       {"EINVAL", "ENODEV", "EPERM", "EBUSY", "ENOTTY", "EIO", "ENOMEM", "EFAULT", "EAGAIN",
        "EOPNOTSUPP", "EOVERFLOW", "EBADF", "EBADFD", "SIGBUS", "SIGSEGV"}) {
    Scenario e = ParseOk(std::string("scenario t\nexpect never x != ") + name + "\n");
    EXPECT_EQ(e.expectations[0].cond->values[0].name, name);
  }
}

TEST(ScenarioParser, CommentsBlankLinesIndentationAndCrlf) {
  Scenario s = ParseOk(
      "\xEF\xBB\xBF# a comment first\r\n"
      "\r\n"
      "   scenario   t   # trailing comment é\r\n"
      "\t\tsetup\r\n"
      "p=process#no space\r\n"
      "          end\r\n"
      "# the end");
  EXPECT_EQ(s.name, "t");
  ASSERT_EQ(s.setup.size(), 1u);
  EXPECT_EQ(s.setup[0].bind, "p");
  EXPECT_EQ(s.setup[0].loc.line, 5);
  EXPECT_EQ(s.setup[0].loc.col, 3);
}

TEST(ScenarioParser, BlocksMayComeInAnyOrderAndBeEmpty) {
  Scenario s = ParseOk(
      "scenario t\n"
      "expect clean\n"
      "thread a\nend\n"
      "finally\n  exit p\nend\n"
      "setup\nend\n"
      "arch i386\n");
  EXPECT_TRUE(s.has_setup);
  EXPECT_TRUE(s.setup.empty());
  EXPECT_TRUE(s.has_finally);
  EXPECT_EQ(s.finally.size(), 1u);
  EXPECT_EQ(s.threads.size(), 1u);
  EXPECT_EQ(s.arch, Arch::kI386);
}

// ---------------------------------------------------------------------------
// Round trip

TEST(ScenarioPrinter, RoundTripsTheSpecExample) { ExpectRoundTrip(kSpecExample); }

TEST(ScenarioPrinter, RoundTripsEveryConstruct) {
  ExpectRoundTrip(R"(scenario all-constructs
title "quotes \" and \\ backslashes, # not a comment, UTF-8: é"
arch arm64
variant legacy
kconfig ZONE_DEVICE=n PCI_P2PDMA=n
kconfig 64BIT=y
bug no-zap-on-revoke
bug lock-inversion
fix hide-mmap-flag
device gpu bdf=0000:01:00.0 noreset
  bar 0 size=2M mem64 prefetch addr=0x40000000
  bar 2 size=4K
  bar 4 size=32 io addr=0x1000
end
device nic
  bar 1 size=1G mem64
end
setup
  p = process
  fd = open gpu in p
  fd2 = open nic
  va = mmap p fd bar=0 offset=4K len=0x3000 prot=r at=0x7f0000000000
  vb = mmap p fd bar=2 prot=rw at=va+2M
  buf = export fd bar=0 ranges=0+4K,8K+4K,0x3000+0x1000
  vc = mmap p buf offset=4K len=4K
  att = attach buf dynamic
  att2 = attach buf pinned
  m = map att
  f = info fd bar=1
end
thread cpu
  r = read p va-0x10
  w = write p va+8 0xdeadbeef
  t = touch p va len=2M
  q = fork p
end
thread admin
  c = command fd mem=0
  c1 = command fd mem=1
  x = reset fd
  d3 = power fd d3
  d0 = power fd d0
  rv = revoke fd buf
end
thread importer
  v = dma att 0x100
  u = unmap att
  dt = detach att
  io = iommu-map p va len=2M
  io2 = iommufd-map buf
  pv = p2p io 0
end
finally
  munmap p va len=4K
  munmap p vb
  close buf
  close fd
  exit p
end
expect clean
expect violation stale-pte
expect always cpu.r in {0, SIGBUS, SIGSEGV} && admin.c == ok
expect never mapped(p, va+0x1000) && !(admin.c != ok || revoked(buf))
expect sometimes pagesize(p, va) == 2M || pagesize(cpu.q, 0x1000) == 0
expect always importer.v in {EIO, 0x12345678} || (a == 1 || b == 2) && c == 3
expect never !!(x == mmap) && (y == nommap && z == EOPNOTSUPP)
expect always ((a == 1 && b == 2) && c == 3) || (d == 4 || (e == 5 || f == 6))
)");
}

// Random edits of valid scenarios: whatever parses must validate without
// crashing and round-trip through the printer.
TEST(ScenarioPrinter, MutatedScenariosRoundTripOrFailCleanly) {
  const std::string seed = std::string(kSpecExample) +
                           "finally\n  x = munmap p va-4K len=4K\nend\n"
                           "expect sometimes !(cpu.r != 0 || !revoked(b)) && pagesize(p, va) == 2M\n";
  constexpr std::string_view kAlphabet = "()!&|=+-,{}.#\"0123456789KMGx_abcpv \n\t";
  std::mt19937 rng(7);
  int parsed = 0;
  const char* env = std::getenv("VFIOSIM_FUZZ_ROUNDS");  // more rounds when fuzzing by hand
  const int rounds = env ? std::atoi(env) : 3000;
  for (int round = 0; round < rounds; ++round) {
    std::string text = seed;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0: text.erase(at, 1 + rng() % 3); break;
        case 1: text.insert(at, 1, kAlphabet[rng() % kAlphabet.size()]); break;
        case 2: text[at] = kAlphabet[rng() % kAlphabet.size()]; break;
      }
    }
    Diagnostics d;
    absl::StatusOr<Scenario> a = ParseScenario(text, "m.scn", &d);
    if (!a.ok()) continue;
    ++parsed;
    ValidateScenario(*a, &d);
    std::string printed = PrintScenario(*a);
    absl::StatusOr<Scenario> b = ParseScenario(printed, "m.scn", &d);
    ASSERT_TRUE(b.ok()) << d.ToString() << "\n--- from ---\n" << text << "\n--- printed ---\n" << printed;
    std::string why;
    ASSERT_TRUE(AstEquals(*a, *b, &why)) << why << "\n" << text;
  }
  EXPECT_GT(parsed, rounds / 30) << parsed << " of " << rounds << " parsed";
}

TEST(ScenarioPrinter, RoundTripsScenarioFilesInTheRepository) {
  std::filesystem::path dir =
      vfiosim_test::SourceDir() / "scenarios";
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
      if (e.is_regular_file() && e.path().extension() == ".scn") files.push_back(e.path());
    }
  }
  ASSERT_FALSE(files.empty()) << "no .scn files under " << dir;
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    Diagnostics d;
    absl::StatusOr<Scenario> a = ParseScenarioFile(f.string(), &d);
    ASSERT_TRUE(a.ok()) << d.ToString();
    std::string printed = PrintScenario(*a);
    absl::StatusOr<Scenario> b = ParseScenario(printed, f.string(), &d);
    ASSERT_TRUE(b.ok()) << d.ToString() << printed;
    std::string why;
    EXPECT_TRUE(AstEquals(*a, *b, &why)) << why << "\n" << printed;
  }
}

TEST(ScenarioPrinter, NumbersPrintCanonically) {
  EXPECT_EQ(FormatNumber(0), "0");
  EXPECT_EQ(FormatNumber(7), "7");
  EXPECT_EQ(FormatNumber(4096), "4K");
  EXPECT_EQ(FormatNumber(2u << 20), "2M");
  EXPECT_EQ(FormatNumber(3ull << 30), "3G");
  EXPECT_EQ(FormatNumber(1023ull << 30), "1023G");
  EXPECT_EQ(FormatNumber(1ull << 40), "0x10000000000");
  EXPECT_EQ(FormatNumber(0x40200000), "0x40200000");
  EXPECT_EQ(FormatNumber(1023), "1023");
  EXPECT_EQ(FormatNumber(0x1234), "0x1234");
  EXPECT_EQ(FormatNumber(UINT64_MAX), "0xffffffffffffffff");
  Operand o;
  o.name = "va";
  o.offset = INT64_MIN;
  EXPECT_EQ(PrintOperand(o), "va-0x8000000000000000");
}

TEST(ScenarioPrinter, AstEqualsSeesDifferences) {
  Scenario a = ParseOk(kSpecExample);
  Scenario b = ParseOk(kSpecExample);
  std::string why;
  EXPECT_TRUE(AstEquals(a, b, &why));
  b.threads[0].stmts[0].args[1].offset = 0x2000;
  EXPECT_FALSE(AstEquals(a, b, &why));
  EXPECT_THAT(why, HasSubstr("thread cpu"));
}

// ---------------------------------------------------------------------------
// Errors

TEST(ScenarioParserErrors, DiagnosticFormat) {
  Diagnostics d;
  absl::StatusOr<Scenario> s = ParseScenario(InSetup("  x = mmapp p fd"), "dir/a.scn", &d);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(d.diagnostics().size(), 1u);
  EXPECT_EQ(d.diagnostics()[0].ToString(),
            "dir/a.scn:6:7: error: unknown op 'mmapp' (did you mean 'mmap'?)");
  EXPECT_EQ(std::string(s.status().message()), d.diagnostics()[0].ToString());
}

TEST(ScenarioParserErrors, UnknownOp) {
  ExpectError(InSetup("  frobnicate p"), 6, 3, "unknown op 'frobnicate'");
  ExpectError(InSetup("  r = iommu-mapp p va len=4K"), 6, 7, "did you mean 'iommu-map'");
}

TEST(ScenarioParserErrors, UnknownKeywordAndOpsOutsideBlocks) {
  ExpectError("scenario t\nvarient dmabuf\n", 2, 1,
              "unknown keyword 'varient' (did you mean 'variant'?)");
  ExpectError("scenario t\np = process\n", 2, 1, "inside a setup, thread or finally block");
  ExpectError("scenario t\nend\n", 2, 1, "'end' without a block");
}

TEST(ScenarioParserErrors, UnknownAndDuplicateOptions) {
  ExpectError(InSetup("va = mmap p fd bar=0 size=4K"), 6, 22, "unknown option 'size=' for 'mmap'");
  ExpectError(InSetup("va = mmap p fd bar=0 lenn=4K"), 6, 22, "did you mean 'len'");
  ExpectError(InSetup("r = read p va len=4K"), 6, 15, "it takes no options");
  ExpectError(InSetup("va = mmap p fd bar=0 bar=1"), 6, 22, "duplicate option 'bar='");
  ExpectError(InSetup("touch p va"), 6, 1, "touch needs len=<n>");
  ExpectError(InSetup("info fd"), 6, 1, "info needs bar=<n>");
  ExpectError(InSetup("mmap p fd bar=0 prot=x"), 6, 22, "expected r or rw");
  ExpectError(InSetup("io = iommu-map p va len=4K prot=w"), 6, 33, "expected r or rw");
  ExpectError(InSetup("p = process nofile=many"), 6, 20, "expected an fd limit");
  ExpectError(InSetup("a = attach buf"), 6, 15, "attach needs dynamic or pinned");
  ExpectError(InSetup("power fd d1"), 6, 10, "power needs d3 or d0, found 'd1'");
  ExpectError(InSetup("reset fd fd"), 6, 10, "unexpected 'fd' after the operands of 'reset'");
}

TEST(ScenarioParserErrors, BadNumber) {
  ExpectError(InSetup("v = dma att 12Q"), 6, 13, "bad number '12Q'");
  ExpectError(InSetup("v = dma att 0x"), 6, 13, "bad number '0x'");
  ExpectError(InSetup("v = dma att 4k"), 6, 13, "upper case");
  ExpectError(InSetup("v = dma att x"), 6, 13, "expected a number, found 'x'");
  ExpectError(InSetup("export fd bar=0 ranges=0+"), 6, 26, "expected a range length");
}

TEST(ScenarioParserErrors, NumbersMustFitIn64Bits) {
  ExpectError("scenario t\ndevice d\n  bar 0 size=99999999999999999999\nend\n", 3, 14,
              "number does not fit in 64 bits");
  ExpectError(InSetup("v = dma att 0xffffffffffffffffff"), 6, 13, "number does not fit in 64 bits");
  ExpectError(InSetup("v = dma att 18446744073709551616"), 6, 13, "does not fit in 64 bits");
  ExpectError(InSetup("v = dma att 17179869184G"), 6, 13, "does not fit in 64 bits");
}

TEST(ScenarioParserErrors, AddressArithmeticMustFitIn64Bits) {
  ExpectError(InSetup("r = read p va+0xffffffffffffffff"), 6, 15,
              "address expression does not fit in 64 bits");
  ExpectError(InSetup("r = read p va+0x7fffffffffffffff+1"), 6, 34, "does not fit in 64 bits");
  ExpectError(InSetup("r = read p 0xffffffffffffffff+1"), 6, 31, "does not fit in 64 bits");
  ExpectError(InSetup("r = read p 0x1000-0x2000"), 6, 19, "address expression is negative");
  ExpectError("scenario t\nexpect never mapped(p, va-0x8000000000000001)\n", 2, 27,
              "does not fit in 64 bits");
}

TEST(ScenarioParserErrors, MissingEndAtEndOfFile) {
  ExpectError("scenario t\nsetup\n  p = process\n", 2, 1, "missing 'end' for setup");
  ExpectError("scenario t\nthread cpu\n  p = process", 2, 1, "missing 'end' for thread cpu");
  ExpectError("scenario t\ndevice gpu\n  bar 0 size=4K\n", 2, 1, "missing 'end' for device gpu");
}

TEST(ScenarioParserErrors, MissingEndBeforeTheNextBlock) {
  std::vector<Diagnostic> e = ParseErrors(
      "scenario t\n"
      "thread a\n"
      "  p = process\n"
      "thread b\n"
      "  q = process\n"
      "end\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].loc.line, 2);
  EXPECT_THAT(e[0].message, HasSubstr("missing 'end' for thread a"));
}

TEST(ScenarioParserErrors, ScenarioMustBeTheFirstStatement) {
  ExpectError("# comment\n\ntitle \"x\"\nscenario t\n", 3, 1,
              "must start with 'scenario <name>', found 'title'");
  ExpectError("scenario a\nscenario b\n", 2, 1, "'scenario' is already given at 1:1");
  ExpectError("scenario\n", 1, 9, "expected a scenario name, found end of line");
  ExpectError("scenario a b\n", 1, 12, "unexpected 'b' after the scenario name");
}

TEST(ScenarioParserErrors, EmptyFile) {
  ExpectError("", 1, 1, "empty scenario");
  ExpectError("\n\n   \n# only comments\n", 1, 1, "empty scenario");
}

TEST(ScenarioParserErrors, BadExpectationSyntax) {
  ExpectError("scenario t\nexpect always cpu.r in {0,", 2, 27, "expected a value");
  ExpectError("scenario t\nexpect always cpu.r in {0, SIGBUS\n", 2, 34, "expected ',' or '}'");
  ExpectError("scenario t\nexpect always cpu.r = 0\n", 2, 21, "expected '==', '!=' or 'in'");
  ExpectError("scenario t\nexpect always (a == 1\n", 2, 22, "expected ')'");
  ExpectError("scenario t\nexpect always a == 1 &&\n", 2, 24, "expected a condition");
  ExpectError("scenario t\nexpect always a == 1 b\n", 2, 22, "after the expectation");
  ExpectError("scenario t\nexpect always a == ENOSPC\n", 2, 20, "unknown errno 'ENOSPC'");
  ExpectError("scenario t\nexpect always a == SIGKILL\n", 2, 20, "unknown signal 'SIGKILL'");
  ExpectError("scenario t\nexpect always a == okay\n", 2, 20, "expected a value");
  ExpectError("scenario t\nexpect maybe a == 1\n", 2, 8, "expected clean, violation");
  ExpectError("scenario t\nexpect always a & b\n", 2, 17, "did you mean '&&'");
}

TEST(ScenarioParserErrors, UnknownArchAndVariant) {
  ExpectError("scenario t\nvariant dmabuff\n", 2, 9,
              "unknown variant 'dmabuff' (did you mean 'dmabuf'?)");
  ExpectError("scenario t\narch riscv\n", 2, 6, "unknown arch 'riscv'");
  ExpectError("scenario t\narch x86_64\narch arm64\n", 3, 1, "'arch' is already given at 2:1");
}

TEST(ScenarioParserErrors, KconfigSyntax) {
  ExpectError("scenario t\nkconfig ZONE_DEVICE=m\n", 2, 21,
              "Kconfig value must be y or n, not 'm'");
  ExpectError("scenario t\nkconfig zone_device=y\n", 2, 9, "bad Kconfig symbol 'zone_device'");
  ExpectError("scenario t\nkconfig ZONE_DEVICE\n", 2, 20, "expected '=' after ZONE_DEVICE");
  ExpectError("scenario t\nkconfig\n", 2, 8, "expected a Kconfig setting");
}

TEST(ScenarioParserErrors, BadBdfAndBarLines) {
  ExpectError("scenario t\ndevice d bdf=0000:01:20.0\nend\n", 2, 14, "bad bdf '0000:01:20.0'");
  ExpectError("scenario t\ndevice d bdf=01:00.0\nend\n", 2, 14, "bad bdf");
  ExpectError("scenario t\ndevice d\n  bar 0 mem64\nend\n", 3, 3, "bar needs size=<n>");
  ExpectError("scenario t\ndevice d\n  bar 0 size=4K mem32\nend\n", 3, 17,
              "unknown BAR flag 'mem32'");
  ExpectError("scenario t\ndevice d\n  bar 0 size=4K io io\nend\n", 3, 20, "duplicate 'io'");
  ExpectError("scenario t\ndevice d\n  p = process\nend\n", 3, 3,
              "expected 'bar' or 'end' in device d");
}

TEST(ScenarioParserErrors, UnterminatedStringAndStrayCharacters) {
  ExpectError("scenario t\ntitle \"abc\n", 2, 7, "unterminated string");
  ExpectError("scenario t\ntitle abc\n", 2, 7, "expected a quoted title");
  ExpectError("scenario t;\n", 1, 11, "unexpected character ';'");
  ExpectError("scenario t\n\xC3\xA9t\xC3\xA9\n", 2, 1, "unexpected character U+00E9");
}

TEST(ScenarioParserErrors, ControlCharactersAndInvalidUtf8) {
  ExpectError(std::string("scenario t\ntitle \"a\0b\"\n", 20), 2, 9, "NUL byte");
  ExpectError(std::string("scenario t\x01\n"), 1, 11, "invalid control character 0x01");
  ExpectError("scenario t\n# caf\xC3 broken\n", 2, 6, "invalid UTF-8 byte 0xc3");
  ExpectError("scenario t\ntitle \"\xFF\"\n", 2, 8, "invalid UTF-8 byte 0xff");
  ExpectError("scenario t\n# overlong \xC0\xAF\n", 2, 12, "invalid UTF-8");
  ExpectError("scenario t\n# surrogate \xED\xA0\x80\n", 2, 13, "invalid UTF-8");
  ExpectError("scenario t\r\r\n", 1, 11, "invalid control character 0x0d");
}

TEST(ScenarioParserErrors, BinaryGarbageNeverCrashes) {
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 200; ++round) {
    std::string text;
    if (round % 2) text = "scenario t\nsetup\n";
    size_t n = rng() % 4096;
    for (size_t i = 0; i < n; ++i) text.push_back(static_cast<char>(rng() & 0xff));
    Diagnostics d;
    absl::StatusOr<Scenario> s = ParseScenario(text, "garbage.scn", &d);
    ASSERT_FALSE(s.ok()) << "round " << round;
    for (const Diagnostic& e : d.diagnostics()) {
      EXPECT_GE(e.loc.line, 1);
      EXPECT_GE(e.loc.col, 1);
    }
    EXPECT_LE(d.diagnostics().size(), static_cast<size_t>(Diagnostics::kMaxErrorsPerFile) + 1);
  }
  // Every byte value right after a valid prefix.
  for (int b = 0; b < 256; ++b) {
    std::string text = InSetup(std::string("p = process ") + static_cast<char>(b) + "x");
    Diagnostics d;
    (void)ParseScenario(text, "b.scn", &d);
  }
}

TEST(ScenarioParserErrors, TenMegabyteLines) {
  constexpr size_t kTen = 10u << 20;
  auto start = std::chrono::steady_clock::now();
  // A long comment and a long title are fine.
  ParseOk("scenario t\n# " + std::string(kTen, 'c') + "\n");
  Scenario s = ParseOk("scenario t\ntitle \"" + std::string(kTen, 't') + "\"\n");
  EXPECT_EQ(s.title.size(), kTen);
  // A long name, a long run of tokens, a long number: clean errors.
  ExpectError("scenario t\nsetup\n  " + std::string(kTen, 'x') + "\nend\n", 3, 3,
              "unknown op 'xxxx");
  std::string many = "scenario t\nsetup\n  p = process";
  for (size_t i = 0; i < kTen / 2; ++i) many += " p";
  ExpectError(many + "\nend\n", 3, 15, "unexpected 'p'");
  ExpectError(InSetup("v = dma att " + std::string(kTen, '9')), 6, 13, "does not fit in 64 bits");
  std::string chain = InSetup("r = read p va" + [&] {
    std::string t;
    for (size_t i = 0; i < kTen / 3; ++i) t += "+1K";
    return t;
  }());
  ParseOk(chain);
  std::string hyphens = "scenario a";
  for (size_t i = 0; i < kTen / 2; ++i) hyphens += "-b";
  EXPECT_EQ(ParseOk(hyphens + "\n").name.size(), kTen + 1);
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(secs, kSlowdown * 10.0);
}

TEST(ScenarioParserErrors, DeeplyNestedParenthesesFailQuickly) {
  auto start = std::chrono::steady_clock::now();
  std::string open(100000, '(');
  std::string close(100000, ')');
  ExpectError("scenario t\nexpect always " + open + "a == 1" + close + "\n", 2, 15 + kMaxCondDepth,
              "too deeply nested");
  std::string nots(100000, '!');
  ExpectError("scenario t\nexpect always " + nots + "a == 1\n", 2, 15 + kMaxCondDepth,
              "too deeply nested");
  // Within the limit is fine.
  std::string ok_open(kMaxCondDepth - 1, '(');
  std::string ok_close(kMaxCondDepth - 1, ')');
  ParseOk("scenario t\nexpect always " + ok_open + "a == 1" + ok_close + "\n");
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(secs, kSlowdown * 2.0);
}

TEST(ScenarioParserErrors, LongOperatorChainsAreCapped) {
  std::string chain = "scenario t\nexpect always a == 1";
  for (int i = 0; i < 100000; ++i) chain += " && a == 1";
  std::vector<Diagnostic> e = ParseErrors(chain + "\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_THAT(e[0].message, HasSubstr("too deeply nested"));
  std::string ok = "scenario t\nexpect always a == 1";
  for (int i = 0; i < kMaxCondDepth - 1; ++i) ok += " || a == 1";
  ParseOk(ok + "\n");
}

TEST(ScenarioParserErrors, SeveralErrorsAreCollected) {
  std::vector<Diagnostic> e = ParseErrors(
      "scenario t\n"                     // 1
      "variant dmabuff\n"                // 2
      "setup\n"                          // 3
      "  p = procss\n"                   // 4
      "  fd = open gpu in\n"             // 5
      "  ok = process\n"                 // 6
      "  va = mmap p fd bar=0 len=2Q\n"  // 7
      "end\n"                            // 8
      "expect never x ==\n");            // 9
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].loc.line, 2);
  EXPECT_EQ(e[1].loc.line, 4);
  EXPECT_EQ(e[2].loc.line, 5);
  EXPECT_EQ(e[3].loc.line, 7);
  EXPECT_EQ(e[3].loc.col, 28);
  EXPECT_EQ(e[4].loc.line, 9);
}

TEST(ScenarioParserErrors, TooManyErrorsStopsTheParser) {
  std::string text = "scenario t\nsetup\n";
  for (int i = 0; i < 1000; ++i) text += "  bogus\n";
  std::vector<Diagnostic> e = ParseErrors(text);
  ASSERT_EQ(e.size(), static_cast<size_t>(Diagnostics::kMaxErrorsPerFile) + 1);
  EXPECT_THAT(e.back().message, HasSubstr("too many errors"));
}

TEST(ScenarioParserFiles, MissingFileIsAClearError) {
  Diagnostics d;
  absl::StatusOr<Scenario> s = ParseScenarioFile("/nonexistent/dir/x.scn", &d);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("/nonexistent/dir/x.scn: error: cannot read scenario file: No such file"));
  absl::StatusOr<Scenario> dir = ParseScenarioFile("/tmp", &d);
  ASSERT_FALSE(dir.ok());
  EXPECT_THAT(std::string(dir.status().message()), HasSubstr("it is a directory"));
}

TEST(ScenarioParserFiles, ParsesAndLoadsAFile) {
  std::filesystem::path p = std::filesystem::temp_directory_path() /
                            ("vfiosim-parser-test-" + std::to_string(::getpid()) + ".scn");
  {
    std::ofstream out(p);
    out << kSpecExample;
  }
  Diagnostics d;
  absl::StatusOr<Scenario> s = LoadScenarioFile(p.string(), &d);
  ASSERT_TRUE(s.ok()) << d.ToString();
  EXPECT_EQ(s->file, p.string());
  EXPECT_EQ(s->name, "fault-vs-revoke");
  {
    std::ofstream out(p);
    out << "scenario t\nsetup\n  va = mmap p fd bar=0\nend\n";
  }
  absl::StatusOr<Scenario> bad = LoadScenarioFile(p.string(), &d);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr(p.string() + ":3:13: error: undefined name 'p'"));
  std::filesystem::remove(p);
}

}  // namespace
}  // namespace vfiosim::scn
