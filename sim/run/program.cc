#include "sim/run/program.h"

#include <variant>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "model/fixes.h"
#include "model/kconfig/kconfig.h"
#include "sim/run/kernel_config.h"
#include "sim/scenario/ops.h"

namespace vfiosim::sim {
namespace {

std::string Where(const scn::Scenario& s, scn::SourceLoc l) {
  if (l.line == 0) return absl::StrFormat("%s: error: ", s.file);
  return absl::StrFormat("%s:%d:%d: error: ", s.file, l.line, l.col);
}

class Resolver {
 public:
  explicit Resolver(const scn::Scenario& s) : s_(s) {
    for (size_t i = 0; i < s.devices.size(); ++i) devices_[s.devices[i].name] = static_cast<int>(i);
  }
  absl::flat_hash_map<std::string, int> globals;
  std::vector<absl::flat_hash_map<std::string, int>> locals;

  CompiledOperand Operand(const scn::Operand& op, int thread, bool device) const {
    CompiledOperand c;
    if (op.is_number()) {
      c.kind = CompiledOperand::Kind::kNumber;
      c.number = op.number;
      return c;
    }
    if (device) {
      c.kind = CompiledOperand::Kind::kDevice;
      auto it = devices_.find(op.name);
      c.device = it == devices_.end() ? -1 : it->second;
      return c;
    }
    c.kind = CompiledOperand::Kind::kVar;
    c.offset = op.offset;
    c.slot = Lookup(op.name, thread);
    return c;
  }
  Slot Lookup(const std::string& name, int thread) const {
    if (thread >= 0) {
      auto it = locals[thread].find(name);
      if (it != locals[thread].end()) return Slot{thread, it->second};
    }
    auto it = globals.find(name);
    if (it != globals.end()) return Slot{-1, it->second};
    return Slot{};
  }

