// Kconfig evaluation: from a symbol table, the platform's defaults and the
// explicit settings of a scenario (or a .config), the value of every symbol.
// Rules (scripts/kconfig/symbol.c: sym_calc_value, for bool symbols):
//   * a settable symbol takes its explicit setting, else the platform default,
//     else its own `default`; a derived or select-only symbol takes its own
//     `default` (none: n);
//   * a default yields to an unmet `depends on` (default y, dependency n -> n);
//   * an active `select` forces y, over any default. Like scripts/kconfig, a
//     select wins even over an unmet dependency of its target (that is
//     recorded in Config::warnings(), kconfig's "unmet direct dependencies");
//   * only an explicit setting can contradict the rules, and that is an
//     error: `=y` with an unmet dependency, `=n` of a symbol an enabled symbol
//     selects, any value for a derived or select-only symbol, an unknown
//     symbol.
// Most callers want Evaluate() in kernel_kconfig.h, which uses the kernel's
// tables; EvaluateTable() evaluates any table (tests, what-if tools).
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "model/kconfig/symbol_table.h"

namespace vfiosim::kconfig {

// Where an explicit setting comes from.
enum class SettingSource {
  // A scenario's `kconfig SYM=y|n` or the CLI's `--kconfig SYM=y|n`: every
  // setting must name a settable symbol of the kernel being evaluated.
  kExplicit,
  // A line of a .config (ParseDotConfig): as scripts/kconfig does when it reads
  // a .config, a value recorded for a derived or select-only symbol, or for a
  // symbol this kernel does not define, is ignored and recomputed. Values of
  // settable symbols are held to the same rules as explicit ones.
  kDotConfig,
};

// `SYMBOL=y|n`; line/col (1-based, 0 if unknown) let callers print
// `file:line:col: error:` for the setting an EvalError names.
struct Setting {
  std::string symbol;
  bool value = false;
  int line = 0;
  int col = 0;
  SettingSource source = SettingSource::kExplicit;
};

// Why an evaluation failed. `setting_index` indexes the settings passed in
// (the earliest one at fault, when several are), or is kNoSetting when the
// table or the platform defaults are at fault. `message` is the human text,
// without location: "DMA_SHARED_BUFFER=n contradicts 'select
// DMA_SHARED_BUFFER' by VFIO_PCI_CORE".
struct EvalError {
  static constexpr size_t kNoSetting = std::numeric_limits<size_t>::max();
  size_t setting_index = kNoSetting;
  std::string message;
};

// Values the platform gives settable symbols when no setting does
// (the arch defaults table of the scenario language).
using PlatformDefaults = absl::flat_hash_map<std::string, bool>;

// The value of every symbol of one evaluated kernel configuration.
class Config {
 public:
  Config() = default;
  // Values keyed by symbol name; every symbol of the table, y or n.
  explicit Config(std::map<std::string, bool, std::less<>> values,
                  std::vector<std::string> warnings = {});

  // The value of `sym`. A symbol vfiosim knows (IsKnownSymbol) that this
  // kernel does not define is n, as in the kernel (PCI_P2PDMA_CORE without the
  // p2pdma-core fix). Any other name is a bug in the caller: aborts.
  bool enabled(std::string_view sym) const;

  // Whether pcim_p2pdma_provider() can succeed: PCI_P2PDMA, or the proposed
  // hidden PCI_P2PDMA_CORE (the `p2pdma-core` fix). The dmabuf variant's BAR
  // mmap fails without it.
  bool p2pdma_provider_available() const;
  // drivers/vfio/pci/Kconfig: CONFIG_VFIO_PCI_MMAP (bar_mmap_supported).
  bool vfio_pci_mmap() const;
  // mm/Kconfig: huge_fault may map PMD (2M) / PUD (1G) leaves for a pfnmap.
  bool huge_pfnmap_pmd() const;
  bool huge_pfnmap_pud() const;
  // CONFIG_VFIO_PCI_DMABUF: VFIO_DEVICE_FEATURE_DMA_BUF (export of BAR ranges
  // to importers). In the legacy variant it also decides whether
  // vfio_pci_dmabuf.o is built (drivers/vfio/pci/Makefile); the patch builds
  // that file always, because BAR mmap needs it.
  bool vfio_pci_dmabuf() const;

  // Every symbol, sorted by name, one per line, as a .config writes them:
  // "CONFIG_X=y" or "# CONFIG_X is not set". Unlike a .config, symbols that
  // are n and invisible are listed too.
  std::string Dump() const;

  const std::map<std::string, bool, std::less<>>& values() const { return values_; }
  // Notes that are not errors: a select overriding an unmet dependency, a
  // symbol set twice (the last setting wins).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  std::map<std::string, bool, std::less<>> values_;
  std::vector<std::string> warnings_;
};

// Evaluates `table` under `defaults` and `settings` (applied in order; for a
// symbol set twice, the last one counts). Never loops: the table is acyclic
// (SymbolTable::Build), so one pass in topological order reaches the fixed
// point, which is then verified.
std::variant<Config, EvalError> EvaluateTable(const SymbolTable& table,
                                              const PlatformDefaults& defaults,
                                              const std::vector<Setting>& settings);

}  // namespace vfiosim::kconfig
