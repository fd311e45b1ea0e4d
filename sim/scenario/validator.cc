#include "sim/scenario/validator.h"

#include "model/kconfig/kernel_kconfig.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "model/bugs.h"
#include "model/fixes.h"
#include "sim/check/invariant.h"
#include "sim/scenario/ops.h"
#include "sim/scenario/printer.h"
#include "sim/scenario/strings.h"
#include "sim/scenario/suggest.h"

namespace vfiosim::scn {
namespace {

std::string At(SourceLoc l) { return absl::StrFormat("%d:%d", l.line, l.col); }

// "a process", "an address".
std::string WithArticle(std::string_view noun) {
  bool vowel =
      !noun.empty() && std::string_view("aeiouAEIOU").find(noun[0]) != std::string_view::npos;
  return Cat(vowel ? "an " : "a ", noun);
}

// A size as the user probably wrote it: 4K, 3000, 0x3000 (12288).
std::string SizeText(uint64_t v) {
  std::string f = FormatNumber(v);
  if (f.size() > 2 && f[1] == 'x') CatTo(&f, " (", v, ")");
  return f;
}

bool IsPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

struct Var {
  HandleKind kind = HandleKind::kValue;
  SourceLoc loc;
};
using Scope = absl::flat_hash_map<std::string, Var>;

class Validator {
 public:
  Validator(const Scenario& s, Diagnostics* d) : s_(s), d_(d) {}

  void Run() {
    Header();
    Devices();
    Blocks();
    Expectations();
  }

 private:
  void Error(SourceLoc loc, std::string msg) {
    if (!d_->full(s_.file)) d_->Error(s_.file, loc, std::move(msg));
  }
  bool full() const { return d_->full(s_.file); }

  void Header();
  void Devices();
  void Blocks();
  void Block(const std::vector<Stmt>& stmts, Scope* own, const Scope* outer);
  void CheckStmt(const Stmt& st, const Scope& own, const Scope* outer);
  void Expectations();
  void CondCheck(const Cond& c, int depth);

  // The variable an operand names, seen from a block (own + outer) or, with
  // `cond`, from an expectation (finally, setup, and `thread.var`). Reports an
  // undefined name and returns null.
  const Var* Lookup(const Operand& o, const Scope& own, const Scope* outer);
  const Var* LookupCond(std::string_view name, SourceLoc loc);
  std::string UndefinedHint(std::string_view name, const Scope& own, const Scope* outer);
  void CheckKind(std::string_view op, const ArgSpec& a, const Operand& o, const Var* v);

