// Tests for model/kconfig: the kernel's Kconfig rules per variant and arch,
// the evaluator's error rules, the expression parser and the .config reader.
#include "model/kconfig/kconfig.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "model/arch.h"

namespace vfiosim::kconfig {
namespace {

using ::testing::HasSubstr;

Config MustEvaluate(Arch arch, Variant variant, const std::vector<Setting>& settings = {},
                    const Options& opts = {}) {
  absl::StatusOr<Config> c = Evaluate(arch, variant, settings, opts);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : Config();
}

EvalError MustFail(Arch arch, Variant variant, const std::vector<Setting>& settings,
                   const Options& opts = {}) {
  std::variant<Config, EvalError> r = EvaluateDetailed(arch, variant, settings, opts);
  EXPECT_TRUE(std::holds_alternative<EvalError>(r)) << "evaluation unexpectedly succeeded";
  return std::holds_alternative<EvalError>(r) ? std::get<EvalError>(r) : EvalError{};
}

// ---- Arch defaults ----

TEST(KconfigTest, X86DefaultsEnableDmabufExport) {
  for (Variant v : {Variant::kLegacy, Variant::kDmabuf}) {
    Config c = MustEvaluate(Arch::kX86_64, v);
    EXPECT_TRUE(c.vfio_pci_dmabuf()) << VariantName(v);
    EXPECT_TRUE(c.p2pdma_provider_available()) << VariantName(v);
    EXPECT_TRUE(c.enabled("PCI_P2PDMA"));
    EXPECT_TRUE(c.enabled("ZONE_DEVICE"));
    EXPECT_TRUE(c.enabled("DMA_SHARED_BUFFER"));
    EXPECT_TRUE(c.enabled("VFIO_PCI_MMAP"));
    EXPECT_TRUE(c.enabled("VFIO_PCI_INTX"));
    // PCI_P2PDMA's selects and VFIO_PCI_CORE's.
    EXPECT_TRUE(c.enabled("GENERIC_ALLOCATOR"));
    EXPECT_TRUE(c.enabled("NEED_SG_DMA_FLAGS"));
    EXPECT_TRUE(c.enabled("VFIO_VIRQFD"));
    EXPECT_TRUE(c.enabled("IRQ_BYPASS_MANAGER"));
    EXPECT_TRUE(c.warnings().empty());
  }
}

TEST(KconfigTest, X86HasPmdAndPudPfnmap) {
  Config c = MustEvaluate(Arch::kX86_64, Variant::kDmabuf);
  EXPECT_TRUE(c.huge_pfnmap_pmd());
  EXPECT_TRUE(c.huge_pfnmap_pud());
}

TEST(KconfigTest, Arm64HasPmdButNotPudPfnmap) {
  Config c = MustEvaluate(Arch::kArm64, Variant::kDmabuf);
  EXPECT_TRUE(c.enabled("ARCH_SUPPORTS_HUGE_PFNMAP"));
  EXPECT_TRUE(c.huge_pfnmap_pmd());
  EXPECT_FALSE(c.huge_pfnmap_pud());
  EXPECT_TRUE(c.p2pdma_provider_available());
  EXPECT_TRUE(c.vfio_pci_dmabuf());
}

TEST(KconfigTest, I386HasNoP2pdma) {
  for (Variant v : {Variant::kLegacy, Variant::kDmabuf}) {
    Config c = MustEvaluate(Arch::kI386, v);
    EXPECT_FALSE(c.enabled("64BIT"));
    EXPECT_FALSE(c.enabled("ZONE_DEVICE"));
    EXPECT_FALSE(c.enabled("PCI_P2PDMA"));
    EXPECT_FALSE(c.p2pdma_provider_available());
    EXPECT_FALSE(c.vfio_pci_dmabuf());
    EXPECT_TRUE(c.enabled("DMA_SHARED_BUFFER"));
    EXPECT_FALSE(c.enabled("GENERIC_ALLOCATOR"));
    EXPECT_FALSE(c.huge_pfnmap_pmd());
    EXPECT_FALSE(c.huge_pfnmap_pud());
    EXPECT_TRUE(c.enabled("VFIO_PCI_MMAP"));
  }
}

// ---- Dependency and select rules ----

TEST(KconfigTest, DependencyChainZoneDeviceOffDisablesP2pdma) {
  // MEMORY_HOTREMOVE=n -> ZONE_DEVICE's default yields -> PCI_P2PDMA's too.
  Config c = MustEvaluate(Arch::kX86_64, Variant::kLegacy, {{"MEMORY_HOTREMOVE", false}});
  EXPECT_TRUE(c.enabled("MEMORY_HOTPLUG"));
  EXPECT_FALSE(c.enabled("ZONE_DEVICE"));
  EXPECT_FALSE(c.enabled("PCI_P2PDMA"));
  EXPECT_FALSE(c.enabled("GENERIC_ALLOCATOR"));
  EXPECT_FALSE(c.vfio_pci_dmabuf());
  EXPECT_FALSE(c.p2pdma_provider_available());
}

TEST(KconfigTest, DefaultYieldsToUnmetDependency) {
  // 64BIT=n on x86_64: MEMORY_HOTPLUG, then ZONE_DEVICE and PCI_P2PDMA, lose
  // their default y without an error.
  Config c = MustEvaluate(Arch::kX86_64, Variant::kDmabuf, {{"64BIT", false}});
  EXPECT_FALSE(c.enabled("MEMORY_HOTPLUG"));
  EXPECT_FALSE(c.enabled("MEMORY_HOTREMOVE"));
  EXPECT_FALSE(c.enabled("ZONE_DEVICE"));
  EXPECT_FALSE(c.enabled("PCI_P2PDMA"));
  EXPECT_FALSE(c.vfio_pci_dmabuf());
  EXPECT_TRUE(c.warnings().empty());
}

TEST(KconfigTest, TransparentHugepageOffDisablesHugePfnmap) {
  Config c = MustEvaluate(Arch::kX86_64, Variant::kDmabuf, {{"TRANSPARENT_HUGEPAGE", false}});
  EXPECT_FALSE(c.enabled("ARCH_SUPPORTS_HUGE_PFNMAP"));
  EXPECT_FALSE(c.huge_pfnmap_pmd());
  EXPECT_FALSE(c.huge_pfnmap_pud());
}

TEST(KconfigTest, ExplicitYWithUnmetDependencyIsError) {
  std::vector<Setting> s = {{"TRANSPARENT_HUGEPAGE", true, 3, 9}, {"PCI_P2PDMA", true, 4, 9}};
  EvalError e = MustFail(Arch::kI386, Variant::kDmabuf, s);
  EXPECT_EQ(e.setting_index, 1u);
  EXPECT_EQ(e.message,
            "PCI_P2PDMA=y requires PCI && ZONE_DEVICE && 64BIT, which is n "
            "(PCI=y, ZONE_DEVICE=n, 64BIT=n)");
  absl::StatusOr<Config> c = Evaluate(Arch::kI386, Variant::kDmabuf, s);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(), e.message);
}

TEST(KconfigTest, ExplicitYOfArchProvidedSymbolChecksItsDependency) {
  EvalError e = MustFail(Arch::kX86_64, Variant::kDmabuf,
                         {{"TRANSPARENT_HUGEPAGE", false}, {"ARCH_SUPPORTS_HUGE_PFNMAP", true}});
  EXPECT_EQ(e.setting_index, 1u);
  EXPECT_THAT(e.message, HasSubstr("ARCH_SUPPORTS_HUGE_PFNMAP=y requires TRANSPARENT_HUGEPAGE"));
}

TEST(KconfigTest, SelectOverridesDefaultN) {
  // A platform whose drivers do not select DMA_SHARED_BUFFER.
  PlatformDefaults defaults = ArchDefaults(Arch::kX86_64);
  defaults["DMA_SHARED_BUFFER"] = false;
  auto patched = EvaluateTable(StandardTable(Variant::kDmabuf, {}), defaults, {});
  ASSERT_TRUE(std::holds_alternative<Config>(patched));
  EXPECT_TRUE(std::get<Config>(patched).enabled("DMA_SHARED_BUFFER"));  // VFIO_PCI_CORE selects it
  EXPECT_TRUE(std::get<Config>(patched).vfio_pci_dmabuf());
  auto legacy = EvaluateTable(StandardTable(Variant::kLegacy, {}), defaults, {});
  ASSERT_TRUE(std::holds_alternative<Config>(legacy));
  EXPECT_FALSE(std::get<Config>(legacy).enabled("DMA_SHARED_BUFFER"));
  EXPECT_FALSE(std::get<Config>(legacy).vfio_pci_dmabuf());
}

TEST(KconfigTest, ExplicitNContradictingSelectIsError) {
  EvalError e = MustFail(Arch::kX86_64, Variant::kDmabuf, {{"DMA_SHARED_BUFFER", false}});
  EXPECT_EQ(e.setting_index, 0u);
  EXPECT_EQ(e.message,
            "DMA_SHARED_BUFFER=n contradicts 'select DMA_SHARED_BUFFER' by VFIO_PCI_CORE");
}

TEST(KconfigTest, ExplicitNOfSelectedSymbolIsFineWhenSelectorIsOff) {
  Config c = MustEvaluate(Arch::kX86_64, Variant::kDmabuf,
                          {{"VFIO_PCI_CORE", false}, {"DMA_SHARED_BUFFER", false}});
  EXPECT_FALSE(c.enabled("DMA_SHARED_BUFFER"));
  EXPECT_FALSE(c.enabled("VFIO_VIRQFD"));
  EXPECT_FALSE(c.enabled("IRQ_BYPASS_MANAGER"));
  EXPECT_FALSE(c.enabled("VFIO_PCI_MMAP"));
  EXPECT_FALSE(c.enabled("VFIO_PCI_INTX"));
}

TEST(KconfigTest, DerivedSymbolCannotBeSet) {
  EvalError e = MustFail(Arch::kX86_64, Variant::kDmabuf, {{"VFIO_PCI_DMABUF", true}});
  EXPECT_EQ(e.setting_index, 0u);
  EXPECT_EQ(e.message,
            "VFIO_PCI_DMABUF cannot be set by hand: it is derived (def_bool y if PCI_P2PDMA)");
  EvalError legacy = MustFail(Arch::kX86_64, Variant::kLegacy, {{"VFIO_PCI_DMABUF", false}});
  EXPECT_THAT(legacy.message,
              HasSubstr("def_bool y if VFIO_PCI_CORE && PCI_P2PDMA && DMA_SHARED_BUFFER"));
  EvalError pmd = MustFail(Arch::kX86_64, Variant::kDmabuf, {{"ARCH_SUPPORTS_PMD_PFNMAP", false}});
  EXPECT_THAT(pmd.message, HasSubstr("ARCH_SUPPORTS_PMD_PFNMAP cannot be set by hand"));
}

TEST(KconfigTest, SelectOnlySymbolCannotBeSet) {
  EvalError e = MustFail(Arch::kX86_64, Variant::kLegacy, {{"VFIO_VIRQFD", true}});
  EXPECT_EQ(e.message,
            "VFIO_VIRQFD cannot be set by hand: it has no prompt and only 'select' enables it "
            "(selected by VFIO_PCI_CORE)");
}

TEST(KconfigTest, UnknownSymbolIsError) {
  EvalError e = MustFail(Arch::kX86_64, Variant::kDmabuf, {{"PCI", true}, {"PCI_P2PDAM", true}});
  EXPECT_EQ(e.setting_index, 1u);
  EXPECT_EQ(e.message, "unknown Kconfig symbol PCI_P2PDAM (did you mean PCI_P2PDMA?)");
  EvalError far = MustFail(Arch::kX86_64, Variant::kDmabuf, {{"DRM_AMDGPU", true}});
  EXPECT_EQ(far.message, "unknown Kconfig symbol DRM_AMDGPU");
  EvalError prefixed = MustFail(Arch::kX86_64, Variant::kDmabuf, {{"CONFIG_ZONE_DEVICE", true}});
  EXPECT_THAT(prefixed.message, HasSubstr("without CONFIG_: ZONE_DEVICE"));
}

TEST(KconfigTest, EarliestSettingAtFaultIsReported) {
  // Setting 0 contradicts a select (found during evaluation), setting 1 is
  // unknown (found before): the error names setting 0.
  EvalError e = MustFail(Arch::kX86_64, Variant::kDmabuf,
                         {{"DMA_SHARED_BUFFER", false}, {"NO_SUCH_SYMBOL", true}});
  EXPECT_EQ(e.setting_index, 0u);
  EXPECT_THAT(e.message, HasSubstr("contradicts"));
}

TEST(KconfigTest, LastSettingOfASymbolWins) {
  Config c =
      MustEvaluate(Arch::kX86_64, Variant::kLegacy, {{"PCI_P2PDMA", false}, {"PCI_P2PDMA", true}});
  EXPECT_TRUE(c.enabled("PCI_P2PDMA"));
  ASSERT_EQ(c.warnings().size(), 1u);
  EXPECT_THAT(c.warnings()[0], HasSubstr("PCI_P2PDMA is set more than once"));
}

// ---- The two variants and the fix ----

TEST(KconfigTest, LegacyDmabufNeedsDmaSharedBuffer) {
  Config c = MustEvaluate(Arch::kX86_64, Variant::kLegacy, {{"DMA_SHARED_BUFFER", false}});
  EXPECT_FALSE(c.enabled("DMA_SHARED_BUFFER"));  // legacy VFIO_PCI_CORE does not select it
  EXPECT_TRUE(c.enabled("PCI_P2PDMA"));
  EXPECT_FALSE(c.vfio_pci_dmabuf());
  EXPECT_TRUE(c.p2pdma_provider_available());
  // ... and VFIO_PCI_CORE.
  EXPECT_FALSE(
      MustEvaluate(Arch::kX86_64, Variant::kLegacy, {{"VFIO_PCI_CORE", false}}).vfio_pci_dmabuf());
}

TEST(KconfigTest, PatchDmabufOnlyNeedsP2pdma) {
  // Without VFIO_PCI_CORE and without DMA_SHARED_BUFFER, PCI_P2PDMA alone
  // (within the VFIO/PCI menu) turns VFIO_PCI_DMABUF on.
  Config c = MustEvaluate(Arch::kX86_64, Variant::kDmabuf,
                          {{"VFIO_PCI_CORE", false}, {"DMA_SHARED_BUFFER", false}});
  EXPECT_TRUE(c.vfio_pci_dmabuf());
  Config no_p2p = MustEvaluate(Arch::kX86_64, Variant::kDmabuf, {{"PCI_P2PDMA", false}});
  EXPECT_FALSE(no_p2p.vfio_pci_dmabuf());
  EXPECT_FALSE(no_p2p.p2pdma_provider_available());
  EXPECT_TRUE(no_p2p.enabled("DMA_SHARED_BUFFER"));
}

TEST(KconfigTest, P2pdmaCoreFixProvidesProviderOnI386) {
  Config without = MustEvaluate(Arch::kI386, Variant::kDmabuf);
  EXPECT_FALSE(without.p2pdma_provider_available());
  EXPECT_FALSE(without.enabled("PCI_P2PDMA_CORE"));  // known, but not defined without the fix

  Config with = MustEvaluate(Arch::kI386, Variant::kDmabuf, {}, {.p2pdma_core_fix = true});
  EXPECT_TRUE(with.enabled("PCI_P2PDMA_CORE"));
  EXPECT_FALSE(with.enabled("PCI_P2PDMA"));
  EXPECT_TRUE(with.p2pdma_provider_available());
  EXPECT_FALSE(with.vfio_pci_dmabuf());  // the posted VFIO_PCI_DMABUF rule still wants PCI_P2PDMA

  // The fix follows VFIO_PCI_CORE.
  Config no_core = MustEvaluate(Arch::kI386, Variant::kDmabuf, {{"VFIO_PCI_CORE", false}},
                                {.p2pdma_core_fix = true});
  EXPECT_FALSE(no_core.p2pdma_provider_available());
}

TEST(KconfigTest, P2pdmaCoreCannotBeSetWithOrWithoutTheFix) {
  EvalError without = MustFail(Arch::kI386, Variant::kDmabuf, {{"PCI_P2PDMA_CORE", true}});
  EXPECT_EQ(without.message, "PCI_P2PDMA_CORE is not defined in this kernel");
  EvalError with = MustFail(Arch::kI386, Variant::kDmabuf, {{"PCI_P2PDMA_CORE", true}},
                            {.p2pdma_core_fix = true});
  EXPECT_THAT(with.message, HasSubstr("PCI_P2PDMA_CORE cannot be set by hand"));
}

TEST(KconfigTest, DefBoolIfFalseGivesN) {
  Config s390 = MustEvaluate(Arch::kX86_64, Variant::kLegacy, {{"S390", true}});
  EXPECT_TRUE(s390.enabled("VFIO_PCI_CORE"));
  EXPECT_FALSE(s390.enabled("VFIO_PCI_MMAP"));
  EXPECT_FALSE(s390.vfio_pci_mmap());
  EXPECT_FALSE(s390.enabled("VFIO_PCI_INTX"));
  EXPECT_TRUE(MustEvaluate(Arch::kX86_64, Variant::kLegacy).enabled("VFIO_PCI_MMAP"));
}

TEST(KconfigTest, VfioOffDisablesTheWholeVfioPciMenu) {
  // Default y of VFIO_PCI_CORE yields to `if VFIO`; nothing selects the rest.
  Config c = MustEvaluate(Arch::kX86_64, Variant::kDmabuf, {{"VFIO", false}});
  EXPECT_FALSE(c.enabled("VFIO_PCI_CORE"));
  EXPECT_FALSE(c.enabled("VFIO_VIRQFD"));
  EXPECT_FALSE(c.enabled("VFIO_PCI_MMAP"));
  EXPECT_FALSE(c.vfio_pci_dmabuf());
  EXPECT_TRUE(c.enabled("PCI_P2PDMA"));
}

// ---- Config ----

TEST(KconfigTest, DumpIsSorted) {
  Config c = MustEvaluate(Arch::kArm64, Variant::kDmabuf);
  std::string dump = c.Dump();
  std::vector<std::string> names;
  size_t start = 0;
  while (start < dump.size()) {
    size_t eol = dump.find('\n', start);
    std::string line = dump.substr(start, eol - start);
    start = eol + 1;
    std::string name;
    if (line.rfind("CONFIG_", 0) == 0) {
      name = line.substr(7, line.find('=') - 7);
      EXPECT_EQ(line.substr(line.find('=')), "=y");
    } else {
      ASSERT_EQ(line.rfind("# CONFIG_", 0), 0u) << line;
      name = line.substr(9, line.find(' ', 9) - 9);
      EXPECT_EQ(line.substr(9 + name.size()), " is not set");
    }
    names.push_back(name);
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(names.size(), c.values().size());
  EXPECT_EQ(names.front(), "64BIT");
  EXPECT_THAT(
      dump,
      HasSubstr(
          "CONFIG_ARCH_SUPPORTS_PMD_PFNMAP=y\n# CONFIG_ARCH_SUPPORTS_PUD_PFNMAP is not set\n"));
  EXPECT_THAT(dump, HasSubstr("# CONFIG_S390 is not set\n"));
}

TEST(KconfigTest, KnownSymbolsListsEveryModeledSymbol) {
  std::vector<std::string_view> known = KnownSymbols();
  EXPECT_TRUE(std::is_sorted(known.begin(), known.end()));
  EXPECT_EQ(known.size(), 26u);
  for (std::string_view s : {"64BIT", "S390", "VFIO_PCI_DMABUF", "PCI_P2PDMA_CORE",
                             "ARCH_SUPPORTS_PUD_PFNMAP", "HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD"}) {
    EXPECT_TRUE(IsKnownSymbol(s)) << s;
  }
  EXPECT_FALSE(IsKnownSymbol("DRM"));
  EXPECT_FALSE(IsKnownSymbol("CONFIG_PCI"));
  // Every variant's table defines all of them except the fix's symbol.
  EXPECT_EQ(StandardTable(Variant::kLegacy, {}).symbols().size(), 25u);
  EXPECT_EQ(StandardTable(Variant::kDmabuf, {.p2pdma_core_fix = true}).symbols().size(), 26u);
}

TEST(KconfigDeathTest, EnabledAbortsOnUnknownSymbol) {
  Config c = MustEvaluate(Arch::kX86_64, Variant::kDmabuf);
  EXPECT_DEATH(c.enabled("NOT_A_SYMBOL"), "unknown Kconfig symbol");
}

// ---- Expressions ----

TEST(KconfigExprTest, ExpressionParserPrecedence) {
  absl::StatusOr<Expr> e = Expr::Parse("!A && B || C");
  ASSERT_TRUE(e.ok()) << e.status();
  // ((!A) && B) || C
  ASSERT_EQ(e->op(), Expr::Op::kOr);
  std::vector<Expr> top = e->operands();
  ASSERT_EQ(top.size(), 2u);
  ASSERT_EQ(top[0].op(), Expr::Op::kAnd);
  EXPECT_EQ(top[0].operands()[0].op(), Expr::Op::kNot);
  EXPECT_EQ(top[0].operands()[0].operands()[0].name(), "A");
  EXPECT_EQ(top[1].name(), "C");
  for (int bits = 0; bits < 8; ++bits) {
    bool a = bits & 1, b = bits & 2, c = bits & 4;
    bool got = e->Eval([&](std::string_view s) { return s == "A" ? a : s == "B" ? b : c; });
    EXPECT_EQ(got, (!a && b) || c) << bits;
  }
  // Printing keeps exactly the parentheses precedence needs.
  EXPECT_EQ(Expr::Parse("(A && B) || C")->ToString(), "A && B || C");
  EXPECT_EQ(Expr::Parse("A && (B || C)")->ToString(), "A && (B || C)");
  EXPECT_EQ(Expr::Parse("!(A && B)")->ToString(), "!(A && B)");
  EXPECT_EQ(Expr::Parse("A || B && !C")->ToString(), "A || B && !C");
  EXPECT_EQ(Expr::Parse("  ")->ToString(), "y");
  EXPECT_TRUE(Expr::Parse("")->IsTrue());
  EXPECT_EQ(Expr::Parse("B && A && B")->Symbols(), (std::vector<std::string>{"B", "A"}));
}

TEST(KconfigExprTest, ExpressionParserRejectsMalformedInput) {
  for (const char* bad : {"A &&", "A & B", "(A || B", "A || B)", "A B", "!", "A = y"}) {
    absl::StatusOr<Expr> e = Expr::Parse(bad);
    EXPECT_FALSE(e.ok()) << bad;
    EXPECT_THAT(e.status().message(), HasSubstr("column")) << bad;
  }
}

// ---- Custom tables ----

TEST(KconfigTableTest, CycleIsReportedNotHung) {
  // The classic one: A depends on B, and A selects B.
  absl::StatusOr<SymbolTable> t = SymbolTable::Build({
      {"A", SymbolKind::kPrompt, "B", {{"B"}}},
      {"B", SymbolKind::kPrompt},
  });
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "recursive dependency detected: A depends on B, B is selected by A");
  // Through a default condition and a chain of three.
  absl::StatusOr<SymbolTable> chain = SymbolTable::Build({
      {"X", SymbolKind::kDerived, "Y", {}, {{true, ""}}},
      {"Y", SymbolKind::kPrompt, "Z"},
      {"Z", SymbolKind::kDerived, "", {}, {{true, "X"}}},
  });
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.status().message(),
            "recursive dependency detected: X depends on Y, Y depends on Z, Z has a default that "
            "depends on X");
  // A symbol that selects itself.
  EXPECT_FALSE(SymbolTable::Build({{"S", SymbolKind::kPrompt, "", {{"S"}}}}).ok());
}

