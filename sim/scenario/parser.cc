#include "sim/scenario/parser.h"

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "model/value.h"
#include "sim/scenario/lexer.h"
#include "sim/scenario/ops.h"
#include "sim/scenario/strings.h"
#include "sim/scenario/suggest.h"
#include "sim/scenario/validator.h"

namespace vfiosim::scn {
namespace {

constexpr std::string_view kTopKeywords[] = {"scenario", "title",  "arch",   "variant", "kconfig",
                                             "bug",      "fix",    "device", "setup",   "thread",
                                             "finally",  "expect", "end"};

bool IsTopKeyword(std::string_view w) {
  for (std::string_view k : kTopKeywords) {
    if (k == w) return true;
  }
  return false;
}

bool IsUpperName(std::string_view w) {
  for (char c : w) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::string ErrnoList() {
  std::string s;
  for (const auto& [e, name] : kErrnoNames) CatTo(&s, s.empty() ? "" : ", ", name);
  return s;
}

std::vector<std::string_view> OpNames() {
  std::vector<std::string_view> v;
  for (int i = 0; i < kNumOpKinds; ++i) v.push_back(OpName(static_cast<OpKind>(i)));
  return v;
}

std::string Shorten(std::string_view s) {
  constexpr size_t kMax = 40;
  if (s.size() > kMax) return Cat(s.substr(0, kMax), "...");
  return std::string(s);
}

// `dddd:bb:dd.f` in hex (lspci's notation): device 00-1f, function 0-7.
bool ValidBdf(std::string_view s) {
  if (s.size() != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.') return false;
  auto hex = [](char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); };
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11}) {
    if (!hex(s[i])) return false;
  }
  int dev = std::stoi(std::string(s.substr(8, 2)), nullptr, 16);
  return dev <= 0x1f && s[11] >= '0' && s[11] <= '7';
}

enum class Ctx { kTop, kDevice, kSetup, kThread, kFinally };

struct Block {
  Ctx ctx = Ctx::kTop;
  SourceLoc loc;
  std::string what;  // "setup", "thread cpu", "device gpu" (for messages)
  int index = -1;    // thread / device index; -1: statements go to a discarded list
};

struct ParsedCond {
  std::unique_ptr<Cond> cond;
  int depth = 0;  // operator depth of the tree (a leaf is 1)
};

class Parser {
 public:
  Parser(std::string_view text, std::string_view file, Diagnostics* diags)
      : text_(text), lex_(text), file_(file), diags_(diags) {}

  void Run(Scenario* s);

 private:
  // ---- errors ----
  void Error(SourceLoc loc, std::string msg) { diags_->Error(file_, loc, std::move(msg)); }
  // "expected <what>, found <token>", or the lexer's own message.
  void Expected(const Token& t, std::string_view what) {
    if (t.kind == TokKind::kError) {
      Error(t.loc, t.error);
    } else {
      Error(t.loc, Cat("expected ", what, ", found ", DescribeToken(t)));
    }
  }
  bool full() const { return diags_->full(file_); }

  // ---- small helpers ----
  bool PeekIs(TokKind k, size_t i = 0) { return lex_.Peek(i).kind == k; }
  bool PeekWord(std::string_view w, size_t i = 0) {
    const Token& t = lex_.Peek(i);
    return t.kind == TokKind::kName && t.text == w;
  }
  bool ExpectEol(std::string_view after) {
    const Token& t = lex_.Peek();
    if (t.kind == TokKind::kEol) return true;
    if (t.kind == TokKind::kError) {
      Error(t.loc, t.error);
    } else {
      Error(t.loc, Cat("unexpected ", DescribeToken(t), " after ", after));
    }
    return false;
  }
  bool Expect(TokKind k, std::string_view what) {
    if (PeekIs(k)) {
      lex_.Take();
      return true;
    }
    Expected(lex_.Peek(), what);
    return false;
  }

  std::optional<uint64_t> Number(std::string_view what);
  // A name that may contain '-' between touching words (`no-zap-on-revoke`).
  std::optional<std::string> HyphenName(std::string_view what, SourceLoc* loc);
  std::optional<Operand> NameOperand(std::string_view what, bool qualified);
  std::optional<Operand> AddrOperand(bool qualified);
  std::optional<Operand> NumberOperand(std::string_view what);

  // ---- statements ----
  void Statement(Scenario* s);
  void TopStatement(Scenario* s, const Token& t);
  void Header(Scenario* s, const Token& kw);
  void Kconfig(Scenario* s);
  void DeviceHeader(Scenario* s, const Token& kw);
  void Bar(DeviceDecl* d);
  void BlockHeader(Scenario* s, const Token& kw);
  bool OpStatement(std::vector<Stmt>* out);
  bool Option(Stmt* st, const OpSpec& spec, uint32_t* seen);
  void ExpectStmt(Scenario* s, const Token& kw);

  // ---- conditions ----
  ParsedCond Or(int nest);
  ParsedCond And(int nest);
  ParsedCond Unary(int nest);
  ParsedCond Primary(int nest);
  bool Ref(CondRef* ref);
  std::optional<CondValue> Value();
  ParsedCond Combine(Cond::Kind kind, ParsedCond lhs, ParsedCond rhs, const Token& op);

  std::vector<Stmt>* BlockStmts(Scenario* s);
  void CloseBlockMissingEnd() {
    Error(block_.loc, Cat("missing 'end' for ", block_.what));
    block_ = Block{};
  }