  const Scenario& s_;
  Diagnostics* d_;
  Scope setup_, finally_;
  std::vector<Scope> threads_;
  absl::flat_hash_map<std::string, size_t> thread_index_;  // first thread of each name
  absl::flat_hash_map<std::string, const DeviceDecl*> devices_;
};

// ---- header ----

void Validator::Header() {
  std::vector<std::string_view> bug_names, fix_names;
  for (const BugInfo& b : AllBugs()) bug_names.push_back(b.name);
  for (const FixInfo& f : AllFixes()) fix_names.push_back(f.name);
  absl::flat_hash_map<std::string, SourceLoc> seen;
  for (const NamedLoc& b : s_.bugs) {
    if (!ParseBug(b.name)) {
      Error(b.loc, Cat("unknown bug '", b.name, "'", DidYouMean(b.name, bug_names),
                       "; see 'vfiosim list bugs'"));
    } else if (auto [it, fresh] = seen.try_emplace(b.name, b.loc); !fresh) {
      Error(b.loc, Cat("bug ", b.name, " is already given at ", At(it->second)));
    }
  }
  seen.clear();
  for (const NamedLoc& f : s_.fixes) {
    if (!ParseFix(f.name)) {
      Error(f.loc, Cat("unknown fix '", f.name, "'", DidYouMean(f.name, fix_names)));
    } else if (auto [it, fresh] = seen.try_emplace(f.name, f.loc); !fresh) {
      Error(f.loc, Cat("fix ", f.name, " is already given at ", At(it->second)));
    }
  }
  absl::flat_hash_map<std::string, const KconfigSetting*> kc;
  for (const KconfigSetting& k : s_.kconfig) {
    if (k.symbol == "VFIO_PCI_DMABUF") {
      Error(k.loc,
            "VFIO_PCI_DMABUF is derived from the variant and the other symbols; it "
            "cannot be set by hand");
      continue;
    }
    if (!kconfig::IsKnownSymbol(k.symbol)) {
      std::vector<std::string_view> known = kconfig::KnownSymbols();
      Error(k.loc, Cat("unknown Kconfig symbol ", k.symbol, DidYouMean(k.symbol, known)));
      continue;
    }
    auto [it, fresh] = kc.try_emplace(k.symbol, &k);
    if (!fresh && it->second->value != k.value) {
      Error(k.loc, absl::StrFormat("%s is already set to %s at %s", k.symbol,
                                   it->second->value ? "y" : "n", At(it->second->loc)));
    }
  }
}

// ---- devices ----

void Validator::Devices() {
  struct Placed {
    uint64_t begin, end;  // [begin, end), end computed without overflow
    const DeviceDecl* dev;
    const BarDecl* bar;
  };
  std::vector<Placed> mem, io;
  absl::flat_hash_map<std::string, const DeviceDecl*> bdfs;
  for (const DeviceDecl& d : s_.devices) {
    if (full()) return;
    if (auto [it, fresh] = devices_.try_emplace(d.name, &d); !fresh) {
      Error(d.loc, Cat("device ", d.name, " is already declared at ", At(it->second->loc)));
    }
    if (!d.bdf.empty()) {
      if (auto [it, fresh] = bdfs.try_emplace(d.bdf, &d); !fresh) {
        Error(d.loc, Cat("bdf ", d.bdf, " is already used by device ", it->second->name, " at ",
                         At(it->second->loc)));
      }
    }
    absl::flat_hash_map<int, const BarDecl*> indices;
    for (const BarDecl& b : d.bars) {
      if (b.index < 0 || b.index > 5) {
        Error(b.loc,
              absl::StrFormat("BAR index %d is out of range: a device has BARs 0-5", b.index));
        continue;
      }
      if (auto [it, fresh] = indices.try_emplace(b.index, &b); !fresh) {
        Error(b.loc, absl::StrFormat("BAR %d of device %s is already declared at %s", b.index,
                                     d.name, At(it->second->loc)));
        continue;
      }
      if (b.io && (b.mem64 || b.prefetch)) {
        Error(b.loc, "an io BAR cannot be mem64 or prefetch");
        continue;
      }
      const uint64_t min = b.io ? 4 : 4096;
      if (!IsPowerOfTwo(b.size)) {
        Error(b.loc, absl::StrFormat("BAR size %s is not a power of two", SizeText(b.size)));
        continue;
      }
      if (b.size < min) {
        Error(b.loc,
              absl::StrFormat("%s BAR size %s is smaller than %s", b.io ? "an io" : "a memory",
                              FormatNumber(b.size), b.io ? "4 bytes" : "4K"));
        continue;
      }
      if (!b.addr) continue;
      const uint64_t a = *b.addr;
      if (a & (b.size - 1)) {
        Error(b.addr_loc, absl::StrFormat("BAR addr %s is not aligned to the BAR size %s",
                                          FormatNumber(a), FormatNumber(b.size)));
        continue;
      }
      if (a > UINT64_MAX - (b.size - 1)) {
        Error(b.addr_loc, "BAR addr + size does not fit in 64 bits");
        continue;
      }
      (b.io ? io : mem).push_back(Placed{a, a + (b.size - 1), &d, &b});  // end inclusive
    }
  }
  for (std::vector<Placed>* space : {&mem, &io}) {
    std::vector<Placed>& v = *space;
    // Report each overlap at the later BAR in the file.
    std::sort(v.begin(), v.end(),
              [](const Placed& x, const Placed& y) { return x.begin < y.begin; });
    size_t top = 0;  // the BAR with the highest end so far
    for (size_t i = 1; i < v.size() && !full(); ++i) {
      const size_t j = top;
      if (v[i].end > v[top].end) top = i;
      if (v[i].begin > v[j].end) continue;
      const Placed* first = &v[j];
      const Placed* second = &v[i];
      auto before = [](SourceLoc x, SourceLoc y) {
        return x.line < y.line || (x.line == y.line && x.col < y.col);
      };
      if (before(second->bar->addr_loc, first->bar->addr_loc)) std::swap(first, second);
      Error(
          second->bar->addr_loc,
          absl::StrFormat(
              "BAR %d of device %s [%s, %s] overlaps BAR %d of device %s declared at %s",
              second->bar->index, second->dev->name, FormatNumber(second->begin),
              FormatNumber(second->end), first->bar->index, first->dev->name, At(first->bar->loc)));
    }
  }
}

// ---- blocks and scopes ----

std::string Validator::UndefinedHint(std::string_view name, const Scope& own, const Scope* outer) {
  for (size_t t = 0; t < s_.threads.size(); ++t) {
    for (const Stmt& st : s_.threads[t].stmts) {
      if (st.bind == name && (&own != &threads_[t])) {
        return Cat(" (it is bound in thread ", s_.threads[t].name,
                   ", whose variables only that thread and expectations (as ", s_.threads[t].name,
                   ".", name, ") can see)");
      }
    }
  }
  for (const Stmt& st : s_.finally) {
    if (st.bind == name && &own != &finally_) {
      return " (it is bound in finally, which runs last)";
    }
  }
  std::vector<std::string_view> visible;
  for (const auto& [n, v] : own) visible.push_back(n);
  if (outer) {
    for (const auto& [n, v] : *outer) visible.push_back(n);
  }
  std::sort(visible.begin(), visible.end());  // deterministic suggestion
  return DidYouMean(name, visible);
}

const Var* Validator::Lookup(const Operand& o, const Scope& own, const Scope* outer) {
  if (auto it = own.find(o.name); it != own.end()) return &it->second;
  if (outer) {
    if (auto it = outer->find(o.name); it != outer->end()) return &it->second;
  }
  Error(o.loc, Cat("undefined name '", o.name, "'", UndefinedHint(o.name, own, outer)));
  return nullptr;
}

void Validator::CheckKind(std::string_view op, const ArgSpec& a, const Operand& o, const Var* v) {
  if (v == nullptr || (a.kinds & KindBit(v->kind))) return;
  Error(o.loc, Cat(op, " expects ", a.what, ", but ", o.name, " is ",
                   WithArticle(HandleKindName(v->kind))));
}

void Validator::CheckStmt(const Stmt& st, const Scope& own, const Scope* outer) {
  const OpSpec& spec = GetOpSpec(st.op);
  const std::string_view op = OpName(st.op);
  const Var* second = nullptr;  // mmap's fd-or-buf
  for (int i = 0; i < spec.num_args && i < static_cast<int>(st.args.size()); ++i) {
    const ArgSpec& a = spec.args[i];
    const Operand& o = st.args[i];
    switch (a.type) {
      case ArgType::kDevice:
        if (!devices_.contains(o.name)) {
          std::vector<std::string_view> names;
          for (const DeviceDecl& d : s_.devices) names.push_back(d.name);
          Error(o.loc, Cat("unknown device '", o.name, "'", DidYouMean(o.name, names)));
        }
        break;
      case ArgType::kHandle: {
        const Var* v = Lookup(o, own, outer);
        CheckKind(op, a, o, v);
        if (i == 1) second = v;
        break;
      }
      case ArgType::kAddr:
        if (!o.is_number()) CheckKind(op, a, o, Lookup(o, own, outer));
        break;
      case ArgType::kNumber:
        if (st.op == OpKind::kWrite && o.number > UINT32_MAX) {
          Error(o.loc, absl::StrFormat("write stores 4 bytes; %s does not fit in 32 bits",
                                       FormatNumber(o.number)));
        }
        break;
    }
  }
  if (st.in_proc) {
    static constexpr ArgSpec kProc{ArgType::kHandle, KindBit(HandleKind::kProcess), "a process"};
    CheckKind(op, kProc, *st.in_proc, Lookup(*st.in_proc, own, outer));
  }
  if (st.at && !st.at->is_number()) {
    static constexpr ArgSpec kAddr{ArgType::kAddr, KindBit(HandleKind::kAddr), "an address"};
    CheckKind(op, kAddr, *st.at, Lookup(*st.at, own, outer));
  }
  if (st.op == OpKind::kMmap && second) {
    if (second->kind == HandleKind::kFd && !st.bar) {
      Error(st.loc,
            Cat("mmap of a device fd needs bar=<n> (", st.args[1].name, " is a device fd)"));
    } else if (second->kind == HandleKind::kBuf && st.bar) {
      Error(st.bar_loc,
            Cat("bar= applies to mmap of a device fd, but ", st.args[1].name, " is a dma-buf fd"));
    }
  }
  if (st.bar && *st.bar > 5) {
    Error(st.bar_loc, absl::StrFormat("BAR index %s is out of range: a device has BARs 0-5",
                                      FormatNumber(*st.bar)));
  }
  if (st.mem && *st.mem > 1) {
    Error(st.mem_loc, absl::StrFormat("mem= must be 0 or 1, not %s", FormatNumber(*st.mem)));
  }
  for (const ExportRange& r : st.ranges) {
    if (r.offset > UINT64_MAX - r.len) {
      Error(r.loc, "export range <offset>+<len> does not fit in 64 bits");
    }
  }
}

void Validator::Block(const std::vector<Stmt>& stmts, Scope* own, const Scope* outer) {
  for (const Stmt& st : stmts) {
    if (full()) return;
    CheckStmt(st, *own, outer);
    if (st.bind.empty()) continue;
    const Var* prev = nullptr;
    if (auto it = own->find(st.bind); it != own->end()) prev = &it->second;
    if (outer && !prev) {
      if (auto it = outer->find(st.bind); it != outer->end()) prev = &it->second;
    }
    if (prev) {
      Error(st.bind_loc, Cat(st.bind, " is already bound at ", At(prev->loc)));
      continue;
    }
    own->emplace(st.bind, Var{ResultKind(st.op), st.bind_loc});
  }
}

void Validator::Blocks() {
  threads_.resize(s_.threads.size());
  Block(s_.setup, &setup_, nullptr);
  for (size_t t = 0; t < s_.threads.size(); ++t) {
    const ThreadDecl& th = s_.threads[t];
    if (auto [it, fresh] = thread_index_.try_emplace(th.name, t); !fresh) {
      Error(th.loc,
            Cat("thread ", th.name, " is already declared at ", At(s_.threads[it->second].loc)));
    }
    Block(th.stmts, &threads_[t], &setup_);
  }
  Block(s_.finally, &finally_, &setup_);
}

// ---- expectations ----

const Var* Validator::LookupCond(std::string_view name, SourceLoc loc) {
  QualifiedName q = SplitQualifiedName(name);
  if (!q.thread.empty()) {
    auto t = thread_index_.find(AbslView(q.thread));
    if (t == thread_index_.end()) {
      std::vector<std::string_view> names;
      for (const ThreadDecl& th : s_.threads) names.push_back(th.name);
      Error(loc, Cat("unknown thread '", q.thread, "'", DidYouMean(q.thread, names)));
      return nullptr;
    }
    const Scope& sc = threads_[t->second];
    if (auto it = sc.find(AbslView(q.var)); it != sc.end()) return &it->second;
    std::string hint;
    if (setup_.contains(AbslView(q.var))) {
      hint = Cat(" (", q.var, " is a setup variable: refer to it as ", q.var, ")");
    } else {
      std::vector<std::string_view> names;
      for (const auto& [n, v] : sc) names.push_back(n);
      std::sort(names.begin(), names.end());
      hint = DidYouMean(q.var, names);
    }
    Error(loc, Cat("thread ", q.thread, " does not bind '", q.var, "'", hint));
    return nullptr;
  }
  if (auto it = finally_.find(AbslView(q.var)); it != finally_.end()) return &it->second;
  if (auto it = setup_.find(AbslView(q.var)); it != setup_.end()) return &it->second;
  for (const ThreadDecl& th : s_.threads) {
    for (const Stmt& st : th.stmts) {
      if (st.bind == q.var) {
        Error(loc, Cat("undefined name '", q.var, "' (it is bound in thread ", th.name,
                       ": refer to it as ", th.name, ".", q.var, ")"));
        return nullptr;
      }
    }
  }
  std::vector<std::string_view> names;
  for (const auto& [n, v] : setup_) names.push_back(n);
  for (const auto& [n, v] : finally_) names.push_back(n);
  std::sort(names.begin(), names.end());
  Error(loc, Cat("undefined name '", q.var, "'", DidYouMean(q.var, names)));
  return nullptr;
}

void Validator::CondCheck(const Cond& c, int depth) {
  if (full() || depth > 4 * 256) return;  // the parser caps depth; hand-built ASTs too
  auto check = [&](std::string_view fn, const Operand& o, HandleKind want, std::string_view what) {
    if (o.is_number()) {
      if (want != HandleKind::kAddr) {
        Error(o.loc, Cat(fn, " expects ", what, ", not a number"));
      }
      return;
    }
    const Var* v = LookupCond(o.name, o.loc);
    if (v && v->kind != want) {
      Error(o.loc, Cat(fn, " expects ", what, ", but ", o.name, " is ",
                       WithArticle(HandleKindName(v->kind))));
    }
  };
  switch (c.kind) {
    case Cond::Kind::kEq:
    case Cond::Kind::kNe:
    case Cond::Kind::kIn:
      switch (c.ref.kind) {
        case CondRef::Kind::kVar:
          LookupCond(c.ref.var, c.ref.loc);
          break;
        case CondRef::Kind::kThreadVar:
          LookupCond(Cat(c.ref.thread, ".", c.ref.var), c.ref.loc);
          break;
        case CondRef::Kind::kPagesize:
          check("pagesize", c.ref.proc, HandleKind::kProcess, "a process");
          check("pagesize", c.ref.addr, HandleKind::kAddr, "an address");
          for (const CondValue& v : c.values) {
            if (v.kind != CondValue::Kind::kNumber) {
              Error(v.loc, "pagesize() is a size: compare it with a number (4K, 2M, 1G or 0)");
            }
          }
          break;
      }
      break;
    case Cond::Kind::kMapped:
      check("mapped", c.proc, HandleKind::kProcess, "a process");
      check("mapped", c.addr, HandleKind::kAddr, "an address");
      break;
    case Cond::Kind::kRevoked:
      check("revoked", c.buf, HandleKind::kBuf, "a dma-buf fd");
      break;
    case Cond::Kind::kAnd:
    case Cond::Kind::kOr:
      if (c.lhs) CondCheck(*c.lhs, depth + 1);
      if (c.rhs) CondCheck(*c.rhs, depth + 1);
      break;
    case Cond::Kind::kNot:
      if (c.lhs) CondCheck(*c.lhs, depth + 1);
      break;
  }
}

void Validator::Expectations() {
  std::vector<std::string_view> inv_names;
  for (const sim::InvariantInfo& i : sim::AllInvariants()) inv_names.push_back(i.name);
  const Expectation* clean = nullptr;
  const Expectation* violation = nullptr;
  for (const Expectation& e : s_.expectations) {
    if (full()) return;
    switch (e.kind) {
      case Expectation::Kind::kClean:
        if (!clean) clean = &e;
        break;
      case Expectation::Kind::kViolation:
        if (!violation) violation = &e;
        if (!sim::ParseInvariant(e.invariant)) {
          Error(e.invariant_loc,
                Cat("unknown invariant '", e.invariant, "'", DidYouMean(e.invariant, inv_names),
                    "; see 'vfiosim list invariants'"));
        }
        break;
      default:
        if (e.cond) CondCheck(*e.cond, 0);
        break;
    }
  }
  if (clean && violation) {
    const Expectation* later = clean->loc.line > violation->loc.line ? clean : violation;
    const Expectation* earlier = later == clean ? violation : clean;
    Error(later->loc,
          Cat("'expect clean' contradicts 'expect violation' (at ", At(earlier->loc), ")"));
  }
}

}  // namespace

void ValidateScenario(const Scenario& s, Diagnostics* diags) {
  Validator v(s, diags);
  v.Run();
}

}  // namespace vfiosim::scn
