// Kconfig evaluation for bool symbols, after scripts/kconfig/symbol.c
// (sym_calc_value): value = (user value or default) && dependency, then
// || reverse dependency (the selects).
#include "model/kconfig/evaluate.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "model/kconfig/kernel_kconfig.h"
#include "sim/core/check.h"
#include "sim/core/edit_distance.h"

namespace vfiosim::kconfig {

namespace {

std::string UnknownSymbolMessage(const SymbolTable& table, std::string_view sym) {
  if (sym.starts_with("CONFIG_") && table.Find(sym.substr(7)) >= 0) {
    return absl::StrFormat("unknown Kconfig symbol %s (write it without CONFIG_: %s)", sym,
                           sym.substr(7));
  }
  std::string_view best;
  const size_t limit = std::max<size_t>(2, sym.size() / 3);
  size_t best_distance = limit + 1;
  for (const SymbolTable::Symbol& s : table.symbols()) {
    size_t d = EditDistance(sym, s.name, limit);
    if (d < best_distance) {
      best_distance = d;
      best = s.name;
    }
  }
  if (best.empty()) return absl::StrFormat("unknown Kconfig symbol %s", sym);
  return absl::StrFormat("unknown Kconfig symbol %s (did you mean %s?)", sym, best);
}

std::string_view YN(bool v) { return v ? "y" : "n"; }

// One pass over the table in topological order. `effective[i]` is the index
// of the setting that counts for symbol i, if any.
class Evaluator {
 public:
  Evaluator(const SymbolTable& table, const std::vector<Setting>& settings,
            const std::vector<std::optional<bool>>& platform,
            const std::vector<std::optional<size_t>>& effective)
      : table_(table),
        settings_(settings),
        platform_(platform),
        effective_(effective),
        values_(table.symbols().size(), false) {}

  void Run() {
    for (size_t i : table_.topological_order()) values_[i] = Compute(i, /*report=*/true);
  }

  // The symbol whose value differs from what its inputs now give, if any.
  std::optional<size_t> FindUnstable() {
    for (size_t i = 0; i < values_.size(); ++i) {
      if (Compute(i, /*report=*/false) != values_[i]) return i;
    }
    return std::nullopt;
  }

  const std::vector<bool>& values() const { return values_; }
  std::vector<EvalError>& errors() { return errors_; }
  std::vector<std::string>& warnings() { return warnings_; }

 private:
  bool Value(std::string_view name) const {
    return values_[static_cast<size_t>(table_.Find(name))];
  }

  bool Eval(const Expr& e) const {
    return e.Eval([this](std::string_view s) { return Value(s); });
  }

  std::string DescribeInputs(const Expr& e) const {
    std::vector<std::string> parts;
    for (const std::string& s : e.Symbols())
      parts.push_back(absl::StrFormat("%s=%s", s, YN(Value(s))));
    return absl::StrJoin(parts, ", ");
  }

  bool Compute(size_t i, bool report) {
    const SymbolTable::Symbol& sym = table_.symbols()[i];
    const bool dep = Eval(sym.depends);
    const std::optional<size_t> setting = effective_[i];
    bool v = false;
    if (setting) {
      v = settings_[*setting].value;
      if (v && !dep) {
        if (report) {
          errors_.push_back(
              {*setting, absl::StrFormat("%s=y requires %s, which is n (%s)", sym.name,
                                         sym.depends.ToString(), DescribeInputs(sym.depends))});
        }
        v = false;
      }
    } else if (platform_[i]) {
      v = *platform_[i] && dep;
    } else {
      for (const SymbolTable::Symbol::Def& d : sym.defaults) {
        if (Eval(d.condition)) {
          v = d.value && dep;
          break;
        }
      }
    }
    for (const SymbolTable::Symbol::SelectedBy& by : sym.selected_by) {
      const SymbolTable::Symbol& selector = table_.symbols()[by.selector];
      const Expr& cond = selector.selects[by.select_index].condition;
      if (!values_[by.selector] || !Eval(cond)) continue;
      if (report && setting && !settings_[*setting].value) {
        std::string rule = "select " + sym.name;
        if (!cond.IsTrue()) rule += " if " + cond.ToString();
        errors_.push_back({*setting, absl::StrFormat("%s=n contradicts '%s' by %s", sym.name, rule,
                                                     selector.name)});
      }
      if (report && !dep) {
        warnings_.push_back(absl::StrFormat(
            "%s is selected by %s although its dependency %s is n (kconfig: unmet direct "
            "dependencies)",
            sym.name, selector.name, sym.depends.ToString()));
      }
      v = true;
      break;
    }
    return v;
  }

