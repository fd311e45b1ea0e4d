// The Kconfig entries vfiosim models, transcribed from torvalds/linux
// (v6.19..v7.1) and from the patch "vfio/pci: convert BAR mmap to a DMABUF"
// as posted in April 2026. Only the `depends on`/`select` terms between
// modeled symbols are kept; terms on symbols vfiosim does not model
// (SPARSEMEM, ARCH_ENABLE_MEMORY_HOTPLUG, PREEMPT_RT, IOMMUFD, ...) are
// dropped, and so are selects of unmodeled symbols (EVENTFD, XARRAY_MULTI,
// MEMORY_ISOLATION, IRQ_WORK).
#include "model/kconfig/kernel_kconfig.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "sim/core/check.h"

namespace vfiosim::kconfig {

namespace {

using K = SymbolKind;

// drivers/vfio/Kconfig sources drivers/vfio/pci/Kconfig inside `if VFIO`, and
// that file wraps its entries in `menu "VFIO support for PCI devices"
// depends on PCI && MMU`: every entry below inherits both.
constexpr const char* kVfioPciMenu = "VFIO && PCI && MMU";

std::string InVfioPciMenu(std::string_view depends) {
  std::string s = kVfioPciMenu;
  if (!depends.empty()) s += " && " + std::string(depends);
  return s;
}

}  // namespace

std::vector<SymbolDef> StandardSymbolDefs(Variant variant, const Options& opts) {
  const bool patch = variant == Variant::kDmabuf;
  std::vector<SymbolDef> defs;

  // ---- Architecture facts (arch/*/Kconfig) ----
  // arch/x86/Kconfig: config 64BIT  bool "64-bit kernel" if "$(ARCH)" = "x86";
  // arch/arm64/Kconfig: config 64BIT  def_bool y. Decided by the arch.
  defs.push_back({"64BIT", K::kProvided});
  // arch/s390/Kconfig: config S390  def_bool y (undefined, hence n, elsewhere).
  // Settable so that a scenario can ask what s390 would do with VFIO_PCI_MMAP.
  defs.push_back({"S390", K::kProvided});
  // arch/x86/Kconfig, arch/arm64/Kconfig: config MMU  def_bool y.
  defs.push_back({"MMU", K::kProvided});

  // ---- drivers/pci/Kconfig ----
  // drivers/pci/Kconfig: menuconfig PCI  bool "PCI support" (depends on
  // HAVE_PCI, not modeled).
  defs.push_back({"PCI", K::kPrompt});

  // ---- drivers/vfio/Kconfig ----
  // drivers/vfio/Kconfig: menuconfig VFIO  tristate "VFIO Non-Privileged
  // userspace driver framework".
  defs.push_back({"VFIO", K::kPrompt});
  // drivers/vfio/Kconfig: config VFIO_VIRQFD  bool; select EVENTFD; default n
  // (inside `if VFIO`).
  defs.push_back({"VFIO_VIRQFD", K::kSelectOnly, "VFIO"});
  // virt/lib/Kconfig: config IRQ_BYPASS_MANAGER  tristate.
  defs.push_back({"IRQ_BYPASS_MANAGER", K::kSelectOnly});

  // ---- drivers/vfio/pci/Kconfig ----
  // drivers/vfio/pci/Kconfig: config VFIO_PCI_CORE  tristate; select
  // VFIO_VIRQFD; select IRQ_BYPASS_MANAGER. Prompt-less: VFIO_PCI and the
  // variant drivers select it; vfiosim takes it as provided (default y).
  // The patch adds `select DMA_SHARED_BUFFER` (BAR mmap is a dma-buf); the
  // p2pdma-core fix adds `select PCI_P2PDMA_CORE`.
  {
    SymbolDef core{
        "VFIO_PCI_CORE", K::kProvided, kVfioPciMenu, {{"VFIO_VIRQFD"}, {"IRQ_BYPASS_MANAGER"}}};
    if (patch) core.selects.push_back({"DMA_SHARED_BUFFER"});
    if (opts.p2pdma_core_fix) core.selects.push_back({"PCI_P2PDMA_CORE"});
    defs.push_back(std::move(core));
  }
  // drivers/vfio/pci/Kconfig: config VFIO_PCI_MMAP  def_bool y if !S390;
  // depends on VFIO_PCI_CORE (gates bar_mmap_supported).
  defs.push_back(
      {"VFIO_PCI_MMAP", K::kDerived, InVfioPciMenu("VFIO_PCI_CORE"), {}, {{true, "!S390"}}});
  // drivers/vfio/pci/Kconfig: config VFIO_PCI_INTX  def_bool y if !S390;
  // depends on VFIO_PCI_CORE.
  defs.push_back(
      {"VFIO_PCI_INTX", K::kDerived, InVfioPciMenu("VFIO_PCI_CORE"), {}, {{true, "!S390"}}});
  // drivers/vfio/pci/Kconfig: config VFIO_PCI_DMABUF
  //   legacy (mainline): def_bool y if VFIO_PCI_CORE && PCI_P2PDMA && DMA_SHARED_BUFFER
  //   patch as posted:   def_bool y if PCI_P2PDMA
  // (The fix's later revision may change this condition too; vfiosim keeps the
  // posted one and asks p2pdma_provider_available() where the provider matters.)
  defs.push_back(
      {"VFIO_PCI_DMABUF",
       K::kDerived,
       kVfioPciMenu,
       {},
       {{true, patch ? "PCI_P2PDMA" : "VFIO_PCI_CORE && PCI_P2PDMA && DMA_SHARED_BUFFER"}}});

  // ---- drivers/pci/Kconfig (inside `if PCI`) ----
  // drivers/pci/Kconfig: config PCI_P2PDMA  bool "PCI peer-to-peer transfer
  // support"; depends on ZONE_DEVICE; depends on 64BIT (the scatterlist
  // DMA-bus-address flag); select GENERIC_ALLOCATOR; select NEED_SG_DMA_FLAGS.
  defs.push_back({"PCI_P2PDMA",
                  K::kPrompt,
                  "PCI && ZONE_DEVICE && 64BIT",
                  {{"GENERIC_ALLOCATOR"}, {"NEED_SG_DMA_FLAGS"}}});
  if (opts.p2pdma_core_fix) {
    // drivers/pci/Kconfig (proposed with the later revisions of the patch):
    // config PCI_P2PDMA_CORE  bool (hidden): the provider logic
    // (pcim_p2pdma_provider) without ZONE_DEVICE and without 64BIT.
    defs.push_back({"PCI_P2PDMA_CORE", K::kSelectOnly, "PCI"});
  }
  // lib/Kconfig: config GENERIC_ALLOCATOR  bool.
  defs.push_back({"GENERIC_ALLOCATOR", K::kSelectOnly});
  // kernel/dma/Kconfig: config NEED_SG_DMA_FLAGS  bool.
  defs.push_back({"NEED_SG_DMA_FLAGS", K::kSelectOnly});

  // ---- mm/Kconfig: memory hotplug and ZONE_DEVICE ----
  // mm/Kconfig: menuconfig MEMORY_HOTPLUG  bool "Memory hotplug"; depends on
  // SPARSEMEM; depends on ARCH_ENABLE_MEMORY_HOTPLUG; depends on 64BIT.
  defs.push_back({"MEMORY_HOTPLUG", K::kPrompt, "64BIT"});
  // mm/Kconfig: config MEMORY_HOTREMOVE  bool "Allow for memory hot remove";
  // depends on MEMORY_HOTPLUG && ARCH_ENABLE_MEMORY_HOTREMOVE.
  defs.push_back({"MEMORY_HOTREMOVE", K::kPrompt, "MEMORY_HOTPLUG"});
  // mm/Kconfig: config SPARSEMEM_VMEMMAP  bool "Sparse Memory virtual memmap";
  // depends on SPARSEMEM && SPARSEMEM_VMEMMAP_ENABLE; default y.
  defs.push_back({"SPARSEMEM_VMEMMAP", K::kPrompt, "", {}, {{true, ""}}});
  // mm/Kconfig: config ZONE_DEVICE  bool "Device memory (pmem, HMM, etc...)
  // hotplug support"; depends on MEMORY_HOTPLUG; depends on MEMORY_HOTREMOVE;
  // depends on SPARSEMEM_VMEMMAP; select XARRAY_MULTI.
  defs.push_back(
      {"ZONE_DEVICE", K::kPrompt, "MEMORY_HOTPLUG && MEMORY_HOTREMOVE && SPARSEMEM_VMEMMAP"});

  // ---- drivers/dma-buf/Kconfig ----
  // drivers/dma-buf/Kconfig: config DMA_SHARED_BUFFER  bool; default n;
  // select IRQ_WORK. Prompt-less: DRM, V4L2, RDMA... select it, which the arch
  // defaults stand for (y on every modeled arch).
  defs.push_back({"DMA_SHARED_BUFFER", K::kProvided});

  // ---- Transparent hugepages and huge pfnmaps ----
  // arch/Kconfig: config HAVE_ARCH_TRANSPARENT_HUGEPAGE  bool (x86 and arm64
  // select it).
  defs.push_back({"HAVE_ARCH_TRANSPARENT_HUGEPAGE", K::kProvided});
  // arch/Kconfig: config HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD  bool (x86
  // selects it if X86_64; arm64 does not).
  defs.push_back({"HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD", K::kProvided});
  // mm/Kconfig: menuconfig TRANSPARENT_HUGEPAGE  bool "Transparent Hugepage
  // Support"; depends on HAVE_ARCH_TRANSPARENT_HUGEPAGE && !PREEMPT_RT.
  defs.push_back({"TRANSPARENT_HUGEPAGE", K::kPrompt, "HAVE_ARCH_TRANSPARENT_HUGEPAGE"});
  // mm/Kconfig: config ARCH_SUPPORTS_HUGE_PFNMAP  def_bool n; depends on
  // TRANSPARENT_HUGEPAGE. x86 (X86_64) and arm64 `select ... if
  // TRANSPARENT_HUGEPAGE`, which the arch defaults stand for.
  defs.push_back({"ARCH_SUPPORTS_HUGE_PFNMAP", K::kProvided, "TRANSPARENT_HUGEPAGE"});
  // mm/Kconfig: config ARCH_SUPPORTS_PMD_PFNMAP  def_bool y; depends on
  // ARCH_SUPPORTS_HUGE_PFNMAP && HAVE_ARCH_TRANSPARENT_HUGEPAGE.
  defs.push_back({"ARCH_SUPPORTS_PMD_PFNMAP",
                  K::kDerived,
                  "ARCH_SUPPORTS_HUGE_PFNMAP && HAVE_ARCH_TRANSPARENT_HUGEPAGE",
                  {},
                  {{true, ""}}});
  // mm/Kconfig: config ARCH_SUPPORTS_PUD_PFNMAP  def_bool y; depends on
  // ARCH_SUPPORTS_HUGE_PFNMAP && HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD.
  defs.push_back({"ARCH_SUPPORTS_PUD_PFNMAP",
                  K::kDerived,
                  "ARCH_SUPPORTS_HUGE_PFNMAP && HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD",
                  {},
                  {{true, ""}}});
  return defs;
}

const SymbolTable& StandardTable(Variant variant, const Options& opts) {
  // Four tables (variant x fix), built once; function-local statics are
  // initialized thread-safely.
  static const std::vector<SymbolTable>* const tables = [] {
    auto* v = new std::vector<SymbolTable>;
    for (Variant var : {Variant::kLegacy, Variant::kDmabuf}) {
      for (bool fix : {false, true}) {
        absl::StatusOr<SymbolTable> t = SymbolTable::Build(StandardSymbolDefs(var, {fix}));
        VFIOSIM_CHECK(t.ok(), "kernel Kconfig table: %s", std::string(t.status().message()).c_str());
        v->push_back(*std::move(t));
      }
    }
    return v;
  }();
  return (*tables)[(variant == Variant::kDmabuf ? 2 : 0) + (opts.p2pdma_core_fix ? 1 : 0)];
}

PlatformDefaults ArchDefaults(Arch arch) {
  // The scenario language's table; everything else follows from the rules.
  PlatformDefaults d = {
      {"S390", false},
      {"MMU", true},
      {"PCI", true},
      {"VFIO", true},
      {"VFIO_PCI_CORE", true},
      {"DMA_SHARED_BUFFER", true},
      {"HAVE_ARCH_TRANSPARENT_HUGEPAGE", true},
      {"TRANSPARENT_HUGEPAGE", true},
  };
  const bool is64 = arch != Arch::kI386;
  d["64BIT"] = is64;
  // i386: MEMORY_HOTPLUG needs 64BIT, no SPARSEMEM_VMEMMAP_ENABLE; hence no
  // ZONE_DEVICE and no PCI_P2PDMA.
  d["MEMORY_HOTPLUG"] = is64;
  d["MEMORY_HOTREMOVE"] = is64;
  d["SPARSEMEM_VMEMMAP"] = is64;
  d["ZONE_DEVICE"] = is64;
  d["PCI_P2PDMA"] = is64;
  // arch/x86/Kconfig: `select HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD if X86_64`,
  // and (in config X86_64) `select ARCH_SUPPORTS_HUGE_PFNMAP if
  // TRANSPARENT_HUGEPAGE`. arm64 (4K pages) selects HUGE_PFNMAP but has no
  // PUD-sized THP.
  d["HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD"] = arch == Arch::kX86_64;
  d["ARCH_SUPPORTS_HUGE_PFNMAP"] = is64;
  return d;
}

std::variant<Config, EvalError> EvaluateDetailed(Arch arch, Variant variant,
                                                 const std::vector<Setting>& overrides,
                                                 const Options& opts) {
  return EvaluateTable(StandardTable(variant, opts), ArchDefaults(arch), overrides);
}

absl::StatusOr<Config> Evaluate(Arch arch, Variant variant, const std::vector<Setting>& overrides,
                                const Options& opts) {
  std::variant<Config, EvalError> r = EvaluateDetailed(arch, variant, overrides, opts);
  if (EvalError* e = std::get_if<EvalError>(&r)) return absl::InvalidArgumentError(e->message);
  return std::get<Config>(std::move(r));
}

namespace {

const std::vector<std::string>& KnownSymbolNames() {
  static const std::vector<std::string>* const names = [] {
    auto* v = new std::vector<std::string>;
    for (Variant var : {Variant::kLegacy, Variant::kDmabuf}) {
      for (const SymbolDef& d : StandardSymbolDefs(var, {.p2pdma_core_fix = true})) {
        v->push_back(d.name);
      }
    }
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
    return v;
  }();
  return *names;
}

}  // namespace

bool IsKnownSymbol(std::string_view sym) {
  const std::vector<std::string>& names = KnownSymbolNames();
  return std::binary_search(names.begin(), names.end(), sym,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

std::vector<std::string_view> KnownSymbols() {
  const std::vector<std::string>& names = KnownSymbolNames();
  return {names.begin(), names.end()};
}

}  // namespace vfiosim::kconfig
