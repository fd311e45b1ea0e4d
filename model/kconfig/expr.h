// Kconfig expressions (scripts/kconfig/expr.h, reduced to what vfiosim needs):
// symbols, the constants `y` and `n`, `!`, `&&`, `||` and parentheses, with
// Kconfig's precedence (`!` binds tighter than `&&`, which binds tighter than
// `||`). Comparisons (`=`, `!=`, `<`) are not modeled; no symbol vfiosim
// models needs them.
//
//   absl::StatusOr<Expr> e = Expr::Parse("VFIO_PCI_CORE && PCI_P2PDMA");
//   bool v = e->Eval([&](std::string_view sym) { return values[sym]; });
//
// An empty string parses to the constant `y` (an absent `depends on`).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"

namespace vfiosim::kconfig {

class Expr {
 public:
  enum class Op { kConst, kSymbol, kNot, kAnd, kOr };

  // The constant `y` (what an absent `depends on` means).
  Expr();

  // Parses `text` as a Kconfig expression; an empty or blank text is `y`.
  // Errors name the 1-based column: "column 7: expected a symbol, '!' or '('".
  static absl::StatusOr<Expr> Parse(std::string_view text);

  // True if the expression is the constant `y` (nothing to depend on).
  bool IsTrue() const;

  bool Eval(absl::FunctionRef<bool(std::string_view)> value_of) const;

  // Every symbol the expression reads, in order of first appearance.
  std::vector<std::string> Symbols() const;

  // Kconfig spelling with only the parentheses precedence needs:
  // Parse("(A && B) || C").ToString() == "A && B || C".
  std::string ToString() const;

  // Structure, for tests and tools: the root node and its operands.
  Op op() const { return nodes_[root_].op; }
  // kSymbol: the symbol name; kConst: "y" or "n".
  const std::string& name() const { return nodes_[root_].name; }
  // kNot: one operand; kAnd/kOr: two (left, right).
  std::vector<Expr> operands() const;

 private:
  struct Node {
    Op op = Op::kConst;
    std::string name;  // kSymbol: symbol; kConst: "y" / "n"
    int lhs = -1;
    int rhs = -1;
  };
  friend class ExprParser;

  bool EvalNode(int n, absl::FunctionRef<bool(std::string_view)> value_of) const;
  void Print(int n, int parent_prec, std::string& out) const;
  Expr Subtree(int n) const;
  int CopyFrom(const Expr& other, int n);

  std::vector<Node> nodes_;
  int root_ = 0;
};

}  // namespace vfiosim::kconfig
