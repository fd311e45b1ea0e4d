#include "sim/testing/scenario_gen.h"

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "model/bugs.h"
#include "sim/core/splitmix64.h"
#include "sim/run/program.h"
#include "sim/scenario/parser.h"
#include "sim/scenario/printer.h"

namespace vfiosim::testing {
namespace {

using scn::HandleKind;
using scn::OpKind;

// splitmix64 (the same on every platform), with the draws the generator makes.
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_{seed} {}
  uint64_t Next() { return gen_.Next(); }
  // Uniform enough in [0, n) for n small.
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  bool Chance(int percent) { return Below(100) < static_cast<uint64_t>(percent); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) { return v[Below(v.size())]; }

 private:
  SplitMix64 gen_;
};

std::string Hex(uint64_t v) { return absl::StrCat("0x", absl::Hex(v)); }

// A variable in scope, with what the generator knows about it.
struct Var {
  std::string name;
  HandleKind kind;
  OpKind op;             // the op that bound it
  std::string proc;      // kAddr: the process that mapped it
  uint64_t len = 0;      // kAddr: the mapping's length as requested
  std::string thread;    // empty: setup / finally
};

class Gen {
 public:
  explicit Gen(uint64_t seed, int attempt) : r_(seed * 0x100000001b3ULL + static_cast<uint64_t>(attempt) * 7919 + 1) {}

  std::string Build(uint64_t seed) {
    legacy_ = r_.Chance(40);
    const uint64_t arch_roll = r_.Below(100);
    arch_ = arch_roll < 85 ? "x86_64" : arch_roll < 95 ? "arm64" : "i386";
    static const std::vector<uint64_t> kBarSizes = {4096, 8192, 16384, 2u << 20};
    bar_size_ = r_.Pick(kBarSizes);
    second_bar_ = r_.Chance(20);
    noreset_ = r_.Chance(15);

    std::vector<std::string> out;
    out.push_back(absl::StrCat("scenario gen-", seed));
    if (arch_ != "x86_64") out.push_back("arch " + arch_);
    out.push_back(legacy_ ? "variant legacy" : "variant dmabuf");
    if (r_.Chance(35)) {
      std::span<const BugInfo> bugs = AllBugs();
      out.push_back(absl::StrCat("bug ", std::string(bugs[r_.Below(bugs.size())].name)));
    }
    out.push_back(absl::StrCat("device gpu", noreset_ ? " noreset" : ""));
    out.push_back(absl::StrCat("  bar 0 size=", Hex(bar_size_), " mem64", r_.Chance(50) ? " prefetch" : ""));
    if (second_bar_) out.push_back("  bar 2 size=0x1000");
    out.push_back("end");

    // ---- setup: a random subset of handles of every kind.
    out.push_back("setup");
    std::vector<std::string> setup;
    Bind(setup, "p", "process", HandleKind::kProcess, OpKind::kProcess, {});
    Bind(setup, "fd", "open gpu in p", HandleKind::kFd, OpKind::kOpen, {});
    if (r_.Chance(15)) Bind(setup, "fd2", "open gpu", HandleKind::kFd, OpKind::kOpen, {});
    if (r_.Chance(70)) {
      const uint64_t len = MapLen();
      Var v{"va", HandleKind::kAddr, OpKind::kMmap, "p", len};
      Bind(setup, "va", absl::StrCat("mmap p fd bar=0", len == bar_size_ ? "" : " len=" + Hex(len),
                                     r_.Chance(10) ? " prot=r" : ""),
           v.kind, v.op, v);
    }
    if (r_.Chance(65)) {
      Bind(setup, "buf", absl::StrCat("export fd bar=0", r_.Chance(25) ? " ranges=0+0x1000" : ""), HandleKind::kBuf,
           OpKind::kExport, {});
      if (r_.Chance(50)) {
        Bind(setup, "att", r_.Chance(85) ? "attach buf dynamic" : "attach buf pinned", HandleKind::kAtt,
             OpKind::kAttach, {});
        if (r_.Chance(70)) Bind(setup, "m", "map att", HandleKind::kValue, OpKind::kMap, {});
      }
      if (r_.Chance(30)) {
        Var v{"vb", HandleKind::kAddr, OpKind::kMmap, "p", 4096};
        Bind(setup, "vb", "mmap p buf len=0x1000", v.kind, v.op, v);
      }
      if (r_.Chance(20)) Bind(setup, "iof", "iommufd-map buf", HandleKind::kIova, OpKind::kIommufdMap, {});
    }
    if (Has("va") && r_.Chance(30)) {
      if (r_.Chance(50)) Setup(setup, "t0 = touch p va len=0x1000");
      else Setup(setup, "r0 = read p va");
    }
    if (Has("va") && r_.Chance(15)) Bind(setup, "io", "iommu-map p va len=0x1000", HandleKind::kIova, OpKind::kIommuMap, {});
    if (r_.Chance(25)) Bind(setup, "q", "fork p", HandleKind::kProcess, OpKind::kFork, {});
    if (r_.Chance(10)) Bind(setup, "p2", "process", HandleKind::kProcess, OpKind::kProcess, {});
    for (std::string& s : setup) out.push_back("  " + s);
    out.push_back("end");

    // ---- threads.
    const int nthreads = r_.Chance(60) ? 2 : 3;
    static const char* kThreadNames[] = {"a", "b", "c"};
    for (int t = 0; t < nthreads; ++t) {
      const std::string tn = kThreadNames[t];
      out.push_back("thread " + tn);
      std::vector<Var> locals;
      // 1-3 ops; with three threads 1-2, so that --reduction=none still
      // completes within the test's budget for most scenarios.
      const int nops = 1 + static_cast<int>(r_.Below(nthreads == 3 ? 2 : 3));
      for (int i = 0; i < nops; ++i) {
        for (int tries = 0; tries < 50; ++tries) {
          std::optional<std::string> st = Stmt(tn, &locals);
          if (!st) continue;
          out.push_back("  " + *st);
          break;
        }
      }
      out.push_back("end");
      thread_vars_.insert(thread_vars_.end(), locals.begin(), locals.end());
    }

    // ---- finally: look at the final state through global handles.
    if (r_.Chance(25)) {
      std::vector<std::string> fin;
      const int n = 1 + static_cast<int>(r_.Below(2));
      for (int i = 0; i < n; ++i) {
        std::vector<Var> none;
        std::optional<std::string> st = FinallyStmt();
        if (st) fin.push_back("  " + *st);
      }
      if (!fin.empty()) {
        out.push_back("finally");
        out.insert(out.end(), fin.begin(), fin.end());
        out.push_back("end");
      }
    }

    // ---- expectations.
    const int nexp = static_cast<int>(r_.Below(4));
    for (int i = 0; i < nexp; ++i) {
      std::optional<std::string> e = Expect();
      if (e) out.push_back(*e);
    }
    return absl::StrJoin(out, "\n") + "\n";
  }