  std::string_view text_;
  Lexer lex_;
  std::string file_;
  Diagnostics* diags_;
  Block block_;
  std::vector<Stmt> discard_;
  DeviceDecl discard_device_;
  bool any_statement_ = false;
  bool scenario_seen_ = false;
  SourceLoc scenario_loc_, title_loc_, arch_loc_, variant_loc_, setup_loc_, finally_loc_;
};

// ---------------------------------------------------------------------------
// Operands

std::optional<uint64_t> Parser::Number(std::string_view what) {
  const Token& t = lex_.Peek();
  if (t.kind != TokKind::kNumber) {
    Expected(t, what);
    return std::nullopt;
  }
  if (!t.number_error.empty()) {
    if (t.number_error == "bad number") {
      Error(t.loc, Cat("bad number '", Shorten(t.text), "'"));
    } else {
      Error(t.loc, std::string(t.number_error));
    }
    return std::nullopt;
  }
  return lex_.Take().value;
}

std::optional<std::string> Parser::HyphenName(std::string_view what, SourceLoc* loc) {
  const Token& first = lex_.Peek();
  if (first.kind != TokKind::kName && first.kind != TokKind::kNumber) {
    Expected(first, what);
    return std::nullopt;
  }
  Token t = lex_.Take();
  *loc = t.loc;
  size_t begin = t.begin, end = t.end;
  while (PeekIs(TokKind::kMinus) && lex_.Peek().begin == end) {
    const Token& minus = lex_.Peek();
    const Token& next = lex_.Peek(1);
    if ((next.kind != TokKind::kName && next.kind != TokKind::kNumber) || next.begin != minus.end) {
      Error(minus.loc, Cat("a name cannot end with '-' (", what, ")"));
      return std::nullopt;
    }
    lex_.Take();
    end = lex_.Take().end;
  }
  return std::string(text_.substr(begin, end - begin));
}

std::optional<Operand> Parser::NameOperand(std::string_view what, bool qualified) {
  const Token& t = lex_.Peek();
  if (t.kind != TokKind::kName) {
    Expected(t, what);
    return std::nullopt;
  }
  Operand o;
  o.loc = t.loc;
  const size_t name_end = t.end;
  o.name = std::string(lex_.Take().text);
  if (qualified && PeekIs(TokKind::kDot)) {
    lex_.Take();
    const Token& v = lex_.Peek();
    if (v.kind != TokKind::kName) {
      Expected(v, Cat("a variable of thread ", o.name));
      return std::nullopt;
    }
    CatTo(&o.name, ".", lex_.Take().text);
  } else if (!qualified && PeekIs(TokKind::kDot) && lex_.Peek().begin == name_end && PeekIs(TokKind::kName, 1)) {
    // `close cpu.fd` in finally (or another thread): only expectations can
    // name a thread's variables.
    Error(o.loc, Cat("'", Shorten(Cat(o.name, ".", lex_.Peek(1).text)),
                     "' is a thread's variable: statements (also in finally) can use only setup's, finally's and "
                     "their own thread's variables; expectations can use <thread>.<var>"));
    return std::nullopt;
  }
  return o;
}

// `name`, `name+N`, `name-N`, `N`, and (an extension) further `+N` / `-N` terms,
// folded into one displacement; the result must fit in 64 bits.
std::optional<Operand> Parser::AddrOperand(bool qualified) {
  const Token& t = lex_.Peek();
  Operand o;
  o.loc = t.loc;
  __int128 acc = 0;
  if (t.kind == TokKind::kName) {
    auto n = NameOperand("an address", qualified);
    if (!n) return std::nullopt;
    o = *n;
  } else if (t.kind == TokKind::kNumber) {
    auto n = Number("an address");
    if (!n) return std::nullopt;
    acc = *n;
  } else {
    Expected(t, "an address");
    return std::nullopt;
  }
  while (PeekIs(TokKind::kPlus) || PeekIs(TokKind::kMinus)) {
    bool minus = lex_.Take().kind == TokKind::kMinus;
    SourceLoc at = lex_.Peek().loc;
    auto n = Number(minus ? "a number after '-'" : "a number after '+'");
    if (!n) return std::nullopt;
    acc += minus ? -static_cast<__int128>(*n) : static_cast<__int128>(*n);
    if (o.name.empty()) {
      if (acc < 0) {
        Error(at, "address expression is negative");
        return std::nullopt;
      }
      if (acc > static_cast<__int128>(UINT64_MAX)) {
        Error(at, "address expression does not fit in 64 bits");
        return std::nullopt;
      }
    } else if (acc < static_cast<__int128>(INT64_MIN) || acc > static_cast<__int128>(INT64_MAX)) {
      Error(at, "address expression does not fit in 64 bits");
      return std::nullopt;
    }
  }
  if (o.name.empty()) {
    o.number = static_cast<uint64_t>(acc);
    o.offset = static_cast<int64_t>(o.number);
  } else {
    o.offset = static_cast<int64_t>(acc);
  }
  return o;
}

std::optional<Operand> Parser::NumberOperand(std::string_view what) {
  Operand o;
  o.loc = lex_.Peek().loc;
  auto n = Number(what);
  if (!n) return std::nullopt;
  o.number = *n;
  o.offset = static_cast<int64_t>(*n);
  return o;
}

// ---------------------------------------------------------------------------
// Top level

void Parser::Run(Scenario* s) {
  s->file = file_;
  if (text_.size() > Lexer::kMaxInput) {
    Error(SourceLoc{1, 1}, absl::StrFormat("scenario file is too large (%d bytes; the limit is %d)",
                                           text_.size(), Lexer::kMaxInput));
    return;
  }
  while (!lex_.AtEof() && !full()) {
    const Token& t = lex_.Peek();
    if (t.kind == TokKind::kEol) {
      lex_.NextLine();
      continue;
    }
    if (t.kind == TokKind::kError) {
      Error(t.loc, t.error);
      lex_.NextLine();
      continue;
    }
    if (!any_statement_) {
      any_statement_ = true;
      if (!PeekWord("scenario") || PeekIs(TokKind::kEq, 1)) {
        Error(t.loc, Cat("a scenario must start with 'scenario <name>', found ", DescribeToken(t)));
        scenario_seen_ = true;  // reported once; a later `scenario` line is taken as is
      }
    }
    Statement(s);
    lex_.NextLine();
  }
  if (full()) return;
  if (block_.ctx != Ctx::kTop) CloseBlockMissingEnd();
  if (!any_statement_ && diags_->error_count(file_) == 0) {
    Error(SourceLoc{1, 1}, "empty scenario: a scenario starts with 'scenario <name>'");
  }
}

std::vector<Stmt>* Parser::BlockStmts(Scenario* s) {
  switch (block_.ctx) {
    case Ctx::kSetup:
      if (block_.index >= 0) return &s->setup;
      break;
    case Ctx::kFinally:
      if (block_.index >= 0) return &s->finally;
      break;
    case Ctx::kThread:
      if (block_.index >= 0) return &s->threads[block_.index].stmts;
      break;
    default:
      break;
  }
  discard_.clear();
  return &discard_;
}

void Parser::Statement(Scenario* s) {
  const Token t = lex_.Peek();
  const bool binding = t.kind == TokKind::kName && PeekIs(TokKind::kEq, 1);
  const bool keyword = t.kind == TokKind::kName && !binding && IsTopKeyword(t.text);
  if (block_.ctx == Ctx::kTop) {
    TopStatement(s, t);
    return;
  }
  if (keyword && t.text == "end") {
    lex_.Take();
    block_ = Block{};
    ExpectEol("'end'");
    return;
  }
  if (keyword) {
    // A block's `end` is missing: report it at the block, then take this line as
    // the top-level statement it looks like.
    CloseBlockMissingEnd();
    TopStatement(s, t);
    return;
  }
  if (block_.ctx == Ctx::kDevice) {
    if (PeekWord("bar") && !binding) {
      DeviceDecl* d = block_.index >= 0 ? &s->devices[block_.index] : &discard_device_;
      Bar(d);
    } else {
      Expected(t, Cat("'bar' or 'end' in ", block_.what));
    }
    return;
  }
  OpStatement(BlockStmts(s));
}

void Parser::TopStatement(Scenario* s, const Token& t) {
  if (t.kind != TokKind::kName) {
    Expected(t, "a statement");
    return;
  }
  const bool binding = PeekIs(TokKind::kEq, 1);
  if (!binding && IsTopKeyword(t.text)) {
    std::string_view w = t.text;
    if (w == "device") {
      DeviceHeader(s, t);
    } else if (w == "setup" || w == "thread" || w == "finally") {
      BlockHeader(s, t);
    } else if (w == "expect") {
      ExpectStmt(s, t);
    } else if (w == "end") {
      Error(t.loc, "'end' without a block to close");
    } else {
      Header(s, t);
    }
    return;
  }
  if (binding || ParseOpName(t.text)) {
    Error(t.loc, "ops must be inside a setup, thread or finally block");
    return;
  }
  std::vector<std::string_view> kws(std::begin(kTopKeywords), std::end(kTopKeywords));
  Error(t.loc, Cat("unknown keyword '", Shorten(t.text), "'", DidYouMean(t.text, kws)));
}

void Parser::Header(Scenario* s, const Token& kw) {
  lex_.Take();
  const std::string_view w = kw.text;
  auto duplicate = [&](SourceLoc* first) {
    if (first->line > 0) {
      Error(kw.loc, absl::StrFormat("'%s' is already given at %d:%d", w, first->line, first->col));
      return true;
    }
    *first = kw.loc;
    return false;
  };
  if (w == "scenario") {
    if (!s->name.empty()) {
      Error(kw.loc, absl::StrFormat("'scenario' is already given at %d:%d", scenario_loc_.line,
                                    scenario_loc_.col));
      return;
    }
    SourceLoc loc;
    auto name = HyphenName("a scenario name", &loc);
    if (!name) return;
    s->name = *name;
    s->name_loc = loc;
    scenario_loc_ = kw.loc;
    scenario_seen_ = true;
    ExpectEol("the scenario name");
  } else if (w == "title") {
    if (duplicate(&title_loc_)) return;
    const Token& t = lex_.Peek();
    if (t.kind != TokKind::kString) {
      Expected(t, "a quoted title (title \"...\")");
      return;
    }
    s->title = lex_.Take().str;
    ExpectEol("the title");
  } else if (w == "arch") {
    if (duplicate(&arch_loc_)) return;
    const Token t = lex_.Peek();
    if (t.kind != TokKind::kName) {
      Expected(t, "an architecture (x86_64, arm64 or i386)");
      return;
    }
    lex_.Take();
    auto a = ParseArch(t.text);
    if (!a) {
      Error(t.loc,
            Cat("unknown arch '", Shorten(t.text), "'",
                DidYouMean(t.text, {"x86_64", "arm64", "i386"}), "; known: x86_64, arm64, i386"));
      return;
    }
    s->arch = *a;
    s->arch_given = true;
    ExpectEol("the arch");
  } else if (w == "variant") {
    if (duplicate(&variant_loc_)) return;
    const Token t = lex_.Peek();
    if (t.kind != TokKind::kName) {
      Expected(t, "a variant (legacy or dmabuf)");
      return;
    }
    lex_.Take();
    auto v = ParseVariant(t.text);
    if (!v) {
      Error(t.loc, Cat("unknown variant '", Shorten(t.text), "'",
                       DidYouMean(t.text, {"legacy", "dmabuf"}), "; known: legacy, dmabuf"));
      return;
    }
    s->variant = *v;
    s->variant_given = true;
    ExpectEol("the variant");
  } else if (w == "kconfig") {
    Kconfig(s);
  } else if (w == "bug" || w == "fix") {
    std::vector<NamedLoc>* list = w == "bug" ? &s->bugs : &s->fixes;
    do {
      NamedLoc n;
      auto name = HyphenName(w == "bug" ? "a bug name" : "a fix name", &n.loc);
      if (!name) return;
      n.name = *name;
      list->push_back(std::move(n));
    } while (!PeekIs(TokKind::kEol));
  }
}

void Parser::Kconfig(Scenario* s) {
  do {
    const Token sym = lex_.Peek();
    if (sym.kind != TokKind::kName && sym.kind != TokKind::kNumber) {
      Expected(sym, "a Kconfig setting <SYM>=y|n");
      return;
    }
    for (char c : sym.text) {
      if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
        Error(sym.loc, Cat("bad Kconfig symbol '", Shorten(sym.text),
                           "': symbols are upper case, as in ZONE_DEVICE"));
        return;
      }
    }
    lex_.Take();
    if (!Expect(TokKind::kEq, Cat("'=' after ", Shorten(sym.text)))) return;
    const Token v = lex_.Peek();
    if ((v.kind != TokKind::kName && v.kind != TokKind::kNumber) ||
        (v.text != "y" && v.text != "n")) {
      if (v.kind == TokKind::kEol || v.kind == TokKind::kError) {
        Expected(v, "y or n");
      } else {
        Error(v.loc, Cat("Kconfig value must be y or n, not '", Shorten(v.text), "'"));
      }
      return;
    }
    lex_.Take();
    s->kconfig.push_back(KconfigSetting{std::string(sym.text), v.text == "y", sym.loc});
  } while (!PeekIs(TokKind::kEol));
}

