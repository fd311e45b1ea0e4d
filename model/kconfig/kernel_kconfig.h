// The kernel's Kconfig for what vfiosim models, per variant, and the per-arch
// defaults of the scenario language:
//
//   absl::StatusOr<Config> c = Evaluate(Arch::kI386, Variant::kDmabuf,
//                                       {{"TRANSPARENT_HUGEPAGE", false}}, {});
//   if (!c.ok()) ...;  // c.status().message(): "unknown Kconfig symbol FOO"
//   bool can_mmap = c->p2pdma_provider_available();
//
// EvaluateDetailed() says, in addition, which setting caused an error, so
// that a caller can print `file:line:col: error: <message>`.
//
// Variants (drivers/vfio/pci/Kconfig):
//   legacy: VFIO_PCI_DMABUF = def_bool y if VFIO_PCI_CORE && PCI_P2PDMA &&
//           DMA_SHARED_BUFFER (mainline v6.19..v7.1).
//   dmabuf: "vfio/pci: convert BAR mmap to a DMABUF" as posted in April 2026:
//           VFIO_PCI_CORE also selects DMA_SHARED_BUFFER; VFIO_PCI_DMABUF =
//           def_bool y if PCI_P2PDMA.
// Options::p2pdma_core_fix adds the later revision's hidden PCI_P2PDMA_CORE
// (a P2P provider without ZONE_DEVICE or 64BIT), selected by VFIO_PCI_CORE.
#pragma once

#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "model/arch.h"
#include "model/kconfig/evaluate.h"
#include "model/kconfig/symbol_table.h"

namespace vfiosim::kconfig {

struct Options {
  // `--fix=p2pdma-core`: VFIO_PCI_CORE selects PCI_P2PDMA_CORE.
  bool p2pdma_core_fix = false;
};

// The symbol definitions of `variant` (with the fix, if asked), in Kconfig
// file order. StandardTable() is the validated table, built once.
std::vector<SymbolDef> StandardSymbolDefs(Variant variant, const Options& opts);
const SymbolTable& StandardTable(Variant variant, const Options& opts);

// The arch defaults table of the scenario language (settable symbols only).
PlatformDefaults ArchDefaults(Arch arch);

// Evaluates the kernel of `variant` on `arch` with `overrides`; an error is
// absl::InvalidArgumentError with the human message of EvalError.
absl::StatusOr<Config> Evaluate(Arch arch, Variant variant, const std::vector<Setting>& overrides,
                                const Options& opts = {});
std::variant<Config, EvalError> EvaluateDetailed(Arch arch, Variant variant,
                                                 const std::vector<Setting>& overrides,
                                                 const Options& opts = {});

// Whether any variant, with or without the fix, defines `sym` (no CONFIG_
// prefix). KnownSymbols() lists them, sorted.
bool IsKnownSymbol(std::string_view sym);
std::vector<std::string_view> KnownSymbols();

}  // namespace vfiosim::kconfig