 private:
  uint64_t MapLen() {
    std::vector<uint64_t> lens = {bar_size_, 4096};
    if (bar_size_ >= 8192) lens.push_back(8192);
    return r_.Pick(lens);
  }

  bool Has(std::string_view name) const {
    for (const Var& v : globals_)
      if (v.name == name) return true;
    return false;
  }

  void Setup(std::vector<std::string>& setup, const std::string& line) { setup.push_back(line); }

  void Bind(std::vector<std::string>& setup, const std::string& name, const std::string& op, HandleKind k, OpKind ok,
            Var v) {
    setup.push_back(name + " = " + op);
    v.name = name;
    v.kind = k;
    v.op = ok;
    globals_.push_back(v);
  }

  // A variable of kind `k` from the globals or `locals` (nullptr: none).
  const Var* PickVar(HandleKind k, const std::vector<Var>* locals) {
    std::vector<const Var*> c;
    for (const Var& v : globals_)
      if (v.kind == k) c.push_back(&v);
    if (locals)
      for (const Var& v : *locals)
        if (v.kind == k) c.push_back(&v);
    if (c.empty()) return nullptr;
    return c[r_.Below(c.size())];
  }

  // An address expression inside (mostly) or just past an address variable.
  std::string AddrExpr(const Var& a) {
    std::vector<uint64_t> offs = {0, 0};
    if (a.len > 4096) offs.push_back(0x1000);
    offs.push_back(a.len >= 8 ? a.len - 4 : 0);
    if (r_.Chance(8)) offs.push_back(a.len);  // just past the mapping
    const uint64_t off = r_.Pick(offs);
    return off == 0 ? a.name : absl::StrCat(a.name, "+", Hex(off));
  }