void Parser::DeviceHeader(Scenario* s, const Token& kw) {
  lex_.Take();
  // Enter the block even when the header is bad, so that its `bar` lines and `end`
  // do not cause a cascade of errors.
  block_ = Block{Ctx::kDevice, kw.loc, "device", -1};
  const Token name = lex_.Peek();
  if (name.kind != TokKind::kName) {
    Expected(name, "a device name");
    return;
  }
  lex_.Take();
  s->devices.push_back(DeviceDecl{});
  DeviceDecl& d = s->devices.back();
  d.loc = kw.loc;
  d.name = std::string(name.text);
  block_.index = static_cast<int>(s->devices.size()) - 1;
  block_.what = Cat("device ", Shorten(d.name));
  SourceLoc bdf_loc, noreset_loc, vf_loc;
  while (!PeekIs(TokKind::kEol)) {
    const Token t = lex_.Peek();
    if (t.kind == TokKind::kName && t.text == "bdf" && PeekIs(TokKind::kEq, 1)) {
      if (bdf_loc.line > 0) {
        Error(t.loc, "duplicate option 'bdf='");
        return;
      }
      bdf_loc = t.loc;
      lex_.Take();
      lex_.Take();
      const Token first = lex_.Peek();
      size_t begin = first.begin, end = first.begin;
      while (true) {
        const Token& p = lex_.Peek();
        bool part = p.kind == TokKind::kName || p.kind == TokKind::kNumber ||
                    p.kind == TokKind::kColon || p.kind == TokKind::kDot;
        if (!part || p.begin != end) break;
        end = lex_.Take().end;
      }
      std::string bdf(text_.substr(begin, end - begin));
      for (char& c : bdf) c = absl::ascii_tolower(static_cast<unsigned char>(c));
      if (!ValidBdf(bdf)) {
        if (end == begin) {
          Expected(first, "a PCI address dddd:bb:dd.f");
        } else {
          Error(first.loc, Cat("bad bdf '", Shorten(text_.substr(begin, end - begin)),
                               "': expected dddd:bb:dd.f in hex (device 00-1f, "
                               "function 0-7)"));
        }
        return;
      }
      d.bdf = bdf;
    } else if (t.kind == TokKind::kName && t.text == "noreset") {
      if (noreset_loc.line > 0) {
        Error(t.loc, "duplicate 'noreset'");
        return;
      }
      noreset_loc = t.loc;
      lex_.Take();
      d.noreset = true;
    } else if (t.kind == TokKind::kName && t.text == "vf") {
      if (vf_loc.line > 0) {
        Error(t.loc, "duplicate 'vf'");
        return;
      }
      vf_loc = t.loc;
      lex_.Take();
      d.vf = true;
    } else {
      Expected(t, "bdf=<dddd:bb:dd.f>, noreset, vf or end of line");
      return;
    }
  }
}

