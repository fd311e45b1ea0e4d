#include "sim/run/kconfig_matrix.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <variant>

#include "model/kconfig/kconfig.h"
#include "model/machine.h"
#include "model/value.h"
#include "sim/check/checker.h"
#include "sim/check/invariant.h"
#include "sim/core/free_runner.h"
#include "sim/run/kernel_config.h"

namespace vfiosim::sim {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = uint64_t{1} << 30;

constexpr Arch kArches[] = {Arch::kX86_64, Arch::kArm64, Arch::kI386};
constexpr Variant kVariants[] = {Variant::kLegacy, Variant::kDmabuf};

std::vector<std::optional<Fix>> AllFixChoices() {
  std::vector<std::optional<Fix>> out = {std::nullopt};
  for (const FixInfo& f : AllFixes())
    if (f.kconfig) out.push_back(f.fix);
  return out;
}

bool Is64Bit(Arch a) { return a != Arch::kI386; }

class Prober {
 public:
  Prober(Arch arch, const vfio::VfioContext& ctx) : checker_(false), runner_("kconfig-probe") {
    MachineConfig cfg;
    cfg.arch = arch;
    cfg.ctx = ctx;
    DeviceSpec ds;
    ds.name = "gpu";
    ds.bdf = "0000:01:00.0";
    ds.bars[0] = BarSpec{.present = true, .size = 2 * kMiB, .mem64 = true};
    if (Is64Bit(arch)) ds.bars[2] = BarSpec{.present = true, .size = kGiB, .mem64 = true};
    cfg.devices.push_back(std::move(ds));
    machine_ = std::make_unique<Machine>(cfg, &checker_);
    checker_.set_machine(machine_.get());
    runner_.lock_observer = &checker_;
  }

  KconfigProbe Run() {
    KconfigProbe r;
    Machine& m = *machine_;
    const int p = static_cast<int>(m.OpProcess().v);
    const Value fd = Step(m.OpOpen(0, p));
    if (fd.kind != Value::Kind::kHandle) return Finish(r);  // cannot happen: open always works

    // info bar=0, then mmap bar=0: mmap-flag-lies is the checker's verdict.
    r.mmap_flag = Step(m.OpInfo(fd, 0)).kind == Value::Kind::kMmap;
    const Value va = Step(m.OpMmap(p, fd, 0, 0, std::nullopt, true, std::nullopt));
    r.mmap_errno = va.kind == Value::Kind::kErrno ? static_cast<int>(va.v) : 0;
    std::vector<uint64_t> mapped;
    if (va.kind == Value::Kind::kInt) {
      Step(m.OpRead(p, va.v));
      r.largest_leaf = std::max(r.largest_leaf, m.PageSize(p, va.v));
      mapped.push_back(va.v);
      const mm::Vma* vma = m.processes()[p].mm->VmaLookup(va.v);
      r.mmap_via_dmabuf = vma && vma->vm_file && vma->vm_file->kind() == mm::File::Kind::kDmaBuf;
    }
    const Value buf = Step(m.OpExport(fd, 0, {}));
    r.export_errno = buf.kind == Value::Kind::kErrno ? static_cast<int>(buf.v) : 0;
    // The 1G BAR shows the largest leaf the arch and Kconfig allow.
    if (m.devices()[0].bars[2].present) {
      const Value va2 = Step(m.OpMmap(p, fd, 2, 0, std::nullopt, true, std::nullopt));
      if (va2.kind == Value::Kind::kInt) {
        Step(m.OpRead(p, va2.v));
        r.largest_leaf = std::max(r.largest_leaf, m.PageSize(p, va2.v));
        mapped.push_back(va2.v);
      }
    }
    // Revocation: memory-disable must zap every leaf, and the next access must
    // get SIGBUS (the stale-pte invariant is checked after the step as well).
    if (r.largest_leaf != 0) {
      Step(m.OpCommand(fd, false));
      bool zapped = m.processes()[p].mm->pt.present_leaves() == 0;
      for (uint64_t a : mapped) zapped = zapped && Step(m.OpRead(p, a)) == Value::Sig(kSIGBUS);
      r.zap = zapped && !checker_.violation() ? KconfigProbe::Zap::kZapped : KconfigProbe::Zap::kStale;
    }
    return Finish(r);
  }

 private:
  Value Step(Task<Value> t) {
    Value v = runner_.Run(std::move(t));
    checker_.AfterStep();
    return v;
  }

  KconfigProbe& Finish(KconfigProbe& r) {
    if (const std::optional<Violation>& v = checker_.violation()) {
      r.violation = std::string(InvariantName(v->inv));
      r.violation_message = v->message;
      r.flag_lies = v->inv == Invariant::kMmapFlagLies;
    }
    return r;
  }

  Checker checker_;
  std::unique_ptr<Machine> machine_;
  FreeRunner runner_;
};

}  // namespace

const KconfigMatrixRow* KconfigMatrix::Find(Arch arch, bool zone_device, bool dma_shared_buffer, Variant variant,
                                            std::optional<Fix> fix) const {
  for (const KconfigMatrixRow& r : rows)
    if (r.arch == arch && r.zone_device == zone_device && r.dma_shared_buffer == dma_shared_buffer &&
        r.variant == variant && r.fix == fix)
      return &r;
  return nullptr;
}

vfio::VfioContext MakeVfioContext(Variant variant, const kconfig::Config& kc, std::optional<Fix> fix) {
  // As sim/run/program.cc turns a scenario's Kconfig and fixes into the model's facts.
  vfio::VfioContext ctx;
  ctx.variant = variant;
  ctx.config = KernelConfigOf(kc);
  ctx.fixes.legacy_fallback = fix == Fix::kLegacyFallback;
  ctx.fixes.hide_mmap_flag = fix == Fix::kHideMmapFlag;
  return ctx;
}

KconfigProbe ProbeBarMmap(Arch arch, const vfio::VfioContext& ctx) { return Prober(arch, ctx).Run(); }

KconfigMatrix BuildKconfigMatrix() {
  KconfigMatrix m;
  for (Arch arch : kArches) {
    for (bool zd : {true, false}) {
      for (bool dsb : {true, false}) {
        for (Variant variant : kVariants) {
          for (std::optional<Fix> fix : AllFixChoices()) {
            kconfig::Options kopts;
            kopts.p2pdma_core_fix = fix == Fix::kP2pdmaCore;
            std::variant<kconfig::Config, kconfig::EvalError> ev =
                kconfig::EvaluateDetailed(arch, variant, {{"ZONE_DEVICE", zd}, {"DMA_SHARED_BUFFER", dsb}}, kopts);
            if (const auto* err = std::get_if<kconfig::EvalError>(&ev)) {
              m.skipped.push_back({arch, zd, dsb, variant, fix, err->message});
              continue;
            }
            const kconfig::Config& kc = std::get<kconfig::Config>(ev);
            KconfigMatrixRow r;
            r.arch = arch;
            r.zone_device = zd;
            r.dma_shared_buffer = dsb;
            r.variant = variant;
            r.fix = fix;
            r.pci_p2pdma = kc.enabled("PCI_P2PDMA");
            r.pci_p2pdma_core = kc.enabled("PCI_P2PDMA_CORE");
            r.vfio_pci_dmabuf = kc.vfio_pci_dmabuf();
            r.probe = ProbeBarMmap(arch, MakeVfioContext(variant, kc, fix));
            m.rows.push_back(std::move(r));
          }
        }
      }
    }
  }
  return m;
}

}  // namespace vfiosim::sim