  // `proc addr`: mostly the mapping's own process, sometimes another one (a forked
  // child shares the layout).
  std::optional<std::string> ProcAddr(const std::vector<Var>* locals, const Var** addr_out = nullptr) {
    const Var* a = PickVar(HandleKind::kAddr, locals);
    if (!a) return std::nullopt;
    std::string proc = a->proc;
    if (r_.Chance(30)) {
      if (const Var* p = PickVar(HandleKind::kProcess, locals)) proc = p->name;
    }
    if (addr_out) *addr_out = a;
    return proc + " " + AddrExpr(*a);
  }

  std::string Fresh(char prefix) { return absl::StrCat(std::string(1, prefix), counter_++); }

  // One thread statement, bound to a fresh variable, or nullopt when the op drawn
  // has no operands in scope.
  std::optional<std::string> Stmt(const std::string& thread, std::vector<Var>* locals) {
    // The spec's ops (up to p2p); extensions appended later are not drawn, so
    // a seed keeps generating the same scenarios.
    const OpKind op = static_cast<OpKind>(r_.Below(static_cast<int>(OpKind::kP2p) + 1));
    std::string text;
    Var res;
    res.thread = thread;
    res.op = op;
    res.kind = scn::ResultKind(op);
    auto need = [&](HandleKind k) { return PickVar(k, locals); };
    switch (op) {
      case OpKind::kProcess:
        if (!r_.Chance(30)) return std::nullopt;
        text = "process";
        break;
      case OpKind::kOpen: {
        text = "open gpu";
        if (r_.Chance(70)) {
          const Var* p = need(HandleKind::kProcess);
          if (!p) return std::nullopt;
          text += " in " + p->name;
        }
        break;
      }
      case OpKind::kMmap: {
        const Var* p = need(HandleKind::kProcess);
        if (!p) return std::nullopt;
        res.proc = p->name;
        if (r_.Chance(60)) {
          const Var* fd = need(HandleKind::kFd);
          if (!fd) return std::nullopt;
          const uint64_t len = MapLen();
          res.len = len;
          text = absl::StrCat("mmap ", p->name, " ", fd->name, " bar=", second_bar_ && r_.Chance(15) ? "2" : "0");
          if (len != bar_size_) absl::StrAppend(&text, " len=", Hex(len));
          if (r_.Chance(10)) text += " prot=r";
          if (r_.Chance(10)) {
            if (const Var* a = need(HandleKind::kAddr)) absl::StrAppend(&text, " at=", a->name);
          }
        } else {
          const Var* b = need(HandleKind::kBuf);
          if (!b) return std::nullopt;
          res.len = 4096;
          text = absl::StrCat("mmap ", p->name, " ", b->name, " len=0x1000");
        }
        break;
      }
      case OpKind::kMunmap: {
        const Var* a = need(HandleKind::kAddr);
        if (!a) return std::nullopt;
        const Var* p = r_.Chance(80) ? nullptr : need(HandleKind::kProcess);
        text = absl::StrCat("munmap ", p ? p->name : a->proc, " ", a->name);
        if (r_.Chance(40)) text += " len=0x1000";
        break;
      }
      case OpKind::kRead: {
        std::optional<std::string> pa = ProcAddr(locals);
        if (!pa) return std::nullopt;
        text = "read " + *pa;
        break;
      }
      case OpKind::kWrite: {
        std::optional<std::string> pa = ProcAddr(locals);
        if (!pa) return std::nullopt;
        text = absl::StrCat("write ", *pa, r_.Chance(50) ? " 0x1234" : " 7");
        break;
      }
      case OpKind::kTouch: {
        const Var* a = PickVar(HandleKind::kAddr, locals);
        if (!a) return std::nullopt;
        const Var* p = r_.Chance(80) ? nullptr : need(HandleKind::kProcess);
        text = absl::StrCat("touch ", p ? p->name : a->proc, " ", a->name, " len=",
                            a->len >= 8192 && r_.Chance(50) ? "0x2000" : "0x1000");
        break;
      }
      case OpKind::kCommand: {
        const Var* fd = need(HandleKind::kFd);
        if (!fd) return std::nullopt;
        text = absl::StrCat("command ", fd->name, r_.Chance(65) ? " mem=0" : " mem=1");
        break;
      }
      case OpKind::kReset: {
        const Var* fd = need(HandleKind::kFd);
        if (!fd) return std::nullopt;
        text = "reset " + fd->name;
        break;
      }
      case OpKind::kPower: {
        const Var* fd = need(HandleKind::kFd);
        if (!fd) return std::nullopt;
        text = absl::StrCat("power ", fd->name, r_.Chance(65) ? " d3" : " d0");
        break;
      }
      case OpKind::kInfo: {
        const Var* fd = need(HandleKind::kFd);
        if (!fd) return std::nullopt;
        text = absl::StrCat("info ", fd->name, " bar=", second_bar_ && r_.Chance(30) ? "2" : "0");
        break;
      }
      case OpKind::kExport: {
        const Var* fd = need(HandleKind::kFd);
        if (!fd) return std::nullopt;
        text = absl::StrCat("export ", fd->name, " bar=0");
        if (r_.Chance(30)) text += bar_size_ >= 8192 && r_.Chance(50) ? " ranges=0x1000+0x1000" : " ranges=0+0x1000";
        break;
      }
      case OpKind::kAttach: {
        const Var* b = need(HandleKind::kBuf);
        if (!b) return std::nullopt;
        text = absl::StrCat("attach ", b->name, r_.Chance(85) ? " dynamic" : " pinned");
        break;
      }
      case OpKind::kMap:
      case OpKind::kUnmap:
      case OpKind::kDetach: {
        const Var* a = need(HandleKind::kAtt);
        if (!a) return std::nullopt;
        text = absl::StrCat(std::string(scn::OpName(op)), " ", a->name);
        break;
      }
      case OpKind::kDma: {
        const Var* a = need(HandleKind::kAtt);
        if (!a) return std::nullopt;
        text = absl::StrCat("dma ", a->name, r_.Chance(70) ? " 0" : " 0x100");
        break;
      }
      case OpKind::kRevoke: {
        const Var* fd = need(HandleKind::kFd);
        const Var* b = need(HandleKind::kBuf);
        if (!fd || !b) return std::nullopt;
        text = absl::StrCat("revoke ", fd->name, " ", b->name);
        break;
      }
      case OpKind::kFork: {
        const Var* p = need(HandleKind::kProcess);
        if (!p) return std::nullopt;
        text = "fork " + p->name;
        break;
      }
      case OpKind::kClose: {
        const Var* h = r_.Chance(50) ? need(HandleKind::kFd) : need(HandleKind::kBuf);
        if (!h) return std::nullopt;
        text = "close " + h->name;
        break;
      }
      case OpKind::kExit: {
        const Var* p = need(HandleKind::kProcess);
        if (!p) return std::nullopt;
        text = "exit " + p->name;
        break;
      }
      case OpKind::kIommuMap: {
        std::optional<std::string> pa = ProcAddr(locals);
        if (!pa) return std::nullopt;
        text = absl::StrCat("iommu-map ", *pa, " len=0x1000");
        break;
      }
      case OpKind::kIommufdMap: {
        const Var* b = need(HandleKind::kBuf);
        if (!b) return std::nullopt;
        text = "iommufd-map " + b->name;
        break;
      }
      case OpKind::kP2p: {
        const Var* i = need(HandleKind::kIova);
        if (!i) return std::nullopt;
        text = absl::StrCat("p2p ", i->name, r_.Chance(70) ? " 0" : " 0x100");
        break;
      }
      case OpKind::kPmcsr:  // not drawn (see above)
      case OpKind::kIommufdUnmap:
      case OpKind::kPread:
        return std::nullopt;
    }
    res.name = Fresh(scn::OpName(op)[0]);
    locals->push_back(res);
    return res.name + " = " + text;
  }