TEST(KconfigTableTest, BuildRejectsBadDefinitions) {
  EXPECT_THAT(SymbolTable::Build({{"A", SymbolKind::kPrompt, "B"}}).status().message(),
              HasSubstr("undefined symbol B"));
  EXPECT_THAT(SymbolTable::Build({{"A"}, {"A"}}).status().message(), HasSubstr("defined twice"));
  EXPECT_THAT(SymbolTable::Build({{"A", SymbolKind::kPrompt, "(("}}).status().message(),
              HasSubstr("config A: depends on: column 3"));
  EXPECT_THAT(SymbolTable::Build({{"A", SymbolKind::kPrompt, "", {{"NOPE"}}}}).status().message(),
              HasSubstr("selects undefined symbol NOPE"));
}

TEST(KconfigTableTest, CustomTableFollowsKconfigRules) {
  absl::StatusOr<SymbolTable> t = SymbolTable::Build({
      {"BASE", SymbolKind::kPrompt},
      {"OPT", SymbolKind::kPrompt, "BASE", {{"LIB", "!BASE_ONLY"}}},
      {"BASE_ONLY", SymbolKind::kPrompt},
      {"LIB", SymbolKind::kSelectOnly, "BASE"},
      {"DERIVED", SymbolKind::kDerived, "", {}, {{false, "BASE_ONLY"}, {true, "OPT"}}},
  });
  ASSERT_TRUE(t.ok()) << t.status();
  auto eval = [&](const std::vector<Setting>& s) { return EvaluateTable(*t, {{"BASE", true}}, s); };

  auto r = eval({{"OPT", true}});
  ASSERT_TRUE(std::holds_alternative<Config>(r));
  EXPECT_TRUE(std::get<Config>(r).enabled("LIB"));      // select if !BASE_ONLY
  EXPECT_TRUE(std::get<Config>(r).enabled("DERIVED"));  // first matching default: y if OPT

  r = eval({{"OPT", true}, {"BASE_ONLY", true}});
  ASSERT_TRUE(std::holds_alternative<Config>(r));
  EXPECT_FALSE(std::get<Config>(r).enabled("LIB"));      // select condition false
  EXPECT_FALSE(std::get<Config>(r).enabled("DERIVED"));  // "default n if BASE_ONLY" comes first

  // A select beats an unmet dependency of its target, as in kconfig, with a warning.
  absl::StatusOr<SymbolTable> u = SymbolTable::Build({
      {"DEP", SymbolKind::kPrompt},
      {"SEL", SymbolKind::kPrompt, "", {{"T"}}},
      {"T", SymbolKind::kSelectOnly, "DEP"},
  });
  ASSERT_TRUE(u.ok()) << u.status();
  auto w = EvaluateTable(*u, {}, {{"SEL", true}});
  ASSERT_TRUE(std::holds_alternative<Config>(w));
  EXPECT_TRUE(std::get<Config>(w).enabled("T"));
  ASSERT_EQ(std::get<Config>(w).warnings().size(), 1u);
  EXPECT_THAT(std::get<Config>(w).warnings()[0], HasSubstr("unmet direct dependencies"));
}

