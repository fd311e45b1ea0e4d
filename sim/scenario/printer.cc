#include "sim/scenario/printer.h"

#include "absl/strings/str_format.h"
#include "sim/scenario/ops.h"
#include "sim/scenario/strings.h"

namespace vfiosim::scn {
namespace {

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string ValueText(const CondValue& v) {
  switch (v.kind) {
    case CondValue::Kind::kNumber:
      return FormatNumber(v.number);
    case CondValue::Kind::kOk:
      return "ok";
    case CondValue::Kind::kErrno:
    case CondValue::Kind::kSignal:
      return v.name;
    case CondValue::Kind::kMmap:
      return "mmap";
    case CondValue::Kind::kNommap:
      return "nommap";
  }
  return "?";
}

std::string RefText(const CondRef& r) {
  switch (r.kind) {
    case CondRef::Kind::kVar:
      return r.var;
    case CondRef::Kind::kThreadVar:
      return Cat(r.thread, ".", r.var);
    case CondRef::Kind::kPagesize:
      return Cat("pagesize(", PrintOperand(r.proc), ", ", PrintOperand(r.addr), ")");
  }
  return "?";
}

// Precedence: || 1, && 2, ! 3, atoms 4. A child is parenthesized when its own
// precedence is lower than what its position requires.
void AppendCond(const Cond& c, int need, std::string* out) {
  int prec = c.kind == Cond::Kind::kOr    ? 1
             : c.kind == Cond::Kind::kAnd ? 2
             : c.kind == Cond::Kind::kNot ? 3
                                          : 4;
  const bool paren = prec < need;
  if (paren) out->push_back('(');
  switch (c.kind) {
    case Cond::Kind::kOr:
    case Cond::Kind::kAnd:
      if (c.lhs) AppendCond(*c.lhs, prec, out);
      out->append(c.kind == Cond::Kind::kOr ? " || " : " && ");
      if (c.rhs) AppendCond(*c.rhs, prec + 1, out);
      break;
    case Cond::Kind::kNot:
      out->push_back('!');
      if (c.lhs) AppendCond(*c.lhs, 3, out);
      break;
    case Cond::Kind::kEq:
    case Cond::Kind::kNe:
      CatTo(out, RefText(c.ref), c.kind == Cond::Kind::kEq ? " == " : " != ",
            c.values.empty() ? "?" : ValueText(c.values[0]));
      break;
    case Cond::Kind::kIn: {
      CatTo(out, RefText(c.ref), " in {");
      for (size_t i = 0; i < c.values.size(); ++i) {
        CatTo(out, i ? ", " : "", ValueText(c.values[i]));
      }
      out->push_back('}');
      break;
    }
    case Cond::Kind::kMapped:
      CatTo(out, "mapped(", PrintOperand(c.proc), ", ", PrintOperand(c.addr), ")");
      break;
    case Cond::Kind::kRevoked:
      CatTo(out, "revoked(", PrintOperand(c.buf), ")");
      break;
  }
  if (paren) out->push_back(')');
}

void Block(std::string_view header, const std::vector<Stmt>& stmts, std::string* out) {
  CatTo(out, "\n", header, "\n");
  for (const Stmt& st : stmts) CatTo(out, "  ", PrintStmt(st), "\n");
  out->append("end\n");
}

}  // namespace

std::string FormatNumber(uint64_t v) {
  if (v < 1024) return Cat(v);
  // A suffix only where it reads as a size (1K..1023K, 1M..1023M, 1G..1023G).
  for (int shift : {30, 20, 10}) {
    const uint64_t unit = uint64_t{1} << shift;
    if (v % unit == 0 && (v >> shift) < 1024) return Cat(v >> shift, "KMG"[shift / 10 - 1]);
  }
  return absl::StrFormat("0x%x", v);
}

std::string PrintOperand(const Operand& o) {
  if (o.is_number()) return FormatNumber(o.number);
  if (o.offset > 0) return Cat(o.name, "+", FormatNumber(static_cast<uint64_t>(o.offset)));
  if (o.offset < 0) {
    return Cat(o.name, "-", FormatNumber(uint64_t{0} - static_cast<uint64_t>(o.offset)));
  }
  return o.name;
}

std::string PrintCond(const Cond& c) {
  std::string out;
  AppendCond(c, 0, &out);
  return out;
}

std::string PrintStmt(const Stmt& st) {
  std::string out;
  if (!st.bind.empty()) CatTo(&out, st.bind, " = ");
  out.append(OpName(st.op));
  for (const Operand& o : st.args) CatTo(&out, " ", PrintOperand(o));
  if (st.in_proc) CatTo(&out, " in ", PrintOperand(*st.in_proc));
  if (st.attach_mode) {
    out.append(*st.attach_mode == AttachMode::kDynamic ? " dynamic" : " pinned");
  }
  if (st.power) out.append(*st.power == PowerTarget::kD3 ? " d3" : " d0");
  if (st.bar) CatTo(&out, " bar=", *st.bar);
  if (st.offset) CatTo(&out, " offset=", FormatNumber(*st.offset));
  if (st.len) CatTo(&out, " len=", FormatNumber(*st.len));
  if (st.prot) out.append(*st.prot == Prot::kRead ? " prot=r" : " prot=rw");
  if (st.at) CatTo(&out, " at=", PrintOperand(*st.at));
  if (st.mem) CatTo(&out, " mem=", *st.mem);
  if (st.nofile) CatTo(&out, " nofile=", *st.nofile);
  for (size_t i = 0; i < st.ranges.size(); ++i) {
    CatTo(&out, i ? "," : " ranges=", FormatNumber(st.ranges[i].offset), "+",
          FormatNumber(st.ranges[i].len));
  }
  return out;
}

std::string PrintScenario(const Scenario& s) {
  std::string out = Cat("scenario ", s.name, "\n");
  if (!s.title.empty()) CatTo(&out, "title ", Quote(s.title), "\n");
  if (s.arch_given) CatTo(&out, "arch ", ArchName(s.arch), "\n");
  if (s.variant_given) CatTo(&out, "variant ", VariantName(s.variant), "\n");
  for (const KconfigSetting& k : s.kconfig) {
    CatTo(&out, "kconfig ", k.symbol, k.value ? "=y" : "=n", "\n");
  }
  for (const NamedLoc& b : s.bugs) CatTo(&out, "bug ", b.name, "\n");
  for (const NamedLoc& f : s.fixes) CatTo(&out, "fix ", f.name, "\n");
  for (const DeviceDecl& d : s.devices) {
    CatTo(&out, "\ndevice ", d.name);
    if (!d.bdf.empty()) CatTo(&out, " bdf=", d.bdf);
    if (d.noreset) out.append(" noreset");
    if (d.vf) out.append(" vf");
    out.append("\n");
    for (const BarDecl& b : d.bars) {
      CatTo(&out, "  bar ", b.index, " size=", FormatNumber(b.size));
      if (b.mem64) out.append(" mem64");
      if (b.prefetch) out.append(" prefetch");
      if (b.io) out.append(" io");
      if (b.addr) CatTo(&out, " addr=", FormatNumber(*b.addr));
      out.append("\n");
    }
    out.append("end\n");
  }
  if (s.has_setup) Block("setup", s.setup, &out);
  for (const ThreadDecl& t : s.threads) Block(Cat("thread ", t.name), t.stmts, &out);
  if (s.has_finally) Block("finally", s.finally, &out);
  if (!s.expectations.empty()) out.append("\n");
  for (const Expectation& e : s.expectations) {
    out.append("expect ");
    switch (e.kind) {
      case Expectation::Kind::kClean:
        out.append("clean");
        break;
      case Expectation::Kind::kViolation:
        CatTo(&out, "violation ", e.invariant);
        break;
      case Expectation::Kind::kNever:
        out.append("never ");
        break;
      case Expectation::Kind::kSometimes:
        out.append("sometimes ");
        break;
      case Expectation::Kind::kAlways:
        out.append("always ");
        break;
    }
    if (e.cond) out.append(PrintCond(*e.cond));
    out.append("\n");
  }
  return out;
}

// ---------------------------------------------------------------------------
// Equality

namespace {

class Eq {
 public:
  explicit Eq(std::string* why) : why_(why) {}