  // A `finally` statement over global handles: observe the final state.
  std::optional<std::string> FinallyStmt() {
    switch (r_.Below(4)) {
      case 0: {
        const Var* a = PickVar(HandleKind::kAddr, nullptr);
        if (!a) return std::nullopt;
        return absl::StrCat(Fresh('f'), " = read ", a->proc, " ", a->name);
      }
      case 1: {
        const Var* a = PickVar(HandleKind::kAtt, nullptr);
        if (!a) return std::nullopt;
        return absl::StrCat(Fresh('f'), " = dma ", a->name, " 0");
      }
      case 2: {
        const Var* i = PickVar(HandleKind::kIova, nullptr);
        if (!i) return std::nullopt;
        return absl::StrCat(Fresh('f'), " = p2p ", i->name, " 0");
      }
      default:
        return absl::StrCat(Fresh('f'), " = info fd bar=0");
    }
  }

  // Values a variable bound by `op` can plausibly hold.
  std::vector<std::string> Values(OpKind op) {
    switch (op) {
      case OpKind::kRead:
      case OpKind::kDma:
      case OpKind::kP2p:
        return {"0", "SIGBUS", "SIGSEGV", "EIO", "0x1234", "7", "0xffffffff", "EBADF"};
      case OpKind::kWrite:
      case OpKind::kTouch:
        return {"ok", "SIGBUS", "SIGSEGV"};
      case OpKind::kInfo:
        return {"mmap", "nommap", "EBADF"};
      case OpKind::kProcess:
      case OpKind::kOpen:
      case OpKind::kMmap:
      case OpKind::kExport:
      case OpKind::kAttach:
      case OpKind::kFork:
      case OpKind::kIommuMap:
      case OpKind::kIommufdMap:
        return {"ENODEV", "EINVAL", "EBADF", "EOPNOTSUPP", "EFAULT", "EBUSY"};
      default:
        return {"ok", "EBADF", "ENODEV", "EINVAL", "EBUSY", "ENOTTY", "EIO", "EBADFD"};
    }
  }