  const SymbolTable& table_;
  const std::vector<Setting>& settings_;
  const std::vector<std::optional<bool>>& platform_;
  const std::vector<std::optional<size_t>>& effective_;
  std::vector<bool> values_;
  std::vector<EvalError> errors_;
  std::vector<std::string> warnings_;
};

}  // namespace

Config::Config(std::map<std::string, bool, std::less<>> values, std::vector<std::string> warnings)
    : values_(std::move(values)), warnings_(std::move(warnings)) {}

bool Config::enabled(std::string_view sym) const {
  auto it = values_.find(sym);
  if (it != values_.end()) return it->second;
  VFIOSIM_CHECK(IsKnownSymbol(sym), "Config::enabled(\"%.*s\"): unknown Kconfig symbol", static_cast<int>(sym.size()),
                sym.data());
  return false;
}

bool Config::p2pdma_provider_available() const {
  return enabled("PCI_P2PDMA") || enabled("PCI_P2PDMA_CORE");
}

bool Config::vfio_pci_mmap() const { return enabled("VFIO_PCI_MMAP"); }

bool Config::huge_pfnmap_pmd() const { return enabled("ARCH_SUPPORTS_PMD_PFNMAP"); }

bool Config::huge_pfnmap_pud() const { return enabled("ARCH_SUPPORTS_PUD_PFNMAP"); }

bool Config::vfio_pci_dmabuf() const { return enabled("VFIO_PCI_DMABUF"); }

std::string Config::Dump() const {
  std::string out;
  for (const auto& [name, value] : values_) {
    // Two calls, not a ?: format: clang checks that absl formats are constexpr.
    if (value)
      absl::StrAppendFormat(&out, "CONFIG_%s=y\n", name);
    else
      absl::StrAppendFormat(&out, "# CONFIG_%s is not set\n", name);
  }
  return out;
}

std::variant<Config, EvalError> EvaluateTable(const SymbolTable& table,
                                              const PlatformDefaults& defaults,
                                              const std::vector<Setting>& settings) {
  const size_t n = table.symbols().size();

  std::vector<std::optional<bool>> platform(n);
  for (const auto& [name, value] : defaults) {
    int i = table.Find(name);
    if (i < 0 || !IsSettable(table.symbols()[i].kind)) {
      return EvalError{EvalError::kNoSetting,
                       absl::StrFormat("platform default for %s: %s", name,
                                       i < 0 ? "no such symbol" : "symbol is not settable")};
    }
    platform[i] = value;
  }

  // Settings that cannot apply are errors too, but evaluation goes on without
  // them so that the earliest setting at fault is the one reported.
  std::vector<EvalError> errors;
  std::vector<std::string> warnings;
  std::vector<std::optional<size_t>> effective(n);
  for (size_t k = 0; k < settings.size(); ++k) {
    const Setting& s = settings[k];
    const bool from_dotconfig = s.source == SettingSource::kDotConfig;
    int i = table.Find(s.symbol);
    if (i < 0) {
      if (from_dotconfig) continue;
      errors.push_back({k, IsKnownSymbol(s.symbol)
                               ? absl::StrFormat("%s is not defined in this kernel", s.symbol)
                               : UnknownSymbolMessage(table, s.symbol)});
      continue;
    }
    const SymbolTable::Symbol& sym = table.symbols()[i];
    if (!IsSettable(sym.kind)) {
      if (from_dotconfig) continue;
      if (sym.kind == SymbolKind::kDerived) {
        errors.push_back({k, absl::StrFormat("%s cannot be set by hand: it is derived (%s)",
                                             sym.name, DescribeDefaults(sym))});
        continue;
      }
      std::vector<std::string> selectors;
      for (const auto& by : sym.selected_by) selectors.push_back(table.symbols()[by.selector].name);
      errors.push_back(
          {k, absl::StrFormat("%s cannot be set by hand: it has no prompt and only 'select' "
                              "enables it (selected by %s)",
                              sym.name,
                              selectors.empty() ? "nothing" : absl::StrJoin(selectors, ", "))});
      continue;
    }
    if (effective[i] && settings[*effective[i]].value != s.value) {
      warnings.push_back(absl::StrFormat("%s is set more than once; the last setting (%s=%s) wins",
                                         s.symbol, s.symbol, YN(s.value)));
    }
    effective[i] = k;
  }

  Evaluator ev(table, settings, platform, effective);
  ev.Run();
  for (EvalError& e : ev.errors()) errors.push_back(std::move(e));
  if (!errors.empty()) {
    // Stable: among errors of one setting, the first found is reported.
    return *std::min_element(
        errors.begin(), errors.end(),
        [](const EvalError& a, const EvalError& b) { return a.setting_index < b.setting_index; });
  }
  // The table is acyclic, so the topological pass is already the fixed
  // point; check it anyway, as an internal consistency check.
  if (std::optional<size_t> i = ev.FindUnstable()) {
    return EvalError{EvalError::kNoSetting,
                     absl::StrFormat("internal error: Kconfig evaluation is not stable at %s",
                                     table.symbols()[*i].name)};
  }
  std::map<std::string, bool, std::less<>> values;
  for (size_t i = 0; i < n; ++i) values.emplace(table.symbols()[i].name, ev.values()[i]);
  for (std::string& w : ev.warnings()) warnings.push_back(std::move(w));
  return Config(std::move(values), std::move(warnings));
}

}  // namespace vfiosim::kconfig
