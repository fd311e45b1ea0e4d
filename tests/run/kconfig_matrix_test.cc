// The Kconfig matrix (sim/run/kconfig_matrix.h; the last tests check how
// `vfiosim kconfig --matrix` renders it, sim/cli/kconfig_matrix.h) pins the
// review of "vfio/pci: convert BAR mmap to a DMABUF": without PCI_P2PDMA (i386, or no
// ZONE_DEVICE) the patch's BAR mmap fails while region info still advertises
// VFIO_REGION_INFO_FLAG_MMAP; the legacy kernel is fine; each proposed fix
// resolves it in the way it promises. Also the Kconfig evaluator's rules that
// tests/model/kconfig_test.cc does not cover: long dependency chains, selects that
// override defaults, `def_bool y if`, and contradictions through selects.
#include "sim/cli/kconfig_matrix.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "model/arch.h"
#include "model/fixes.h"
#include "model/kconfig/kconfig.h"
#include "tests/tool_runner.h"

namespace vfiosim::cli {
namespace {

using sim::BuildKconfigMatrix;
using sim::KconfigMatrix;
using sim::KconfigMatrixRow;
using sim::KconfigMatrixSkip;
using sim::KconfigProbe;

using ::testing::HasSubstr;

constexpr uint64_t k4K = 4096, k2M = uint64_t{2} << 20, k1G = uint64_t{1} << 30;
constexpr int kEINVAL = 22, kENOTTY = 25;

const KconfigMatrix& Matrix() {
  static const KconfigMatrix* const m = new KconfigMatrix(BuildKconfigMatrix());
  return *m;
}

const KconfigMatrixRow& Row(Arch arch, bool zone_device, bool dma_shared_buffer, Variant variant,
                            std::optional<Fix> fix) {
  const KconfigMatrixRow* r = Matrix().Find(arch, zone_device, dma_shared_buffer, variant, fix);
  if (!r) {
    ADD_FAILURE() << "no matrix row for " << ArchName(arch) << " ZONE_DEVICE=" << zone_device
                  << " DMA_SHARED_BUFFER=" << dma_shared_buffer << " " << VariantName(variant) << " " << FixName(fix);
    static const KconfigMatrixRow empty;
    return empty;
  }
  return *r;
}

// The largest leaf the arch's page tables and huge-pfnmap Kconfig allow for
// the probe's device (BAR2 is 1G on 64-bit arches).
uint64_t ArchLargestLeaf(Arch arch) {
  switch (arch) {
    case Arch::kX86_64:
      return k1G;
    case Arch::kArm64:
      return k2M;  // no PUD pfnmap with 4K pages
    case Arch::kI386:
      return k4K;  // no huge pfnmap at all
  }
  return 0;
}

std::string Where(const KconfigMatrixRow& r) {
  return std::string(ArchName(r.arch)) + (r.zone_device ? " ZONE_DEVICE=y" : " ZONE_DEVICE=n") +
         (r.dma_shared_buffer ? " DMA_SHARED_BUFFER=y " : " DMA_SHARED_BUFFER=n ") +
         std::string(VariantName(r.variant)) + " fix=" + FixName(r.fix);
}

// ---- The matrix: shape ----

TEST(KconfigMatrixTest, SkipsExactlyTheCombinationsKconfigForbids) {
  // 3 arches x 2 x 2 x 2 variants x 4 fix choices = 96; forbidden: ZONE_DEVICE=y
  // on i386 (16) and DMA_SHARED_BUFFER=n, which the patch's VFIO_PCI_CORE
  // selects (24, of which 4 are also i386 ZONE_DEVICE=y).
  EXPECT_EQ(Matrix().rows.size(), 60u);
  EXPECT_EQ(Matrix().skipped.size(), 36u);
  int zone_device = 0, dma_buf = 0;
  for (const KconfigMatrixSkip& s : Matrix().skipped) {
    if (s.arch == Arch::kI386 && s.zone_device) {
      ++zone_device;
      EXPECT_THAT(s.reason, HasSubstr("ZONE_DEVICE=y requires MEMORY_HOTPLUG"));
    } else {
      ++dma_buf;
      EXPECT_EQ(s.variant, Variant::kDmabuf);
      EXPECT_FALSE(s.dma_shared_buffer);
      EXPECT_EQ(s.reason, "DMA_SHARED_BUFFER=n contradicts 'select DMA_SHARED_BUFFER' by VFIO_PCI_CORE");
    }
  }
  EXPECT_EQ(zone_device, 16);
  EXPECT_EQ(dma_buf, 20);
  for (const KconfigMatrixRow& r : Matrix().rows) {
    EXPECT_EQ(r.pci_p2pdma, r.zone_device && r.arch != Arch::kI386) << Where(r);
    EXPECT_EQ(r.pci_p2pdma_core, r.fix == Fix::kP2pdmaCore) << Where(r);
  }
}

// ---- The review's claims ----

TEST(KconfigMatrixTest, I386DmabufMmapFailsWhileTheFlagIsAdvertised) {
  const KconfigProbe& p = Row(Arch::kI386, false, true, Variant::kDmabuf, std::nullopt).probe;
  EXPECT_EQ(p.mmap_errno, kEINVAL);  // pcim_p2pdma_provider() is NULL
  EXPECT_TRUE(p.mmap_flag);
  EXPECT_TRUE(p.flag_lies);
  EXPECT_EQ(p.violation, "mmap-flag-lies");
  EXPECT_EQ(p.export_errno, kENOTTY);  // VFIO_PCI_DMABUF=n
  EXPECT_EQ(p.largest_leaf, 0u);
  EXPECT_EQ(p.zap, KconfigProbe::Zap::kNothingMapped);
}

TEST(KconfigMatrixTest, NoZoneDeviceRegressesThe64BitArchesToo) {
  for (Arch arch : {Arch::kX86_64, Arch::kArm64}) {
    const KconfigMatrixRow& r = Row(arch, false, true, Variant::kDmabuf, std::nullopt);
    EXPECT_FALSE(r.pci_p2pdma) << Where(r);
    EXPECT_EQ(r.probe.mmap_errno, kEINVAL) << Where(r);
    EXPECT_TRUE(r.probe.flag_lies) << Where(r);
  }
}

TEST(KconfigMatrixTest, OnlyTheUnfixedPatchWithoutAProviderLies) {
  std::vector<std::string> lies;
  for (const KconfigMatrixRow& r : Matrix().rows)
    if (r.probe.flag_lies) lies.push_back(Where(r));
  EXPECT_THAT(lies, ::testing::UnorderedElementsAre("x86_64 ZONE_DEVICE=n DMA_SHARED_BUFFER=y dmabuf fix=none",
                                                    "arm64 ZONE_DEVICE=n DMA_SHARED_BUFFER=y dmabuf fix=none",
                                                    "i386 ZONE_DEVICE=n DMA_SHARED_BUFFER=y dmabuf fix=none"));
}

TEST(KconfigMatrixTest, LegacyMmapWorksOnEveryKernel) {
  for (const KconfigMatrixRow& r : Matrix().rows) {
    if (r.variant != Variant::kLegacy) continue;
    EXPECT_EQ(r.probe.mmap_errno, 0) << Where(r);
    EXPECT_FALSE(r.probe.mmap_via_dmabuf) << Where(r);
    EXPECT_TRUE(r.probe.mmap_flag) << Where(r);
    EXPECT_FALSE(r.probe.flag_lies) << Where(r);
    EXPECT_EQ(r.probe.largest_leaf, ArchLargestLeaf(r.arch)) << Where(r);
    EXPECT_EQ(r.probe.zap, KconfigProbe::Zap::kZapped) << Where(r);
    // Export needs VFIO_PCI_DMABUF: PCI_P2PDMA && DMA_SHARED_BUFFER in mainline.
    EXPECT_EQ(r.probe.export_errno, r.pci_p2pdma && r.dma_shared_buffer ? 0 : kENOTTY) << Where(r);
  }
}

TEST(KconfigMatrixTest, PatchWithAProviderMapsThroughTheDmaBuf) {
  for (Arch arch : {Arch::kX86_64, Arch::kArm64}) {
    for (std::optional<Fix> fix : {std::optional<Fix>(), std::optional<Fix>(Fix::kLegacyFallback),
                                   std::optional<Fix>(Fix::kHideMmapFlag), std::optional<Fix>(Fix::kP2pdmaCore)}) {
      // With PCI_P2PDMA every fix is a no-op.
      const KconfigMatrixRow& r = Row(arch, true, true, Variant::kDmabuf, fix);
      EXPECT_EQ(r.probe.mmap_errno, 0) << Where(r);
      EXPECT_TRUE(r.probe.mmap_via_dmabuf) << Where(r);
      EXPECT_TRUE(r.probe.mmap_flag) << Where(r);
      EXPECT_EQ(r.probe.export_errno, 0) << Where(r);
      EXPECT_EQ(r.probe.largest_leaf, ArchLargestLeaf(arch)) << Where(r);
      EXPECT_EQ(r.probe.zap, KconfigProbe::Zap::kZapped) << Where(r);
    }
  }
}

TEST(KconfigMatrixTest, NoKernelKeepsALeafAfterMemoryDisable) {
  for (const KconfigMatrixRow& r : Matrix().rows) {
    EXPECT_NE(r.probe.zap, KconfigProbe::Zap::kStale) << Where(r);
    if (!r.probe.flag_lies) {
      EXPECT_EQ(r.probe.violation, "") << Where(r) << ": " << r.probe.violation_message;
    }
  }
}

// ---- Each fix resolves the regression the way it promises ----

// The kernels that regress: the patch without a P2PDMA provider.
std::vector<std::pair<Arch, bool>> RegressingKernels() {
  return {{Arch::kX86_64, false}, {Arch::kArm64, false}, {Arch::kI386, false}};
}

TEST(KconfigMatrixTest, LegacyFallbackMapsTheOldWayAndMemoryDisableStillZaps) {
  for (auto [arch, zd] : RegressingKernels()) {
    const KconfigMatrixRow& r = Row(arch, zd, true, Variant::kDmabuf, Fix::kLegacyFallback);
    EXPECT_EQ(r.probe.mmap_errno, 0) << Where(r);
    EXPECT_FALSE(r.probe.mmap_via_dmabuf) << Where(r);  // the legacy fault path
    EXPECT_TRUE(r.probe.mmap_flag) << Where(r);         // and the flag is now true
    EXPECT_FALSE(r.probe.flag_lies) << Where(r);
    // Huge leaves as before the patch.
    EXPECT_EQ(r.probe.largest_leaf, Row(arch, zd, true, Variant::kLegacy, std::nullopt).probe.largest_leaf) << Where(r);
    // The patch removed vfio_pci_zap_bars(); the fallback's mappings have no
    // dma-buf, so the fix must zap them through the device inode.
    EXPECT_EQ(r.probe.zap, KconfigProbe::Zap::kZapped) << Where(r);
    EXPECT_EQ(r.probe.violation, "") << Where(r);
  }
}

TEST(KconfigMatrixTest, HideMmapFlagTellsTheTruthAndMmapStillFails) {
  for (auto [arch, zd] : RegressingKernels()) {
    const KconfigMatrixRow& r = Row(arch, zd, true, Variant::kDmabuf, Fix::kHideMmapFlag);
    EXPECT_FALSE(r.probe.mmap_flag) << Where(r);
    EXPECT_EQ(r.probe.mmap_errno, kEINVAL) << Where(r);
    EXPECT_FALSE(r.probe.flag_lies) << Where(r);
    EXPECT_EQ(r.probe.violation, "") << Where(r);
  }
}

TEST(KconfigMatrixTest, P2pdmaCoreMapsThroughTheDmaBufWithoutZoneDevice) {
  for (auto [arch, zd] : RegressingKernels()) {
    const KconfigMatrixRow& r = Row(arch, zd, true, Variant::kDmabuf, Fix::kP2pdmaCore);
    EXPECT_TRUE(r.pci_p2pdma_core) << Where(r);
    EXPECT_FALSE(r.pci_p2pdma) << Where(r);
    EXPECT_EQ(r.probe.mmap_errno, 0) << Where(r);
    EXPECT_TRUE(r.probe.mmap_via_dmabuf) << Where(r);
    EXPECT_TRUE(r.probe.mmap_flag) << Where(r);
    EXPECT_FALSE(r.probe.flag_lies) << Where(r);
    EXPECT_EQ(r.probe.largest_leaf, ArchLargestLeaf(arch)) << Where(r);
    EXPECT_EQ(r.probe.zap, KconfigProbe::Zap::kZapped) << Where(r);  // vfio_pci_dma_buf_move() zaps
    // The export ioctl stays off: the posted VFIO_PCI_DMABUF wants PCI_P2PDMA.
    EXPECT_FALSE(r.vfio_pci_dmabuf) << Where(r);
    EXPECT_EQ(r.probe.export_errno, kENOTTY) << Where(r);
  }
}

TEST(KconfigMatrixTest, FixesChangeNothingInTheLegacyKernel) {
  for (const KconfigMatrixRow& r : Matrix().rows) {
    if (r.variant != Variant::kLegacy || !r.fix) continue;
    const KconfigProbe& base = Row(r.arch, r.zone_device, r.dma_shared_buffer, r.variant, std::nullopt).probe;
    EXPECT_EQ(r.probe.mmap_errno, base.mmap_errno) << Where(r);
    EXPECT_EQ(r.probe.mmap_flag, base.mmap_flag) << Where(r);
    EXPECT_EQ(r.probe.export_errno, base.export_errno) << Where(r);
    EXPECT_EQ(r.probe.largest_leaf, base.largest_leaf) << Where(r);
  }
}

// ---- Output ----

TEST(KconfigMatrixTest, TextIsAnAlignedMarkdownTable) {
  const std::string text = RenderKconfigMatrixText(Matrix());
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> table;
  while (std::getline(in, line) && !line.empty()) table.push_back(line);
  ASSERT_EQ(table.size(), 2 + Matrix().rows.size());
  EXPECT_THAT(table[0], HasSubstr("| arch "));
  EXPECT_THAT(table[0], HasSubstr("| MMAP flag "));
  for (const std::string& l : table) EXPECT_EQ(l.size(), table[0].size()) << l;
  EXPECT_THAT(text, HasSubstr("60 kernels probed; 36 combinations skipped"));
  EXPECT_THAT(text, HasSubstr("mmap-flag-lies in 3 of 60 kernels:"));
  EXPECT_THAT(
      text, HasSubstr("| i386   | n           | n          | y                 | dmabuf  | none            | EINVAL"));
}

TEST(KconfigMatrixTest, JsonHasOneObjectPerKernel) {
  const std::string json = RenderKconfigMatrixJson(Matrix());
  EXPECT_EQ(json.front(), '{');
  size_t n = 0;
  for (size_t at = json.find("{\"arch\""); at != std::string::npos; at = json.find("{\"arch\"", at + 1)) ++n;
  EXPECT_EQ(n, Matrix().rows.size() + Matrix().skipped.size());
  EXPECT_THAT(json, HasSubstr("\"arch\": \"i386\", \"ZONE_DEVICE\": false, \"PCI_P2PDMA\": false, "
                              "\"PCI_P2PDMA_CORE\": false, \"DMA_SHARED_BUFFER\": true, \"VFIO_PCI_DMABUF\": false, "
                              "\"variant\": \"dmabuf\", \"fix\": null, \"mmap\": \"EINVAL\""));
  EXPECT_THAT(json, HasSubstr("\"flag_lies\": true"));
}

TEST(KconfigMatrixTest, DocsHoldTheCurrentMatrix) {
  // docs/kconfig-matrix.md commits the output of `vfiosim kconfig --matrix`.
  const std::filesystem::path doc =
      vfiosim_test::SourceDir() / "docs" / "kconfig-matrix.md";
  std::ifstream f(doc);
  ASSERT_TRUE(f) << "no " << doc;
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_THAT(ss.str(), HasSubstr(RenderKconfigMatrixText(Matrix())))
      << "docs/kconfig-matrix.md is stale: regenerate it with `vfiosim kconfig --matrix`";
}

TEST(KconfigMatrixTest, Names) {
  EXPECT_EQ(LeafName(0), "-");
  EXPECT_EQ(LeafName(k4K), "4K");
  EXPECT_EQ(LeafName(k2M), "2M");
  EXPECT_EQ(LeafName(k1G), "1G");
  EXPECT_EQ(FixName(std::nullopt), "none");
  EXPECT_EQ(FixName(Fix::kHideMmapFlag), "hide-mmap-flag");
}

}  // namespace
}  // namespace vfiosim::cli