  std::optional<std::string> Atom() {
    const uint64_t roll = r_.Below(10);
    if (roll < 7 && !thread_vars_.empty()) {
      const Var& v = r_.Pick(thread_vars_);
      const std::vector<std::string> vals = Values(v.op);
      const std::string ref = v.thread + "." + v.name;
      switch (r_.Below(3)) {
        case 0: return absl::StrCat(ref, " == ", r_.Pick(vals));
        case 1: return absl::StrCat(ref, " != ", r_.Pick(vals));
        default: {
          const std::string a = r_.Pick(vals), b = r_.Pick(vals);
          return a == b ? absl::StrCat(ref, " in {", a, "}") : absl::StrCat(ref, " in {", a, ", ", b, "}");
        }
      }
    }
    if (roll < 9) {
      const Var* a = PickVar(HandleKind::kAddr, nullptr);
      if (!a) return std::nullopt;
      return absl::StrCat("mapped(", a->proc, ", ", a->name, ")");
    }
    const Var* b = PickVar(HandleKind::kBuf, nullptr);
    if (!b) return std::nullopt;
    return absl::StrCat("revoked(", b->name, ")");
  }

  std::optional<std::string> Expect() {
    if (r_.Chance(8)) {
      static const std::vector<std::string> kInv = {"stale-pte", "mmio-while-disabled", "use-after-free",
                                                    "importer-after-move", "lock-order", "pfn-out-of-range"};
      return "expect violation " + r_.Pick(kInv);
    }
    std::optional<std::string> c = Atom();
    if (!c) return std::nullopt;
    if (r_.Chance(25)) {
      std::optional<std::string> d = Atom();
      if (d) c = absl::StrCat("(", *c, ")", r_.Chance(50) ? " && " : " || ", "(", *d, ")");
    }
    if (r_.Chance(10)) c = absl::StrCat("!(", *c, ")");
    static const char* kKinds[] = {"sometimes", "always", "never"};
    return absl::StrCat("expect ", kKinds[r_.Below(3)], " ", *c);
  }

  Rng r_;
  bool legacy_ = false;
  std::string arch_;
  uint64_t bar_size_ = 4096;
  bool second_bar_ = false;
  bool noreset_ = false;
  int counter_ = 1;
  std::vector<Var> globals_;
  std::vector<Var> thread_vars_;
};

}  // namespace

std::string GenerateCandidateText(uint64_t seed, int attempt) { return Gen(seed, attempt).Build(seed); }

GeneratedScenario GenerateScenario(uint64_t seed) {
  GeneratedScenario g;
  for (int attempt = 0;; ++attempt) {
    const std::string text = GenerateCandidateText(seed, attempt);
    absl::StatusOr<scn::Scenario> s = scn::LoadScenario(text, absl::StrCat("gen-", seed, ".scn"));
    if (s.ok() && sim::Compile(*s, sim::CompileOptions{}).ok()) {
      // Run what is printed: the canonical text, parsed again, so that the
      // `expect:<line>` of a verdict is a line of the text a failure shows.
      g.text = scn::PrintScenario(*s);
      absl::StatusOr<scn::Scenario> c = scn::LoadScenario(g.text, absl::StrCat("gen-", seed, ".scn"));
      if (c.ok()) {
        g.scenario = std::make_unique<scn::Scenario>(std::move(*c));
        return g;
      }
    }
    ++g.rejected;
  }
}

}  // namespace vfiosim::testing
