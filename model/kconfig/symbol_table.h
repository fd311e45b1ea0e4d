// A Kconfig symbol table: what scripts/kconfig keeps per `config` entry
// (type, prompt, `depends on`, `select`, `default`), reduced to bool symbols.
//
// Tristate symbols (VFIO_PCI_CORE, IRQ_BYPASS_MANAGER) are treated as bool:
// `m` counts as `y`. vfiosim only asks whether code is built at all, and a
// module behaves like built-in code once loaded.
//
// The kernel's own tables live in kernel_kconfig.h; tests and tools can build
// their own with SymbolTable::Build(), which validates the definitions and,
// like scripts/kconfig ("recursive dependency detected!"), rejects any cycle
// through `depends on`, `default ... if`, `select` and `select ... if`, so that
// evaluation always terminates.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "model/kconfig/expr.h"

namespace vfiosim::kconfig {

// Where a symbol's value comes from, which decides whether a scenario's
// `kconfig SYM=y|n` may set it.
enum class SymbolKind {
  // `bool "prompt"`: the user chooses, within its dependencies. Settable.
  kPrompt,
  // Prompt-less in the kernel, but its value is decided outside the symbols
  // vfiosim models: by the architecture's Kconfig (`select HAVE_ARCH_...`,
  // `config 64BIT def_bool y`) or by drivers vfiosim does not model (VFIO_PCI
  // selects VFIO_PCI_CORE; DRM and V4L2 select DMA_SHARED_BUFFER). The arch
  // defaults give its usual value; a scenario may set it to ask "what if".
  kProvided,
  // Prompt-less `def_bool y [if EXPR]`: computed from other symbols, never set
  // by hand (VFIO_PCI_DMABUF, ARCH_SUPPORTS_PMD_PFNMAP, VFIO_PCI_MMAP).
  kDerived,
  // Prompt-less, no default: only a `select` turns it on (VFIO_VIRQFD,
  // GENERIC_ALLOCATOR). Never set by hand.
  kSelectOnly,
};

bool IsSettable(SymbolKind kind);

// `select SYMBOL [if CONDITION]`.
struct Select {
  std::string symbol;
  std::string condition;  // empty: unconditional
};

// `default y|n [if CONDITION]` (a `def_bool y if X` is `bool` + `default y if X`).
struct Default {
  bool value = true;
  std::string condition;  // empty: unconditional
};

// One `config` entry, with expressions in Kconfig spelling. Several
// `depends on` lines, and the `depends on` of an enclosing `menu` or `if`
// block, are ANDed into `depends`, as scripts/kconfig does.
struct SymbolDef {
  std::string name;
  SymbolKind kind = SymbolKind::kPrompt;
  std::string depends;  // empty: no dependency
  std::vector<Select> selects;
  std::vector<Default> defaults;  // the first whose condition holds applies
};

class SymbolTable {
 public:
  struct Symbol {
    std::string name;
    SymbolKind kind;
    Expr depends;
    struct Sel {
      size_t target;
      Expr condition;
    };
    std::vector<Sel> selects;
    struct Def {
      bool value;
      Expr condition;
    };
    std::vector<Def> defaults;
    // Reverse dependencies: the symbols that select this one, as indices
    // into symbols() and into that symbol's `selects`.
    struct SelectedBy {
      size_t selector;
      size_t select_index;
    };
    std::vector<SelectedBy> selected_by;
  };

  // Validates the definitions: unique names, expressions that parse, every
  // referenced symbol defined (scripts/kconfig would silently read an
  // undefined symbol as n; here it is a mistake in the table), and no cycle.
  // A cycle error reads "recursive dependency detected: A depends on B, B is
  // selected by A".
  static absl::StatusOr<SymbolTable> Build(std::vector<SymbolDef> defs);

  const std::vector<Symbol>& symbols() const { return symbols_; }
  // Index into symbols(), or -1.
  int Find(std::string_view name) const;
  // Every symbol after all the symbols its value reads (dependencies, default
  // conditions, selectors): the order evaluation follows.
  const std::vector<size_t>& topological_order() const { return order_; }

 private:
  SymbolTable() = default;

  std::vector<Symbol> symbols_;
  absl::flat_hash_map<std::string, size_t> index_;
  std::vector<size_t> order_;
};

// The spelling of a definition's value rule, for messages:
// "def_bool y if PCI_P2PDMA".
std::string DescribeDefaults(const SymbolTable::Symbol& sym);

}  // namespace vfiosim::kconfig