  bool Fail(std::string what) {
    if (why_ && why_->empty()) *why_ = std::move(what);
    return false;
  }
  template <typename T>
  bool Same(const T& a, const T& b, std::string_view what) {
    return a == b ? true : Fail(std::string(what));
  }

  bool Op(const Operand& a, const Operand& b, std::string_view what) {
    if (a.name != b.name || a.offset != b.offset || (a.is_number() && a.number != b.number)) {
      return Fail(Cat(what, ": ", PrintOperand(a), " vs ", PrintOperand(b)));
    }
    return true;
  }
  bool OptOp(const std::optional<Operand>& a, const std::optional<Operand>& b,
             std::string_view what) {
    if (a.has_value() != b.has_value()) return Fail(std::string(what));
    return !a || Op(*a, *b, what);
  }

  bool Stmts(const std::vector<Stmt>& a, const std::vector<Stmt>& b, std::string_view where) {
    if (a.size() != b.size()) {
      return Fail(Cat(where, ": ", a.size(), " vs ", b.size(), " statements"));
    }
    for (size_t i = 0; i < a.size(); ++i) {
      const Stmt& x = a[i];
      const Stmt& y = b[i];
      std::string w = Cat(where, " statement ", i, " (", PrintStmt(x), ")");
      if (!Same(x.bind, y.bind, w + " bind") || !Same(x.op, y.op, w + " op") ||
          !Same(x.args.size(), y.args.size(), w + " operand count")) {
        return false;
      }
      for (size_t j = 0; j < x.args.size(); ++j) {
        if (!Op(x.args[j], y.args[j], Cat(w, " operand ", j))) return false;
      }
      if (!OptOp(x.in_proc, y.in_proc, w + " in") || !Same(x.bar, y.bar, w + " bar=") ||
          !Same(x.offset, y.offset, w + " offset=") || !Same(x.len, y.len, w + " len=") ||
          !Same(x.mem, y.mem, w + " mem=") || !Same(x.nofile, y.nofile, w + " nofile=") || !Same(x.prot, y.prot, w + " prot=") ||
          !OptOp(x.at, y.at, w + " at=") || !Same(x.attach_mode, y.attach_mode, w + " mode") ||
          !Same(x.power, y.power, w + " power") ||
          !Same(x.ranges.size(), y.ranges.size(), w + " ranges=")) {
        return false;
      }
      for (size_t j = 0; j < x.ranges.size(); ++j) {
        if (x.ranges[j].offset != y.ranges[j].offset || x.ranges[j].len != y.ranges[j].len) {
          return Fail(w + " ranges=");
        }
      }
    }
    return true;
  }

