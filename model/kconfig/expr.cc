// Recursive-descent parser and evaluator for Kconfig expressions, after
// scripts/kconfig/parser.y (expr: expr '||' expr | expr '&&' expr | '!' expr |
// '(' expr ')' | symbol, with '||' < '&&' < '!' in precedence).
#include "model/kconfig/expr.h"

#include <cctype>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace vfiosim::kconfig {

namespace {

// Printing precedences: higher binds tighter.
constexpr int kPrecOr = 1;
constexpr int kPrecAnd = 2;
constexpr int kPrecNot = 3;

bool IsSymbolChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

class ExprParser {
 public:
  explicit ExprParser(std::string_view text) : text_(text) {}

  absl::StatusOr<Expr> Run() {
    Expr e;
    e.nodes_.clear();
    SkipSpace();
    if (pos_ == text_.size()) {
      e.nodes_.push_back({Expr::Op::kConst, "y"});
      e.root_ = 0;
      return e;
    }
    out_ = &e;
    int root = ParseOr();
    if (!status_.ok()) return status_;
    SkipSpace();
    if (pos_ != text_.size()) {
      Error(text_[pos_] == ')' ? "unbalanced ')'" : "expected '&&', '||' or the end");
      return status_;
    }
    e.root_ = root;
    return e;
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  bool Accept(std::string_view tok) {
    SkipSpace();
    if (text_.substr(pos_, tok.size()) == tok) {
      pos_ += tok.size();
      return true;
    }
    return false;
  }

  // Records the first error; parsing unwinds by checking status_.
  void Error(std::string_view what) {
    if (status_.ok()) {
      status_ = absl::InvalidArgumentError(
          absl::StrFormat("column %d: %s in '%s'", pos_ + 1, what, text_));
    }
  }

  int Add(Expr::Op op, std::string name, int lhs, int rhs) {
    out_->nodes_.push_back({op, std::move(name), lhs, rhs});
    return static_cast<int>(out_->nodes_.size()) - 1;
  }

  int ParseOr() {
    int lhs = ParseAnd();
    while (status_.ok() && Accept("||")) lhs = Add(Expr::Op::kOr, "", lhs, ParseAnd());
    return lhs;
  }

  int ParseAnd() {
    int lhs = ParseUnary();
    while (status_.ok() && Accept("&&")) lhs = Add(Expr::Op::kAnd, "", lhs, ParseUnary());
    return lhs;
  }

  int ParseUnary() {
    if (!status_.ok()) return 0;
    // Bound the nesting so that a pathological input cannot exhaust the stack.
    if (++depth_ > 200) {
      Error("expression nested too deeply");
      return 0;
    }
    int result;
    if (Accept("!")) {
      result = Add(Expr::Op::kNot, "", ParseUnary(), -1);
    } else if (Accept("(")) {
      result = ParseOr();
      if (status_.ok() && !Accept(")")) Error("expected ')'");
    } else {
      SkipSpace();
      size_t start = pos_;
      while (pos_ < text_.size() && IsSymbolChar(text_[pos_])) ++pos_;
      if (pos_ == start) {
        Error("expected a symbol, '!' or '('");
        result = 0;
      } else {
        std::string name(text_.substr(start, pos_ - start));
        bool is_const = name == "y" || name == "n";
        result = Add(is_const ? Expr::Op::kConst : Expr::Op::kSymbol, std::move(name), -1, -1);
      }
    }
    --depth_;
    return result;
  }

  std::string_view text_;
  size_t pos_ = 0;
  int depth_ = 0;
  Expr* out_ = nullptr;
  absl::Status status_;
};

Expr::Expr() : nodes_{{Op::kConst, "y"}}, root_(0) {}

absl::StatusOr<Expr> Expr::Parse(std::string_view text) { return ExprParser(text).Run(); }

bool Expr::IsTrue() const { return op() == Op::kConst && name() == "y"; }

bool Expr::Eval(absl::FunctionRef<bool(std::string_view)> value_of) const {
  return EvalNode(root_, value_of);
}

bool Expr::EvalNode(int n, absl::FunctionRef<bool(std::string_view)> value_of) const {
  const Node& node = nodes_[n];
  switch (node.op) {
    case Op::kConst:
      return node.name == "y";
    case Op::kSymbol:
      return value_of(node.name);
    case Op::kNot:
      return !EvalNode(node.lhs, value_of);
    case Op::kAnd:
      return EvalNode(node.lhs, value_of) && EvalNode(node.rhs, value_of);
    case Op::kOr:
      return EvalNode(node.lhs, value_of) || EvalNode(node.rhs, value_of);
  }
  return false;
}

std::vector<std::string> Expr::Symbols() const {
  // Nodes are appended in parse order, so scanning them gives source order.
  std::vector<std::string> out;
  for (const Node& node : nodes_) {
    if (node.op != Op::kSymbol) continue;
    bool seen = false;
    for (const std::string& s : out) seen = seen || s == node.name;
    if (!seen) out.push_back(node.name);
  }
  return out;
}

std::string Expr::ToString() const {
  std::string out;
  Print(root_, 0, out);
  return out;
}

void Expr::Print(int n, int parent_prec, std::string& out) const {
  const Node& node = nodes_[n];
  int prec = node.op == Op::kOr ? kPrecOr : node.op == Op::kAnd ? kPrecAnd : kPrecNot;
  bool parens = prec < parent_prec;
  if (parens) out += '(';
  switch (node.op) {
    case Op::kConst:
    case Op::kSymbol:
      out += node.name;
      break;
    case Op::kNot:
      out += '!';
      Print(node.lhs, kPrecNot, out);
      break;
    case Op::kAnd:
    case Op::kOr:
      // Both operators are associative, so a same-operator child needs no
      // parentheses on either side; a lower-precedence child does.
      Print(node.lhs, prec, out);
      out += node.op == Op::kAnd ? " && " : " || ";
      Print(node.rhs, prec, out);
      break;
  }
  if (parens) out += ')';
}

int Expr::CopyFrom(const Expr& other, int n) {
  const Node& src = other.nodes_[n];
  int lhs = src.lhs >= 0 ? CopyFrom(other, src.lhs) : -1;
  int rhs = src.rhs >= 0 ? CopyFrom(other, src.rhs) : -1;
  nodes_.push_back({src.op, src.name, lhs, rhs});
  return static_cast<int>(nodes_.size()) - 1;
}

Expr Expr::Subtree(int n) const {
  Expr e;
  e.nodes_.clear();
  e.root_ = e.CopyFrom(*this, n);
  return e;
}

std::vector<Expr> Expr::operands() const {
  const Node& node = nodes_[root_];
  std::vector<Expr> out;
  if (node.lhs >= 0) out.push_back(Subtree(node.lhs));
  if (node.rhs >= 0) out.push_back(Subtree(node.rhs));
  return out;
}

}  // namespace vfiosim::kconfig