void Parser::Bar(DeviceDecl* d) {
  BarDecl b;
  b.loc = lex_.Take().loc;
  const Token idx = lex_.Peek();
  auto index = Number("a BAR index 0-5");
  if (!index) return;
  if (*index > INT_MAX) {
    Error(idx.loc, "BAR index must be 0-5");
    return;
  }
  b.index = static_cast<int>(*index);
  bool size_given = false;
  SourceLoc seen[5];  // size, addr, mem64, prefetch, io
  auto dup = [&](int i, const Token& t) {
    if (seen[i].line > 0) {
      Error(t.loc, Cat("duplicate ", DescribeToken(t), " on this BAR"));
      return true;
    }
    seen[i] = t.loc;
    return false;
  };
  while (!PeekIs(TokKind::kEol)) {
    const Token t = lex_.Peek();
    if (t.kind != TokKind::kName) {
      Expected(t, "size=, addr=, mem64, prefetch or io");
      return;
    }
    const bool opt = PeekIs(TokKind::kEq, 1);
    if (opt && t.text == "size") {
      if (dup(0, t)) return;
      lex_.Take();
      lex_.Take();
      auto n = Number("a BAR size");
      if (!n) return;
      b.size = *n;
      size_given = true;
    } else if (opt && t.text == "addr") {
      if (dup(1, t)) return;
      lex_.Take();
      lex_.Take();
      b.addr_loc = lex_.Peek().loc;
      auto n = Number("a BAR address");
      if (!n) return;
      b.addr = *n;
    } else if (!opt && t.text == "mem64") {
      if (dup(2, t)) return;
      lex_.Take();
      b.mem64 = true;
    } else if (!opt && t.text == "prefetch") {
      if (dup(3, t)) return;
      lex_.Take();
      b.prefetch = true;
    } else if (!opt && t.text == "io") {
      if (dup(4, t)) return;
      lex_.Take();
      b.io = true;
    } else {
      std::string what =
          opt ? Cat("option '", Shorten(t.text), "='") : Cat("flag '", Shorten(t.text), "'");
      Error(t.loc, Cat("unknown BAR ", what,
                       DidYouMean(t.text, {"size", "addr", "mem64", "prefetch", "io"}),
                       "; a BAR takes size=, addr=, mem64, prefetch, io"));
      return;
    }
  }
  if (!size_given) {
    Error(b.loc, "bar needs size=<n>");
    return;
  }
  d->bars.push_back(b);
}