  bool Value(const CondValue& a, const CondValue& b, std::string_view what) {
    if (a.kind != b.kind || a.name != b.name ||
        (a.kind == CondValue::Kind::kNumber && a.number != b.number)) {
      return Fail(Cat(what, ": ", ValueText(a), " vs ", ValueText(b)));
    }
    return true;
  }

  bool SameCond(const Cond& a, const Cond& b, int depth) {
    if (depth > 4096) return Fail("condition too deep to compare");
    if (a.kind != b.kind) {
      return Fail(Cat("condition kind: ", PrintCond(a), " vs ", PrintCond(b)));
    }
    switch (a.kind) {
      case Cond::Kind::kEq:
      case Cond::Kind::kNe:
      case Cond::Kind::kIn: {
        const CondRef& x = a.ref;
        const CondRef& y = b.ref;
        if (x.kind != y.kind || x.thread != y.thread || x.var != y.var) {
          return Fail(Cat("reference: ", RefText(x), " vs ", RefText(y)));
        }
        if (x.kind == CondRef::Kind::kPagesize &&
            (!Op(x.proc, y.proc, "pagesize proc") || !Op(x.addr, y.addr, "pagesize addr"))) {
          return false;
        }
        if (a.values.size() != b.values.size()) return Fail("value count of " + PrintCond(a));
        for (size_t i = 0; i < a.values.size(); ++i) {
          if (!Value(a.values[i], b.values[i], PrintCond(a))) return false;
        }
        return true;
      }
      case Cond::Kind::kMapped:
        return Op(a.proc, b.proc, "mapped proc") && Op(a.addr, b.addr, "mapped addr");
      case Cond::Kind::kRevoked:
        return Op(a.buf, b.buf, "revoked buf");
      case Cond::Kind::kAnd:
      case Cond::Kind::kOr:
      case Cond::Kind::kNot: {
        if (!a.lhs != !b.lhs || !a.rhs != !b.rhs) return Fail("condition operands");
        if (a.lhs && !SameCond(*a.lhs, *b.lhs, depth + 1)) return false;
        if (a.rhs && !SameCond(*a.rhs, *b.rhs, depth + 1)) return false;
        return true;
      }
    }
    return true;
  }