 private:
  const scn::Scenario& s_;
  absl::flat_hash_map<std::string, int> devices_;
};

std::vector<CompiledStmt> CompileBlock(const std::vector<scn::Stmt>& stmts, int thread, Resolver& r,
                                std::vector<VarInfo>* vars, const std::string& prefix) {
  std::vector<CompiledStmt> out;
  for (const scn::Stmt& st : stmts) {
    CompiledStmt c;
    c.stmt = &st;
    const scn::OpSpec& spec = scn::GetOpSpec(st.op);
    for (size_t i = 0; i < st.args.size(); ++i) {
      const bool typed = i < static_cast<size_t>(spec.num_args);
      // Numbers that are the value operand of write/dma/p2p stay numbers.
      c.args.push_back(r.Operand(st.args[i], thread, typed && spec.args[i].type == scn::ArgType::kDevice));
      if (typed && scn::IsFdArg(spec.args[i])) c.fd_args.push_back(static_cast<uint8_t>(i));
    }
    if (st.in_proc) c.in_proc = r.Operand(*st.in_proc, thread, false);
    if (st.at) c.at = r.Operand(*st.at, thread, false);
    if (!st.bind.empty()) {
      auto& table = thread >= 0 ? r.locals[thread] : r.globals;
      const int idx = static_cast<int>(vars->size());
      table[st.bind] = idx;
      vars->push_back(VarInfo{prefix + st.bind, scn::ResultKind(st.op)});
      c.bind = Slot{thread, idx};
    }
    out.push_back(std::move(c));
  }
  return out;
}

// A schedule id names a thread with one character (0-9, a-z, A-Z) and the
// explorer keeps sets of threads in 64-bit masks: 62 threads at most.
absl::Status CheckThreadCount(const scn::Scenario& s) {
  constexpr size_t kMaxThreads = 62;
  if (s.threads.size() > kMaxThreads)
    return absl::InvalidArgumentError(Where(s, s.threads[kMaxThreads].loc) +
                                      absl::StrFormat("too many threads: a scenario has at most %d", kMaxThreads));
  return absl::OkStatus();
}

// Bugs: the file's, then the command line's.
absl::Status AddBugs(const scn::Scenario& s, const CompileOptions& opts, MachineConfig& m) {
  for (const scn::NamedLoc& b : s.bugs) {
    std::optional<Bug> bug = ParseBug(b.name);
    if (!bug) return absl::InvalidArgumentError(Where(s, b.loc) + "unknown bug '" + b.name + "'");
    m.ctx.bugs.add(*bug);
  }
  for (const std::string& b : opts.extra_bugs) {
    std::optional<Bug> bug = ParseBug(b);
    if (!bug) return absl::InvalidArgumentError("unknown bug '" + b + "' (see `vfiosim list bugs`)");
    m.ctx.bugs.add(*bug);
  }
  return absl::OkStatus();
}

// Fixes: the file's, then the command line's. The p2pdma-core fix is a Kconfig
// option (*p2pdma_core), the others the model's.
absl::Status AddFixes(const scn::Scenario& s, const CompileOptions& opts, MachineConfig& m, bool* p2pdma_core) {
  auto add_fix = [&](const std::string& name) -> bool {
    std::optional<Fix> f = ParseFix(name);
    if (!f) return false;
    if (*f == Fix::kLegacyFallback) m.ctx.fixes.legacy_fallback = true;
    if (*f == Fix::kHideMmapFlag) m.ctx.fixes.hide_mmap_flag = true;
    if (*f == Fix::kFaultWaitsTempRevoke) m.ctx.fixes.fault_waits_temp_revoke = true;
    if (*f == Fix::kP2pdmaCore) *p2pdma_core = true;
    return true;
  };
  for (const scn::NamedLoc& f : s.fixes)
    if (!add_fix(f.name)) return absl::InvalidArgumentError(Where(s, f.loc) + "unknown fix '" + f.name + "'");
  for (const std::string& f : opts.extra_fixes)
    if (!add_fix(f)) return absl::InvalidArgumentError("unknown fix '" + f + "'");
  return absl::OkStatus();
}

// Kconfig: arch defaults, then a .config, then the file's settings, then
// --kconfig. The kernel configuration the model runs with comes out of it.
absl::Status EvaluateKconfig(const scn::Scenario& s, const CompileOptions& opts, bool p2pdma_core,
                             MachineConfig& m) {
  std::vector<kconfig::Setting> settings;
  std::vector<std::string> where;  // per setting: the prefix of its error
  if (!opts.dot_config.empty()) {
    absl::StatusOr<std::vector<kconfig::Setting>> dc =
        kconfig::ParseDotConfig(opts.dot_config, opts.dot_config_name);
    if (!dc.ok()) return dc.status();
    for (kconfig::Setting& st : *dc) {
      where.push_back(absl::StrFormat("%s:%d:%d: error: ", opts.dot_config_name, st.line, st.col));
      settings.push_back(std::move(st));
    }
  }
  for (const scn::KconfigSetting& k : s.kconfig) {
    settings.push_back(kconfig::Setting{k.symbol, k.value, k.loc.line, k.loc.col});
    where.push_back(Where(s, k.loc));
  }
  for (const scn::KconfigSetting& k : opts.kconfig) {
    settings.push_back(kconfig::Setting{k.symbol, k.value, 0, 0});
    where.push_back("--kconfig: error: ");
  }
  kconfig::Options kopts;
  kopts.p2pdma_core_fix = p2pdma_core;
  auto ev = kconfig::EvaluateDetailed(m.arch, m.ctx.variant, settings, kopts);
  if (auto* err = std::get_if<kconfig::EvalError>(&ev)) {
    const std::string w = err->setting_index < where.size() ? where[err->setting_index] : Where(s, {});
    return absl::InvalidArgumentError(w + err->message);
  }
  const kconfig::Config& kc = std::get<kconfig::Config>(ev);
  m.ctx.config = KernelConfigOf(kc);
  return absl::OkStatus();
}

// The devices and their BARs, as declared.
void AddDevices(const scn::Scenario& s, MachineConfig& m) {
  for (const scn::DeviceDecl& d : s.devices) {
    DeviceSpec ds;
    ds.name = d.name;
    ds.bdf = d.bdf.empty() ? absl::StrFormat("0000:%02x:00.0", m.devices.size() + 1) : d.bdf;
    ds.noreset = d.noreset;
    ds.vf = d.vf;
    for (const scn::BarDecl& b : d.bars) {
      BarSpec& bs = ds.bars[b.index];
      bs.present = true;
      bs.size = b.size;
      bs.mem64 = b.mem64;
      bs.prefetch = b.prefetch;
      bs.io = b.io;
      bs.addr = b.addr;
    }
    m.devices.push_back(std::move(ds));
  }
}

// The BARs must fit in the 64-bit physical address space (as the PCI core
// would fail to assign them): 8E BARs, or big ones around explicit addr=s.
absl::Status CheckBarsFit(const scn::Scenario& s, const MachineConfig& m) {
  std::vector<std::array<uint64_t, pci::kNumBars>> starts;
  int bd = -1, bb = -1;
  if (PlaceBars(m.devices, &starts, &bd, &bb)) return absl::OkStatus();
  scn::SourceLoc loc = s.devices[static_cast<size_t>(bd)].loc;
  for (const scn::BarDecl& b : s.devices[static_cast<size_t>(bd)].bars)
    if (b.index == bb) loc = b.loc;
  return absl::InvalidArgumentError(
      Where(s, loc) + absl::StrFormat("BAR %d of %s does not fit in the 64-bit physical address space "
                                      "(BARs are placed from 512G up, after the ones before them)",
                                      bb, s.devices[static_cast<size_t>(bd)].name));
}

// Setup, each thread, finally: their statements with operands resolved to slots.
void CompileStatements(const scn::Scenario& s, Program& p) {
  Resolver r(s);
  r.locals.resize(s.threads.size());
  p.setup = CompileBlock(s.setup, -1, r, &p.globals, "");
  for (size_t i = 0; i < s.threads.size(); ++i) {
    ThreadProgram tp;
    tp.name = s.threads[i].name;
    tp.stmts = CompileBlock(s.threads[i].stmts, static_cast<int>(i), r, &tp.vars, tp.name + ".");
    p.threads.push_back(std::move(tp));
  }
  p.finally = CompileBlock(s.finally, -1, r, &p.globals, "");
}

}  // namespace

Slot Program::Resolve(const std::string& name) const {
  const size_t dot = name.find('.');
  if (dot != std::string::npos) {
    const std::string t = name.substr(0, dot), v = name.substr(dot + 1);
    for (size_t i = 0; i < threads.size(); ++i) {
      if (threads[i].name != t) continue;
      for (size_t j = 0; j < threads[i].vars.size(); ++j)
        if (threads[i].vars[j].name == name) return Slot{static_cast<int>(i), static_cast<int>(j)};
    }
    return Slot{};
  }
  for (size_t j = 0; j < globals.size(); ++j)
    if (globals[j].name == name) return Slot{-1, static_cast<int>(j)};
  return Slot{};
}

absl::StatusOr<Program> Compile(const scn::Scenario& s, const CompileOptions& opts) {
  Program p;
  p.scenario = &s;
  if (absl::Status st = CheckThreadCount(s); !st.ok()) return st;
  MachineConfig& m = p.machine;
  m.arch = opts.arch.value_or(s.arch);
  m.ctx.variant = opts.variant.value_or(s.variant);
  m.ctx.find_pfn = opts.find_pfn;
  bool p2pdma_core = false;
  if (absl::Status st = AddBugs(s, opts, m); !st.ok()) return st;
  if (absl::Status st = AddFixes(s, opts, m, &p2pdma_core); !st.ok()) return st;
  if (absl::Status st = EvaluateKconfig(s, opts, p2pdma_core, m); !st.ok()) return st;
  AddDevices(s, m);
  if (absl::Status st = CheckBarsFit(s, m); !st.ok()) return st;
  CompileStatements(s, p);
  return p;
}

}  // namespace vfiosim::sim