void Parser::BlockHeader(Scenario* s, const Token& kw) {
  lex_.Take();
  const std::string_view w = kw.text;
  if (w == "setup" || w == "finally") {
    const bool setup = w == "setup";
    SourceLoc* first = setup ? &setup_loc_ : &finally_loc_;
    block_ = Block{setup ? Ctx::kSetup : Ctx::kFinally, kw.loc, std::string(w), -1};
    if (first->line > 0) {
      Error(kw.loc, absl::StrFormat("%s is already defined at %d:%d", w, first->line, first->col));
      return;
    }
    *first = kw.loc;
    block_.index = 0;
    (setup ? s->has_setup : s->has_finally) = true;
    ExpectEol(Cat("'", w, "'"));
    return;
  }
  block_ = Block{Ctx::kThread, kw.loc, "thread", -1};
  const Token name = lex_.Peek();
  if (name.kind != TokKind::kName) {
    Expected(name, "a thread name");
    return;
  }
  lex_.Take();
  s->threads.push_back(ThreadDecl{kw.loc, std::string(name.text), {}});
  block_.index = static_cast<int>(s->threads.size()) - 1;
  block_.what = Cat("thread ", Shorten(name.text));
  ExpectEol("the thread name");
}

// ---------------------------------------------------------------------------
// Ops

