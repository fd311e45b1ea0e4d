// Validation, reverse dependencies and cycle detection for a Kconfig symbol
// table, after scripts/kconfig/symbol.c (sym_check_deps: "recursive
// dependency detected!").
#include "model/kconfig/symbol_table.h"

#include <cctype>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace vfiosim::kconfig {

bool IsSettable(SymbolKind kind) {
  return kind == SymbolKind::kPrompt || kind == SymbolKind::kProvided;
}

namespace {

bool IsValidName(std::string_view name) {
  if (name.empty() || name == "y" || name == "n") return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// An edge "`from` reads `to`", worded for a cycle report.
struct Edge {
  size_t to;
  std::string text;
};

}  // namespace

absl::StatusOr<SymbolTable> SymbolTable::Build(std::vector<SymbolDef> defs) {
  SymbolTable t;
  for (const SymbolDef& d : defs) {
    if (!IsValidName(d.name)) {
      return absl::InvalidArgumentError(absl::StrFormat("invalid symbol name '%s'", d.name));
    }
    if (!t.index_.emplace(d.name, t.symbols_.size()).second) {
      return absl::InvalidArgumentError(absl::StrFormat("config %s defined twice", d.name));
    }
    t.symbols_.push_back({d.name, d.kind, Expr(), {}, {}, {}});
  }

  auto parse = [&](const std::string& owner, std::string_view what,
                   const std::string& text) -> absl::StatusOr<Expr> {
    absl::StatusOr<Expr> e = Expr::Parse(text);
    if (!e.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("config %s: %s: %s", owner, what, e.status().message()));
    }
    for (const std::string& s : e->Symbols()) {
      if (!t.index_.contains(s)) {
        return absl::InvalidArgumentError(
            absl::StrFormat("config %s: %s refers to undefined symbol %s", owner, what, s));
      }
    }
    return e;
  };

  for (size_t i = 0; i < defs.size(); ++i) {
    const SymbolDef& d = defs[i];
    Symbol& sym = t.symbols_[i];
    absl::StatusOr<Expr> dep = parse(d.name, "depends on", d.depends);
    if (!dep.ok()) return dep.status();
    sym.depends = *std::move(dep);
    for (const Select& s : d.selects) {
      auto it = t.index_.find(s.symbol);
      if (it == t.index_.end()) {
        return absl::InvalidArgumentError(
            absl::StrFormat("config %s selects undefined symbol %s", d.name, s.symbol));
      }
      absl::StatusOr<Expr> cond = parse(d.name, "select " + s.symbol + " if", s.condition);
      if (!cond.ok()) return cond.status();
      sym.selects.push_back({it->second, *std::move(cond)});
    }
    for (const Default& df : d.defaults) {
      absl::StatusOr<Expr> cond = parse(d.name, "default if", df.condition);
      if (!cond.ok()) return cond.status();
      sym.defaults.push_back({df.value, *std::move(cond)});
    }
    if (d.kind == SymbolKind::kDerived && d.defaults.empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("config %s is derived but has no default", d.name));
    }
  }

  for (size_t i = 0; i < t.symbols_.size(); ++i) {
    for (size_t k = 0; k < t.symbols_[i].selects.size(); ++k) {
      t.symbols_[t.symbols_[i].selects[k].target].selected_by.push_back({i, k});
    }
  }

  // What each symbol's value reads; evaluation must see those first.
  const size_t n = t.symbols_.size();
  std::vector<std::vector<Edge>> reads(n);
  for (size_t i = 0; i < n; ++i) {
    const Symbol& sym = t.symbols_[i];
    for (const std::string& s : sym.depends.Symbols()) {
      reads[i].push_back({t.index_.at(s), absl::StrFormat("%s depends on %s", sym.name, s)});
    }
    for (const Symbol::Def& df : sym.defaults) {
      for (const std::string& s : df.condition.Symbols()) {
        reads[i].push_back(
            {t.index_.at(s), absl::StrFormat("%s has a default that depends on %s", sym.name, s)});
      }
    }
    for (const Symbol::SelectedBy& by : sym.selected_by) {
      const Symbol& selector = t.symbols_[by.selector];
      reads[i].push_back(
          {by.selector, absl::StrFormat("%s is selected by %s", sym.name, selector.name)});
      for (const std::string& s : selector.selects[by.select_index].condition.Symbols()) {
        reads[i].push_back({t.index_.at(s), absl::StrFormat("%s is selected by %s if %s", sym.name,
                                                            selector.name, s)});
      }
    }
  }

  // Iterative depth-first search (no recursion, so no depth limit): a grey
  // node met again closes a cycle; the post-order is a topological order.
  enum Color { kWhite, kGrey, kBlack };
  std::vector<Color> color(n, kWhite);
  struct Frame {
    size_t node;
    size_t next_edge;
  };
  for (size_t start = 0; start < n; ++start) {
    if (color[start] != kWhite) continue;
    std::vector<Frame> stack{{start, 0}};
    color[start] = kGrey;
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next_edge == reads[f.node].size()) {
        color[f.node] = kBlack;
        t.order_.push_back(f.node);
        stack.pop_back();
        continue;
      }
      const Edge& e = reads[f.node][f.next_edge++];
      if (color[e.to] == kBlack) continue;
      if (color[e.to] == kGrey) {
        std::vector<std::string> path;
        size_t first = 0;
        while (stack[first].node != e.to) ++first;
        for (size_t k = first; k + 1 < stack.size(); ++k) {
          path.push_back(reads[stack[k].node][stack[k].next_edge - 1].text);
        }
        path.push_back(e.text);
        return absl::InvalidArgumentError("recursive dependency detected: " +
                                          absl::StrJoin(path, ", "));
      }
      color[e.to] = kGrey;
      stack.push_back({e.to, 0});
    }
  }
  return t;
}

int SymbolTable::Find(std::string_view name) const {
  // absl::string_view is not std::string_view in Debian's Abseil.
  auto it = index_.find(absl::string_view(name.data(), name.size()));
  return it == index_.end() ? -1 : static_cast<int>(it->second);
}

std::string DescribeDefaults(const SymbolTable::Symbol& sym) {
  std::vector<std::string> parts;
  for (const SymbolTable::Symbol::Def& d : sym.defaults) {
    std::string s = absl::StrFormat(
        "%s %s", parts.empty() && sym.kind == SymbolKind::kDerived ? "def_bool" : "default",
        d.value ? "y" : "n");
    if (!d.condition.IsTrue()) s += " if " + d.condition.ToString();
    parts.push_back(std::move(s));
  }
  return absl::StrJoin(parts, "; ");
}

}  // namespace vfiosim::kconfig