TEST(KconfigTableTest, PlatformDefaultMustNameASettableSymbol) {
  auto r = EvaluateTable(StandardTable(Variant::kDmabuf, {}), {{"VFIO_PCI_DMABUF", true}}, {});
  ASSERT_TRUE(std::holds_alternative<EvalError>(r));
  EXPECT_EQ(std::get<EvalError>(r).setting_index, EvalError::kNoSetting);
}

// ---- .config ----

TEST(KconfigDotConfigTest, ParseDotConfigHandlesNotSet) {
  absl::StatusOr<std::vector<Setting>> s = ParseDotConfig(
      "#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_PCI=y\n"
      "# CONFIG_ZONE_DEVICE is not set\n\nCONFIG_VFIO_PCI_CORE=m\n",
      "x.config");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->size(), 3u);
  EXPECT_EQ((*s)[0].symbol, "PCI");
  EXPECT_TRUE((*s)[0].value);
  EXPECT_EQ((*s)[0].line, 4);
  EXPECT_EQ((*s)[0].col, 1);
  EXPECT_EQ((*s)[1].symbol, "ZONE_DEVICE");
  EXPECT_FALSE((*s)[1].value);
  EXPECT_EQ((*s)[1].line, 5);
  EXPECT_EQ((*s)[1].col, 3);
  EXPECT_EQ((*s)[2].symbol, "VFIO_PCI_CORE");
  EXPECT_TRUE((*s)[2].value);  // m counts as y
  EXPECT_EQ((*s)[2].source, SettingSource::kDotConfig);

  Config c = MustEvaluate(Arch::kX86_64, Variant::kDmabuf, *s);
  EXPECT_FALSE(c.enabled("ZONE_DEVICE"));
  EXPECT_FALSE(c.p2pdma_provider_available());
}