// A statement as the file spells it, for traces: from `begin` to the end of the
// line or a comment, blanks collapsed ("command fd mem=0", "read p va+0x1000").
std::string SourceText(std::string_view text, size_t begin) {
  std::string out;
  for (size_t i = begin; i < text.size() && text[i] != '\n' && text[i] != '\r' && text[i] != '#'; ++i) {
    const bool blank = text[i] == ' ' || text[i] == '\t';
    if (blank && (out.empty() || out.back() == ' ')) continue;
    out.push_back(blank ? ' ' : text[i]);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool Parser::OpStatement(std::vector<Stmt>* out) {
  Stmt st;
  const Token first = lex_.Peek();
  st.text = SourceText(text_, first.begin);
  if (first.kind == TokKind::kName && PeekIs(TokKind::kEq, 1)) {
    st.bind = std::string(first.text);
    st.bind_loc = first.loc;
    lex_.Take();
    lex_.Take();
  }
  const Token opt = lex_.Peek();
  if (opt.kind != TokKind::kName) {
    Expected(opt, st.bind.empty() ? "an op" : Cat("an op after '", st.bind, " ='"));
    return false;
  }
  SourceLoc loc;
  auto word = HyphenName("an op", &loc);
  if (!word) return false;
  auto op = ParseOpName(*word);
  if (!op) {
    Error(loc, Cat("unknown op '", Shorten(*word), "'", DidYouMean(*word, OpNames())));
    return false;
  }
  st.op = *op;
  st.loc = loc;
  const OpSpec& spec = GetOpSpec(*op);
  for (int i = 0; i < spec.num_args; ++i) {
    const ArgSpec& a = spec.args[i];
    std::optional<Operand> o;
    switch (a.type) {
      case ArgType::kDevice:
        o = NameOperand("a device name", false);
        break;
      case ArgType::kHandle:
        o = NameOperand(a.what, false);
        break;
      case ArgType::kAddr:
        o = AddrOperand(false);
        break;
      case ArgType::kNumber:
        o = NumberOperand(a.what);
        break;
    }
    if (!o) return false;
    st.args.push_back(std::move(*o));
  }
  switch (spec.word) {
    case OpWord::kNone:
      break;
    case OpWord::kIn:
      if (PeekWord("in") && !PeekIs(TokKind::kEq, 1)) {
        lex_.Take();
        auto p = NameOperand("a process", false);
        if (!p) return false;
        st.in_proc = std::move(*p);
      }
      break;
    case OpWord::kAttachMode:
    case OpWord::kPower: {
      const bool attach = spec.word == OpWord::kAttachMode;
      const Token t = lex_.Peek();
      std::string_view a = attach ? "dynamic" : "d3", b = attach ? "pinned" : "d0";
      if (t.kind != TokKind::kName || (t.text != a && t.text != b)) {
        Error(t.loc, absl::StrFormat("%s needs %s or %s, found %s", OpName(*op), a, b,
                                     t.kind == TokKind::kError ? t.error : DescribeToken(t)));
        return false;
      }
      lex_.Take();
      if (attach) {
        st.attach_mode = t.text == a ? AttachMode::kDynamic : AttachMode::kPinned;
      } else {
        st.power = t.text == a ? PowerTarget::kD3 : PowerTarget::kD0;
      }
      break;
    }
  }
  uint32_t seen = 0;
  while (!PeekIs(TokKind::kEol)) {
    if (!Option(&st, spec, &seen)) return false;
  }
  for (int i = 0; i < kNumOpts; ++i) {
    OptBit bit = static_cast<OptBit>(1u << i);
    if ((spec.required & bit) && !(seen & bit)) {
      Error(st.loc, absl::StrFormat("%s needs %s=<n>", OpName(*op), OptName(bit)));
      return false;
    }
  }
  out->push_back(std::move(st));
  return true;
}

bool Parser::Option(Stmt* st, const OpSpec& spec, uint32_t* seen) {
  const Token key = lex_.Peek();
  const std::string_view op = OpName(spec.op);
  if (key.kind != TokKind::kName || !PeekIs(TokKind::kEq, 1)) {
    if (key.kind == TokKind::kError) {
      Error(key.loc, key.error);
    } else if (spec.allowed == 0) {
      Error(key.loc, Cat("unexpected ", DescribeToken(key), " after the operands of '", op, "'"));
    } else {
      Error(key.loc,
            Cat("unexpected ", DescribeToken(key), " in '", op, "': expected an option key=value"));
    }
    return false;
  }
  OptBit bit{};
  std::vector<std::string_view> allowed;
  bool found = false;
  for (int i = 0; i < kNumOpts; ++i) {
    OptBit b = static_cast<OptBit>(1u << i);
    if (spec.allowed & b) allowed.push_back(OptName(b));
    if (OptName(b) == key.text) bit = b, found = true;
  }
  if (!found || !(spec.allowed & bit)) {
    std::string list;
    for (std::string_view a : allowed) CatTo(&list, list.empty() ? "" : ", ", a, "=");
    Error(key.loc, Cat("unknown option '", Shorten(key.text), "=' for '", op, "'",
                       DidYouMean(key.text, allowed),
                       allowed.empty() ? std::string("; it takes no options")
                                       : Cat("; its options: ", list)));
    return false;
  }
  if (*seen & bit) {
    Error(key.loc, Cat("duplicate option '", key.text, "='"));
    return false;
  }
  *seen |= bit;
  lex_.Take();
  lex_.Take();
  const SourceLoc vloc = lex_.Peek().loc;
  auto num = [&](std::optional<uint64_t>* dst, SourceLoc* dst_loc, std::string_view what) {
    auto n = Number(what);
    if (!n) return false;
    *dst = *n;
    *dst_loc = vloc;
    return true;
  };
  switch (bit) {
    case kOptBar:
      return num(&st->bar, &st->bar_loc, "a BAR index");
    case kOptOffset:
      return num(&st->offset, &st->offset_loc, "an offset");
    case kOptLen:
      return num(&st->len, &st->len_loc, "a length");
    case kOptMem:
      return num(&st->mem, &st->mem_loc, "0 or 1");
    case kOptNofile:
      return num(&st->nofile, &st->nofile_loc, "an fd limit");
    case kOptProt: {
      const Token v = lex_.Peek();
      if (v.kind != TokKind::kName || (v.text != "r" && v.text != "rw")) {
        Expected(v, "r or rw");
        return false;
      }
      lex_.Take();
      st->prot = v.text == "r" ? Prot::kRead : Prot::kReadWrite;
      return true;
    }
    case kOptAt: {
      auto a = AddrOperand(false);
      if (!a) return false;
      st->at = std::move(*a);
      return true;
    }
    case kOptRanges: {
      do {
        if (!st->ranges.empty()) lex_.Take();  // the ','
        ExportRange r;
        r.loc = lex_.Peek().loc;
        auto off = Number("a range <offset>+<len>");
        if (!off) return false;
        if (!Expect(TokKind::kPlus, "'+' in a range <offset>+<len>")) return false;
        auto len = Number("a range length");
        if (!len) return false;
        r.offset = *off;
        r.len = *len;
        st->ranges.push_back(r);
      } while (PeekIs(TokKind::kComma));
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
// Expectations

void Parser::ExpectStmt(Scenario* s, const Token& kw) {
  lex_.Take();
  Expectation e;
  e.loc = kw.loc;
  const Token k = lex_.Peek();
  const std::string_view w = k.kind == TokKind::kName ? k.text : std::string_view();
  if (w == "clean") {
    lex_.Take();
    e.kind = Expectation::Kind::kClean;
  } else if (w == "violation") {
    lex_.Take();
    e.kind = Expectation::Kind::kViolation;
    auto inv = HyphenName("an invariant name", &e.invariant_loc);
    if (!inv) return;
    e.invariant = *inv;
  } else if (w == "never" || w == "sometimes" || w == "always") {
    lex_.Take();
    e.kind = w == "never"       ? Expectation::Kind::kNever
             : w == "sometimes" ? Expectation::Kind::kSometimes
                                : Expectation::Kind::kAlways;
    ParsedCond c = Or(0);
    if (!c.cond) return;
    e.cond = std::move(c.cond);
  } else {
    Expected(k, "clean, violation, never, sometimes or always after 'expect'");
    return;
  }
  if (!ExpectEol("the expectation")) return;
  s->expectations.push_back(std::move(e));
}

ParsedCond Parser::Combine(Cond::Kind kind, ParsedCond lhs, ParsedCond rhs, const Token& op) {
  ParsedCond r;
  r.depth = 1 + std::max(lhs.depth, rhs.depth);
  if (r.depth > kMaxCondDepth) {
    Error(op.loc,
          absl::StrFormat("condition is too deeply nested (more than %d levels)", kMaxCondDepth));
    return ParsedCond{};
  }
  r.cond = std::make_unique<Cond>();
  r.cond->kind = kind;
  r.cond->loc = lhs.cond->loc;
  r.cond->lhs = std::move(lhs.cond);
  r.cond->rhs = std::move(rhs.cond);
  return r;
}

ParsedCond Parser::Or(int nest) {
  ParsedCond lhs = And(nest);
  while (lhs.cond && PeekIs(TokKind::kOrOr)) {
    Token op = lex_.Take();
    ParsedCond rhs = And(nest);
    if (!rhs.cond) return ParsedCond{};
    lhs = Combine(Cond::Kind::kOr, std::move(lhs), std::move(rhs), op);
  }
  return lhs;
}

ParsedCond Parser::And(int nest) {
  ParsedCond lhs = Unary(nest);
  while (lhs.cond && PeekIs(TokKind::kAndAnd)) {
    Token op = lex_.Take();
    ParsedCond rhs = Unary(nest);
    if (!rhs.cond) return ParsedCond{};
    lhs = Combine(Cond::Kind::kAnd, std::move(lhs), std::move(rhs), op);
  }
  return lhs;
}

ParsedCond Parser::Unary(int nest) {
  const Token& t = lex_.Peek();
  if (nest >= kMaxCondDepth) {
    Error(t.loc,
          absl::StrFormat("condition is too deeply nested (more than %d levels)", kMaxCondDepth));
    return ParsedCond{};
  }
  if (t.kind != TokKind::kBang) return Primary(nest);
  SourceLoc loc = lex_.Take().loc;
  ParsedCond inner = Unary(nest + 1);
  if (!inner.cond) return ParsedCond{};
  ParsedCond r;
  r.depth = inner.depth + 1;
  if (r.depth > kMaxCondDepth) {
    Error(loc,
          absl::StrFormat("condition is too deeply nested (more than %d levels)", kMaxCondDepth));
    return ParsedCond{};
  }
  r.cond = std::make_unique<Cond>();
  r.cond->kind = Cond::Kind::kNot;
  r.cond->loc = loc;
  r.cond->lhs = std::move(inner.cond);
  return r;
}

ParsedCond Parser::Primary(int nest) {
  const Token t = lex_.Peek();
  if (t.kind == TokKind::kLParen) {
    lex_.Take();
    ParsedCond inner = Or(nest + 1);
    if (!inner.cond) return ParsedCond{};
    if (!Expect(TokKind::kRParen, "')'")) return ParsedCond{};
    return inner;
  }
  if (t.kind != TokKind::kName) {
    Expected(t, "a condition");
    return ParsedCond{};
  }
  ParsedCond r;
  r.depth = 1;
  r.cond = std::make_unique<Cond>();
  Cond& c = *r.cond;
  c.loc = t.loc;
  if ((t.text == "mapped" || t.text == "revoked") && PeekIs(TokKind::kLParen, 1)) {
    lex_.Take();
    lex_.Take();
    if (t.text == "mapped") {
      c.kind = Cond::Kind::kMapped;
      auto p = NameOperand("a process", true);
      if (!p) return ParsedCond{};
      c.proc = std::move(*p);
      if (!Expect(TokKind::kComma, "',' in mapped(<proc>, <addr>)")) return ParsedCond{};
      auto a = AddrOperand(true);
      if (!a) return ParsedCond{};
      c.addr = std::move(*a);
    } else {
      c.kind = Cond::Kind::kRevoked;
      auto b = NameOperand("a dma-buf fd", true);
      if (!b) return ParsedCond{};
      c.buf = std::move(*b);
    }
    if (!Expect(TokKind::kRParen, "')'")) return ParsedCond{};
    return r;
  }
  if (!Ref(&c.ref)) return ParsedCond{};
  const Token op = lex_.Peek();
  if (op.kind == TokKind::kEqEq || op.kind == TokKind::kNe) {
    lex_.Take();
    c.kind = op.kind == TokKind::kEqEq ? Cond::Kind::kEq : Cond::Kind::kNe;
    auto v = Value();
    if (!v) return ParsedCond{};
    c.values.push_back(std::move(*v));
    return r;
  }
  if (op.kind == TokKind::kName && op.text == "in") {
    lex_.Take();
    c.kind = Cond::Kind::kIn;
    if (!Expect(TokKind::kLBrace, "'{' after 'in'")) return ParsedCond{};
    while (true) {
      auto v = Value();
      if (!v) return ParsedCond{};
      c.values.push_back(std::move(*v));
      if (PeekIs(TokKind::kRBrace)) break;
      if (!Expect(TokKind::kComma, "',' or '}'")) return ParsedCond{};
    }
    lex_.Take();
    return r;
  }
  Expected(op, "'==', '!=' or 'in'");
  return ParsedCond{};
}

bool Parser::Ref(CondRef* ref) {
  const Token t = lex_.Take();  // a name
  ref->loc = t.loc;
  if (t.text == "pagesize" && PeekIs(TokKind::kLParen)) {
    lex_.Take();
    ref->kind = CondRef::Kind::kPagesize;
    auto p = NameOperand("a process", true);
    if (!p) return false;
    ref->proc = std::move(*p);
    if (!Expect(TokKind::kComma, "',' in pagesize(<proc>, <addr>)")) return false;
    auto a = AddrOperand(true);
    if (!a) return false;
    ref->addr = std::move(*a);
    return Expect(TokKind::kRParen, "')'");
  }
  if (PeekIs(TokKind::kDot)) {
    lex_.Take();
    const Token v = lex_.Peek();
    if (v.kind != TokKind::kName) {
      Expected(v, Cat("a variable of thread ", Shorten(t.text)));
      return false;
    }
    lex_.Take();
    ref->kind = CondRef::Kind::kThreadVar;
    ref->thread = std::string(t.text);
    ref->var = std::string(v.text);
    return true;
  }
  ref->kind = CondRef::Kind::kVar;
  ref->var = std::string(t.text);
  return true;
}

std::optional<CondValue> Parser::Value() {
  const Token t = lex_.Peek();
  CondValue v;
  v.loc = t.loc;
  if (t.kind == TokKind::kNumber) {
    auto n = Number("a value");
    if (!n) return std::nullopt;
    v.kind = CondValue::Kind::kNumber;
    v.number = *n;
    return v;
  }
  constexpr std::string_view kWhat =
      "a value (a number, ok, an errno or signal name, mmap or nommap)";
  if (t.kind != TokKind::kName) {
    Expected(t, kWhat);
    return std::nullopt;
  }
  const std::string_view w = t.text;
  if (ParseErrno(w)) v.kind = CondValue::Kind::kErrno, v.name = std::string(w);
  if (ParseSignal(w)) v.kind = CondValue::Kind::kSignal, v.name = std::string(w);
  if (w == "ok") v.kind = CondValue::Kind::kOk;
  if (w == "mmap") v.kind = CondValue::Kind::kMmap;
  if (w == "nommap") v.kind = CondValue::Kind::kNommap;
  if (v.kind != CondValue::Kind::kNumber) {
    lex_.Take();
    return v;
  }
  std::vector<std::string_view> names;
  for (const auto& [e, name] : kErrnoNames) names.push_back(name);
  for (const auto& [sig, name] : kSignalNames) names.push_back(name);
  names.insert(names.end(), {"ok", "mmap", "nommap"});
  if (w.size() > 3 && w.substr(0, 3) == "SIG") {
    Error(t.loc, Cat("unknown signal '", Shorten(w), "'", DidYouMean(w, names),
                     "; the signals are SIGBUS and SIGSEGV"));
  } else if (w.size() > 1 && w[0] == 'E' && IsUpperName(w)) {
    Error(t.loc, Cat("unknown errno '", Shorten(w), "'", DidYouMean(w, names), "; the errnos are ",
                     ErrnoList()));
  } else {
    Error(t.loc, Cat("expected ", kWhat, ", found ", DescribeToken(t), DidYouMean(w, names)));
  }
  return std::nullopt;
}

absl::StatusOr<std::string> ReadFile(const std::string& path, Diagnostics* diags,
                                     absl::StatusCode* code) {
  std::error_code ec;
  *code = absl::StatusCode::kInvalidArgument;
  if (std::filesystem::is_directory(path, ec)) {
    diags->Error(path, SourceLoc{}, "cannot read scenario file: it is a directory");
    return absl::InvalidArgumentError("");
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    if (err == ENOENT) *code = absl::StatusCode::kNotFound;
    diags->Error(path, SourceLoc{},
                 Cat("cannot read scenario file: ", err ? std::strerror(err) : "open failed"));
    return absl::InvalidArgumentError("");
  }
  auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > Lexer::kMaxInput) {
    diags->Error(path, SourceLoc{},
                 absl::StrFormat("scenario file is too large (%d bytes; the limit is %d)", size,
                                 Lexer::kMaxInput));
    return absl::InvalidArgumentError("");
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    diags->Error(path, SourceLoc{}, "cannot read scenario file: read error");
    return absl::InvalidArgumentError("");
  }
  return text;
}

// Parsing, reading and validating each report into a fresh collector, so that
// the per-file error cap and "did this call fail" do not depend on what the
// caller's collector already holds; the caller's collector gets a copy.
absl::Status Finish(const Diagnostics& local, Diagnostics* diags,
                    absl::StatusCode code = absl::StatusCode::kInvalidArgument) {
  if (diags) diags->Append(local);
  if (!local.has_errors()) return absl::OkStatus();
  std::string msg = local.ToString();
  msg.pop_back();
  return absl::Status(code, msg);
}

}  // namespace

absl::StatusOr<Scenario> ParseScenario(std::string_view text, std::string_view filename,
                                       Diagnostics* diags) {
  Diagnostics local;
  Scenario s;
  Parser p(text, filename, &local);
  p.Run(&s);
  if (absl::Status st = Finish(local, diags); !st.ok()) return st;
  return s;
}

absl::StatusOr<Scenario> ParseScenarioFile(const std::string& path, Diagnostics* diags) {
  Diagnostics local;
  absl::StatusCode code;
  absl::StatusOr<std::string> text = ReadFile(path, &local, &code);
  if (!text.ok()) return Finish(local, diags, code);
  return ParseScenario(*text, path, diags);
}

absl::StatusOr<Scenario> LoadScenario(std::string_view text, std::string_view filename,
                                      Diagnostics* diags) {
  absl::StatusOr<Scenario> s = ParseScenario(text, filename, diags);
  if (!s.ok()) return s;
  Diagnostics local;
  ValidateScenario(*s, &local);
  if (absl::Status st = Finish(local, diags); !st.ok()) return st;
  return s;
}

absl::StatusOr<Scenario> LoadScenarioFile(const std::string& path, Diagnostics* diags) {
  Diagnostics local;
  absl::StatusCode code;
  absl::StatusOr<std::string> text = ReadFile(path, &local, &code);
  if (!text.ok()) return Finish(local, diags, code);
  return LoadScenario(*text, path, diags);
}

}  // namespace vfiosim::scn