// ---- Kconfig evaluator rules not covered by tests/model/kconfig_test.cc ----

namespace vfiosim::kconfig {
namespace {

using ::testing::HasSubstr;

Config Ok(const std::variant<Config, EvalError>& r) {
  if (const auto* e = std::get_if<EvalError>(&r)) {
    ADD_FAILURE() << "evaluation failed: " << e->message;
    return Config();
  }
  return std::get<Config>(r);
}

EvalError Err(const std::variant<Config, EvalError>& r) {
  if (!std::holds_alternative<EvalError>(r)) {
    ADD_FAILURE() << "evaluation unexpectedly succeeded";
    return EvalError{};
  }
  return std::get<EvalError>(r);
}

SymbolTable MustBuild(std::vector<SymbolDef> defs) {
  absl::StatusOr<SymbolTable> t = SymbolTable::Build(std::move(defs));
  if (!t.ok()) {
    ADD_FAILURE() << t.status();
    return *SymbolTable::Build({});
  }
  return *std::move(t);
}

using K = SymbolKind;

// ---- Dependency chains ----

TEST(KconfigChainTest, AnUnmetRootTurnsOffTheWholeChainWithoutError) {
  // A <- B <- C <- D, each `depends on` the previous, each defaulting to y.
  SymbolTable t = MustBuild(
      {{"A", K::kPrompt}, {"B", K::kPrompt, "A"}, {"C", K::kPrompt, "B"}, {"D", K::kDerived, "C", {}, {{true, ""}}}});
  PlatformDefaults y = {{"A", true}, {"B", true}, {"C", true}};
  Config on = Ok(EvaluateTable(t, y, {}));
  EXPECT_TRUE(on.enabled("D"));
  Config off = Ok(EvaluateTable(t, y, {{"A", false}}));
  for (const char* s : {"A", "B", "C", "D"}) EXPECT_FALSE(off.enabled(s)) << s;
  EXPECT_TRUE(off.warnings().empty());
  // An explicit y at the end of the chain names its direct dependency.
  EvalError e = Err(EvaluateTable(t, y, {{"A", false}, {"C", true}}));
  EXPECT_EQ(e.setting_index, 1u);
  EXPECT_EQ(e.message, "C=y requires B, which is n (B=n)");
}

TEST(KconfigChainTest, ExplicitZoneDeviceNeedsMemoryHotplugOnX86) {
  std::variant<Config, EvalError> r =
      EvaluateDetailed(Arch::kX86_64, Variant::kDmabuf, {{"MEMORY_HOTPLUG", false}, {"ZONE_DEVICE", true}});
  EvalError e = Err(r);
  EXPECT_EQ(e.setting_index, 1u);
  // MEMORY_HOTREMOVE's default y yielded to MEMORY_HOTPLUG=n on the way.
  EXPECT_EQ(e.message,
            "ZONE_DEVICE=y requires MEMORY_HOTPLUG && MEMORY_HOTREMOVE && SPARSEMEM_VMEMMAP, which is n "
            "(MEMORY_HOTPLUG=n, MEMORY_HOTREMOVE=n, SPARSEMEM_VMEMMAP=y)");
}

TEST(KconfigChainTest, I386CannotHaveZoneDeviceSoNotP2pdma) {
  // 64BIT=n -> MEMORY_HOTPLUG=n -> MEMORY_HOTREMOVE=n -> ZONE_DEVICE=n ->
  // PCI_P2PDMA=n: the matrix's skipped i386 ZONE_DEVICE=y rows.
  EvalError e = Err(EvaluateDetailed(Arch::kI386, Variant::kLegacy, {{"ZONE_DEVICE", true}}));
  EXPECT_EQ(e.message,
            "ZONE_DEVICE=y requires MEMORY_HOTPLUG && MEMORY_HOTREMOVE && SPARSEMEM_VMEMMAP, which is n "
            "(MEMORY_HOTPLUG=n, MEMORY_HOTREMOVE=n, SPARSEMEM_VMEMMAP=n)");
  // Even with everything below it set, 64BIT itself is the root.
  EvalError hotplug = Err(EvaluateDetailed(Arch::kI386, Variant::kLegacy, {{"MEMORY_HOTPLUG", true}}));
  EXPECT_EQ(hotplug.message, "MEMORY_HOTPLUG=y requires 64BIT, which is n (64BIT=n)");
}

// ---- Selects overriding defaults ----

TEST(KconfigSelectTest, SelectsPropagateTransitively) {
  // A selects B, B selects C; neither B nor C has a prompt or a default.
  SymbolTable t = MustBuild({{"A", K::kPrompt, "", {{"B"}}},
                             {"B", K::kSelectOnly, "", {{"C"}}},
                             {"C", K::kSelectOnly},
                             {"D", K::kDerived, "", {}, {{true, "C"}}}});
  Config on = Ok(EvaluateTable(t, {{"A", true}}, {}));
  EXPECT_TRUE(on.enabled("B"));
  EXPECT_TRUE(on.enabled("C"));
  EXPECT_TRUE(on.enabled("D"));  // def_bool y if C sees the selected C
  Config off = Ok(EvaluateTable(t, {{"A", true}}, {{"A", false}}));
  EXPECT_FALSE(off.enabled("C"));
  EXPECT_FALSE(off.enabled("D"));
}

TEST(KconfigSelectTest, SelectOverridesAnExplicitDefaultN) {
  // T: `def_bool n`, and also `default n if X` before a `default y`: a select
  // still forces y.
  SymbolTable t = MustBuild({{"S", K::kPrompt, "", {{"T"}, {"U"}}},
                             {"X", K::kPrompt},
                             {"T", K::kDerived, "", {}, {{false, ""}}},
                             {"U", K::kDerived, "", {}, {{false, "X"}, {true, ""}}}});
  Config c = Ok(EvaluateTable(t, {{"S", true}, {"X", true}}, {}));
  EXPECT_TRUE(c.enabled("T"));
  EXPECT_TRUE(c.enabled("U"));
  Config none = Ok(EvaluateTable(t, {{"S", false}, {"X", true}}, {}));
  EXPECT_FALSE(none.enabled("T"));
  EXPECT_FALSE(none.enabled("U"));
}

TEST(KconfigSelectTest, P2pdmaCoreSelectOverridesTheMissingZoneDevice) {
  // The p2pdma-core fix: VFIO_PCI_CORE selects PCI_P2PDMA_CORE, which only
  // depends on PCI, so a provider exists where PCI_P2PDMA's chain is unmet.
  Config c = Ok(EvaluateDetailed(Arch::kX86_64, Variant::kDmabuf, {{"ZONE_DEVICE", false}}, {.p2pdma_core_fix = true}));
  EXPECT_FALSE(c.enabled("PCI_P2PDMA"));
  EXPECT_TRUE(c.enabled("PCI_P2PDMA_CORE"));
  EXPECT_TRUE(c.p2pdma_provider_available());
  EXPECT_TRUE(c.warnings().empty());  // no unmet direct dependency
  EXPECT_FALSE(c.vfio_pci_dmabuf());  // the export feature's rule is unchanged
}

TEST(KconfigSelectTest, ConditionalSelectFollowsItsCondition) {
  SymbolTable t = MustBuild({{"S", K::kPrompt, "", {{"T", "C"}}}, {"C", K::kPrompt}, {"T", K::kPrompt}});
  PlatformDefaults d = {{"S", true}, {"C", true}, {"T", false}};
  EXPECT_TRUE(Ok(EvaluateTable(t, d, {})).enabled("T"));
  EXPECT_FALSE(Ok(EvaluateTable(t, d, {{"C", false}})).enabled("T"));
  // T=n is fine while the select is inactive, a contradiction once it is active.
  EXPECT_FALSE(Ok(EvaluateTable(t, d, {{"C", false}, {"T", false}})).enabled("T"));
  EvalError e = Err(EvaluateTable(t, d, {{"T", false}}));
  EXPECT_EQ(e.setting_index, 0u);
  EXPECT_EQ(e.message, "T=n contradicts 'select T if C' by S");
}

// ---- def_bool y if ----

TEST(KconfigDefBoolTest, DefBoolYIfYieldsToItsDependsOn) {
  // config Y  def_bool y if X; depends on D
  SymbolTable t = MustBuild({{"D", K::kPrompt}, {"X", K::kPrompt}, {"Y", K::kDerived, "D", {}, {{true, "X"}}}});
  auto y = [&](bool d, bool x) { return Ok(EvaluateTable(t, {{"D", d}, {"X", x}}, {})).enabled("Y"); };
  EXPECT_TRUE(y(true, true));
  EXPECT_FALSE(y(true, false));  // condition false: no default applies, n
  EXPECT_FALSE(y(false, true));  // default yields to the unmet dependency
  EXPECT_FALSE(y(false, false));
}

TEST(KconfigDefBoolTest, LegacyVfioPciDmabufNeedsAllThreeConditions) {
  // legacy: def_bool y if VFIO_PCI_CORE && PCI_P2PDMA && DMA_SHARED_BUFFER.
  for (int bits = 0; bits < 8; ++bits) {
    const bool core = bits & 1, p2p = bits & 2, dsb = bits & 4;
    Config c = Ok(EvaluateDetailed(Arch::kX86_64, Variant::kLegacy,
                                   {{"VFIO_PCI_CORE", core}, {"PCI_P2PDMA", p2p}, {"DMA_SHARED_BUFFER", dsb}}));
    EXPECT_EQ(c.vfio_pci_dmabuf(), core && p2p && dsb) << bits;
  }
}

TEST(KconfigDefBoolTest, PatchVfioPciDmabufFollowsPciP2pdmaOnly) {
  // The patch: def_bool y if PCI_P2PDMA (DMA_SHARED_BUFFER is selected).
  for (Arch arch : {Arch::kX86_64, Arch::kArm64, Arch::kI386}) {
    for (bool p2p : {true, false}) {
      if (arch == Arch::kI386 && p2p) continue;  // forbidden
      Config c = Ok(EvaluateDetailed(arch, Variant::kDmabuf, {{"PCI_P2PDMA", p2p}}));
      EXPECT_EQ(c.vfio_pci_dmabuf(), p2p) << ArchName(arch);
      EXPECT_TRUE(c.enabled("DMA_SHARED_BUFFER")) << ArchName(arch);
    }
  }
}

// ---- Contradictions ----

TEST(KconfigContradictionTest, ExplicitNOfATransitivelySelectedSymbolNamesItsSelector) {
  SymbolTable t = MustBuild({{"A", K::kPrompt, "", {{"B"}}}, {"B", K::kPrompt, "", {{"C"}}}, {"C", K::kPrompt}});
  PlatformDefaults d = {{"A", true}, {"B", false}, {"C", false}};
  EvalError e = Err(EvaluateTable(t, d, {{"C", false}}));
  EXPECT_EQ(e.message, "C=n contradicts 'select C' by B");
  // B=n contradicts A's select too; the earlier setting is the one reported.
  EvalError both = Err(EvaluateTable(t, d, {{"B", false}, {"C", false}}));
  EXPECT_EQ(both.setting_index, 0u);
  EXPECT_EQ(both.message, "B=n contradicts 'select B' by A");
}

TEST(KconfigContradictionTest, SettingsThatContradictEachOtherReportTheDependentOne) {
  // Each setting alone is fine; together the second cannot hold.
  std::variant<Config, EvalError> r =
      EvaluateDetailed(Arch::kX86_64, Variant::kLegacy, {{"PCI", false}, {"PCI_P2PDMA", true}});
  EvalError e = Err(r);
  EXPECT_EQ(e.setting_index, 1u);
  EXPECT_THAT(e.message, HasSubstr("PCI_P2PDMA=y requires PCI && ZONE_DEVICE && 64BIT"));
  EXPECT_THAT(e.message, HasSubstr("PCI=n"));
}

TEST(KconfigContradictionTest, DmaSharedBufferNIsOnlyAContradictionInThePatch) {
  Config legacy = Ok(EvaluateDetailed(Arch::kI386, Variant::kLegacy, {{"DMA_SHARED_BUFFER", false}}));
  EXPECT_FALSE(legacy.enabled("DMA_SHARED_BUFFER"));
  EvalError patch = Err(EvaluateDetailed(Arch::kI386, Variant::kDmabuf, {{"DMA_SHARED_BUFFER", false}}));
  EXPECT_EQ(patch.message, "DMA_SHARED_BUFFER=n contradicts 'select DMA_SHARED_BUFFER' by VFIO_PCI_CORE");
}

}  // namespace
}  // namespace vfiosim::kconfig