TEST(KconfigDotConfigTest, ParseDotConfigIgnoresUnknownSymbols) {
  absl::StatusOr<std::vector<Setting>> s = ParseDotConfig(
      "CONFIG_DRM=y\r\nCONFIG_HZ=250\nCONFIG_PHYSICAL_START=0x1000000\n"
      "CONFIG_CMDLINE=\"console=ttyS0 root=\\\"/dev/sda\\\"\"\n# CONFIG_KVM is not set\n"
      "CONFIG_PCI_P2PDMA=y\n# CONFIG_PCI is set to something\n",
      "real.config");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0].symbol, "PCI_P2PDMA");
  EXPECT_EQ((*s)[0].line, 6);
}

TEST(KconfigDotConfigTest, ParseDotConfigReportsMalformedLineWithLineAndColumn) {
  struct Case {
    const char* text;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {"CONFIG_PCI=y\nPCI=y\n", "f.config:2:1: error: expected 'CONFIG_<NAME>=<value>'"},
           {"CONFIG_PCI y\n", "f.config:1:11: error: expected '=' after CONFIG_PCI"},
           {"CONFIG_=y\n", "f.config:1:8: error: expected a symbol name after 'CONFIG_'"},
           {"\n\nCONFIG_HZ=\n", "f.config:3:11: error: missing value for CONFIG_HZ"},
           {"CONFIG_FOO=yes\n", "f.config:1:12: error: malformed value 'yes' for CONFIG_FOO"},
           {"CONFIG_CMDLINE=\"abc\n", "f.config:1:16: error: unterminated string"},
           {"CONFIG_CMDLINE=\"a\"b\n", "f.config:1:19: error: unexpected text after the string"},
           {"  CONFIG_PCI=\"y\"\n",
            "f.config:1:14: error: CONFIG_PCI is a bool symbol: expected y, m or n, got '\"y\"'"},
       }) {
    absl::StatusOr<std::vector<Setting>> s = ParseDotConfig(c.text, "f.config");
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.status().message()), ::testing::StartsWith(c.error)) << c.text;
  }
}