  bool SameScenario(const Scenario& a, const Scenario& b) {
    if (!Same(a.name, b.name, "scenario name") || !Same(a.title, b.title, "title") ||
        !Same(a.arch, b.arch, "arch") || !Same(a.arch_given, b.arch_given, "arch given") ||
        !Same(a.variant, b.variant, "variant") ||
        !Same(a.variant_given, b.variant_given, "variant given") ||
        !Same(a.kconfig.size(), b.kconfig.size(), "kconfig count") ||
        !Same(a.bugs.size(), b.bugs.size(), "bug count") ||
        !Same(a.fixes.size(), b.fixes.size(), "fix count") ||
        !Same(a.devices.size(), b.devices.size(), "device count") ||
        !Same(a.has_setup, b.has_setup, "has setup") ||
        !Same(a.threads.size(), b.threads.size(), "thread count") ||
        !Same(a.has_finally, b.has_finally, "has finally") ||
        !Same(a.expectations.size(), b.expectations.size(), "expectation count")) {
      return false;
    }
    for (size_t i = 0; i < a.kconfig.size(); ++i) {
      if (a.kconfig[i].symbol != b.kconfig[i].symbol || a.kconfig[i].value != b.kconfig[i].value) {
        return Fail(Cat("kconfig ", i));
      }
    }
    for (size_t i = 0; i < a.bugs.size(); ++i) {
      if (!Same(a.bugs[i].name, b.bugs[i].name, "bug")) return false;
    }
    for (size_t i = 0; i < a.fixes.size(); ++i) {
      if (!Same(a.fixes[i].name, b.fixes[i].name, "fix")) return false;
    }
    for (size_t i = 0; i < a.devices.size(); ++i) {
      const DeviceDecl& x = a.devices[i];
      const DeviceDecl& y = b.devices[i];
      std::string w = Cat("device ", x.name);
      if (!Same(x.name, y.name, w) || !Same(x.bdf, y.bdf, w + " bdf") ||
          !Same(x.noreset, y.noreset, w + " noreset") || !Same(x.vf, y.vf, w + " vf") ||
          !Same(x.bars.size(), y.bars.size(), w + " bar count")) {
        return false;
      }
      for (size_t j = 0; j < x.bars.size(); ++j) {
        const BarDecl& p = x.bars[j];
        const BarDecl& q = y.bars[j];
        if (p.index != q.index || p.size != q.size || p.mem64 != q.mem64 ||
            p.prefetch != q.prefetch || p.io != q.io || p.addr != q.addr) {
          return Fail(Cat(w, " bar ", j));
        }
      }
    }
    if (!Stmts(a.setup, b.setup, "setup")) return false;
    for (size_t i = 0; i < a.threads.size(); ++i) {
      if (!Same(a.threads[i].name, b.threads[i].name, "thread name") ||
          !Stmts(a.threads[i].stmts, b.threads[i].stmts, "thread " + a.threads[i].name)) {
        return false;
      }
    }
    if (!Stmts(a.finally, b.finally, "finally")) return false;
    for (size_t i = 0; i < a.expectations.size(); ++i) {
      const Expectation& x = a.expectations[i];
      const Expectation& y = b.expectations[i];
      std::string w = Cat("expectation ", i);
      if (!Same(x.kind, y.kind, w + " kind") || !Same(x.invariant, y.invariant, w + " invariant")) {
        return false;
      }
      if (!x.cond != !y.cond) return Fail(w + " condition");
      if (x.cond && !SameCond(*x.cond, *y.cond, 0)) return false;
    }
    return true;
  }

 private:
  std::string* why_;
};

}  // namespace

bool AstEquals(const Scenario& a, const Scenario& b, std::string* why) {
  if (why) why->clear();
  return Eq(why).SameScenario(a, b);
}

bool AstEquals(const Cond& a, const Cond& b, std::string* why) {
  if (why) why->clear();
  return Eq(why).SameCond(a, b, 0);
}

}  // namespace vfiosim::scn