TEST(KconfigDotConfigTest, DotConfigValuesOfDerivedSymbolsAreRecomputed) {
  // An x86_64 .config records VFIO_PCI_DMABUF=y and PCI_P2PDMA_CORE=y; on
  // i386 without the fix they are recomputed (n) and not errors.
  absl::StatusOr<std::vector<Setting>> s = ParseDotConfig(
      "CONFIG_VFIO_PCI_DMABUF=y\nCONFIG_GENERIC_ALLOCATOR=y\nCONFIG_PCI_P2PDMA_CORE=y\n", "x");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->size(), 3u);
  Config c = MustEvaluate(Arch::kI386, Variant::kDmabuf, *s);
  EXPECT_FALSE(c.vfio_pci_dmabuf());
  EXPECT_FALSE(c.enabled("GENERIC_ALLOCATOR"));
  EXPECT_FALSE(c.p2pdma_provider_available());
  // The same values written in a scenario are errors.
  std::vector<Setting> explicit_settings = *s;
  for (Setting& e : explicit_settings) e.source = SettingSource::kExplicit;
  EXPECT_FALSE(Evaluate(Arch::kI386, Variant::kDmabuf, explicit_settings).ok());
}

TEST(KconfigDotConfigTest, DotConfigSettingsObeyTheRules) {
  absl::StatusOr<std::vector<Setting>> s =
      ParseDotConfig("CONFIG_PCI=y\n# CONFIG_DMA_SHARED_BUFFER is not set\n", "x");
  ASSERT_TRUE(s.ok()) << s.status();
  EvalError e = MustFail(Arch::kX86_64, Variant::kDmabuf, *s);
  EXPECT_EQ(e.setting_index, 1u);
  EXPECT_EQ((*s)[e.setting_index].line, 2);
  EXPECT_THAT(e.message, HasSubstr("contradicts 'select DMA_SHARED_BUFFER'"));
}

}  // namespace
}  // namespace vfiosim::kconfig
