// `vfiosim kconfig`: the evaluated Kconfig of one kernel, or (--matrix) what BAR
// mmap, region info and dma-buf export do across arches, Kconfig choices,
// variants and the proposed fixes (sim/run/kconfig_matrix.h, printed as
// sim/cli/kconfig_matrix.h renders it).
//
//   vfiosim kconfig --matrix [--kconfig_format=text|json]
//   vfiosim kconfig [ARCH] [--kconfig_arch=ARCH] [--variant=legacy|dmabuf]
//                   [--fix=p2pdma-core] [--kconfig SYM=y|n ...] [--config FILE]
//                   [--kconfig_format=text|json]
//
// absl parses every flag before dispatch and rejects unknown ones, so `--matrix`
// has to be a flag (the one flag here without the `kconfig_` prefix: the usage
// text advertises it); the words `matrix`, `json`, `text` and an arch name are
// also accepted as positional arguments. --variant, --fix, --kconfig and
// --config are the run flags (sim/cli/commands.cc); sim/cli/flag_table.cc says
// which flags kconfig takes.
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "model/kconfig/kconfig.h"
#include "model/value.h"
#include "sim/cli/commands.h"
#include "sim/cli/kconfig_matrix.h"
#include "sim/report/json.h"

ABSL_FLAG(bool, matrix, false,
          "kconfig: probe BAR mmap on every arch x ZONE_DEVICE x DMA_SHARED_BUFFER x variant x fix");
ABSL_FLAG(std::string, kconfig_format, "text", "kconfig: output format: text | json");
ABSL_FLAG(std::string, kconfig_arch, "", "kconfig: the arch whose Kconfig to print: x86_64 | arm64 | i386");

ABSL_DECLARE_FLAG(std::string, variant);
ABSL_DECLARE_FLAG(std::vector<std::string>, fix);
ABSL_DECLARE_FLAG(std::vector<std::string>, kconfig);
ABSL_DECLARE_FLAG(std::string, config);

namespace vfiosim::cli {

using sim::BuildKconfigMatrix;
using sim::KconfigMatrix;
using sim::KconfigMatrixRow;
using sim::KconfigMatrixSkip;
using sim::KconfigProbe;

namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = uint64_t{1} << 30;

const char* YN(bool v) { return v ? "y" : "n"; }

std::string ErrnoOrOk(int err) { return err == 0 ? std::string("ok") : std::string(ErrnoName(err)); }

// "ok (dma-buf)" when vfio_pci_core_mmap_prep_dmabuf() backed the mapping, "ok
// (legacy)" for the pre-patch path (the legacy variant, or the legacy-fallback
// fix), else the errno.
std::string MmapCell(const KconfigProbe& p) {
  if (p.mmap_errno) return std::string(ErrnoName(p.mmap_errno));
  return p.mmap_via_dmabuf ? "ok (dma-buf)" : "ok (legacy)";
}

std::string ZapName(KconfigProbe::Zap z) {
  switch (z) {
    case KconfigProbe::Zap::kNothingMapped:
      return "-";
    case KconfigProbe::Zap::kZapped:
      return "yes";
    case KconfigProbe::Zap::kStale:
      return "NO";
  }
  return "?";
}

// PCI_P2PDMA as the table shows it: the p2pdma-core fix's hidden provider is
// noted next to it.
std::string P2pdmaCell(bool p2pdma, bool core) {
  if (p2pdma) return core ? "y (+CORE)" : "y";
  return core ? "n (CORE=y)" : "n";
}

const char* JsonBool(bool v) { return v ? "true" : "false"; }

// ---- rendering ----

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  // A Markdown table whose columns line up in a terminal too.
  std::string Render() const {
    std::vector<size_t> w(header.size());
    for (size_t c = 0; c < header.size(); ++c) w[c] = std::max<size_t>(3, header[c].size());
    for (const auto& r : rows)
      for (size_t c = 0; c < r.size(); ++c) w[c] = std::max(w[c], r[c].size());
    auto line = [&](const std::vector<std::string>& cells) {
      std::string s = "|";
      for (size_t c = 0; c < cells.size(); ++c) s += " " + cells[c] + std::string(w[c] - cells[c].size(), ' ') + " |";
      return s + "\n";
    };
    std::string out = line(header);
    out += "|";
    for (size_t c = 0; c < w.size(); ++c) out += std::string(w[c] + 2, '-') + "|";
    out += "\n";
    for (const auto& r : rows) out += line(r);
    return out;
  }
};

std::string Coordinates(Arch arch, bool zd, bool dsb, Variant v, std::optional<Fix> fix) {
  return absl::StrFormat("%s ZONE_DEVICE=%s DMA_SHARED_BUFFER=%s %s fix=%s", ArchName(arch), YN(zd), YN(dsb),
                         VariantName(v), FixName(fix));
}

// ---- `vfiosim kconfig` without --matrix: one evaluated config ----

int KconfigUsage(const std::string& msg) {
  std::cerr << "vfiosim: kconfig: " << msg
            << "\nUsage: vfiosim kconfig --matrix [--kconfig_format=text|json]\n"
               "       vfiosim kconfig [x86_64|arm64|i386] [--variant=legacy|dmabuf] [--fix=p2pdma-core]\n"
               "                       [--kconfig SYM=y|n ...] [--config FILE] [--kconfig_format=text|json]\n";
  return kExitUsage;
}

int DumpConfig(Arch arch, bool json) {
  Variant variant = Variant::kDmabuf;
  if (const std::string v = absl::GetFlag(FLAGS_variant); !v.empty()) {
    std::optional<Variant> pv = ParseVariant(v);
    if (!pv) return KconfigUsage("--variant must be legacy or dmabuf (got '" + v + "')");
    variant = *pv;
  }
  kconfig::Options kopts;
  std::vector<std::string> fixes;
  for (const std::string& f : absl::GetFlag(FLAGS_fix)) {
    std::optional<Fix> pf = ParseFix(f);
    if (!pf) return KconfigUsage("unknown fix '" + f + "' (see 'vfiosim list fixes')");
    if (*pf == Fix::kP2pdmaCore) kopts.p2pdma_core_fix = true;  // the only fix that changes Kconfig
    fixes.push_back(f);
  }
  // As `run` does: a .config, then --kconfig; errors name the setting at fault.
  std::vector<kconfig::Setting> settings;
  std::vector<std::string> where;
  if (const std::string cfg = absl::GetFlag(FLAGS_config); !cfg.empty()) {
    std::ifstream f(cfg, std::ios::binary);
    if (!f) return KconfigUsage("cannot read --config file " + cfg);
    std::stringstream ss;
    ss << f.rdbuf();
    absl::StatusOr<std::vector<kconfig::Setting>> dc = kconfig::ParseDotConfig(ss.str(), cfg);
    if (!dc.ok()) {
      std::cerr << dc.status().message() << "\n";
      return kExitUsage;
    }
    for (kconfig::Setting& s : *dc) {
      where.push_back(absl::StrFormat("%s:%d:%d: error: ", cfg, s.line, s.col));
      settings.push_back(std::move(s));
    }
  }
  for (const std::string& kv : absl::GetFlag(FLAGS_kconfig)) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || (kv.substr(eq + 1) != "y" && kv.substr(eq + 1) != "n"))
      return KconfigUsage("--kconfig wants SYM=y or SYM=n (got '" + kv + "')");
    settings.push_back(kconfig::Setting{kv.substr(0, eq), kv.substr(eq + 1) == "y"});
    where.push_back("--kconfig: error: ");
  }
  std::variant<kconfig::Config, kconfig::EvalError> ev = kconfig::EvaluateDetailed(arch, variant, settings, kopts);
  if (const auto* err = std::get_if<kconfig::EvalError>(&ev)) {
    std::cerr << (err->setting_index < where.size() ? where[err->setting_index] : std::string("error: "))
              << err->message << "\n";
    return kExitUsage;
  }
  const kconfig::Config& c = std::get<kconfig::Config>(ev);
  const std::string fix_list = fixes.empty() ? "none" : absl::StrJoin(fixes, ",");
  if (json) {
    std::string out = absl::StrFormat("{\"arch\": %s, \"variant\": %s, \"fixes\": [", json::Quote(ArchName(arch)),
                                      json::Quote(VariantName(variant)));
    for (size_t i = 0; i < fixes.size(); ++i) out += (i ? ", " : "") + json::Quote(fixes[i]);
    out += "],\n \"symbols\": {";
    bool first = true;
    for (const auto& [name, value] : c.values()) {
      out += absl::StrFormat("%s\n  %s: %s", first ? "" : ",", json::Quote(name), JsonBool(value));
      first = false;
    }
    out += absl::StrFormat(
        "},\n \"facts\": {\"p2pdma_provider\": %s, \"vfio_pci_dmabuf\": %s, \"vfio_pci_mmap\": %s, "
        "\"pmd_pfnmap\": %s, \"pud_pfnmap\": %s},\n \"warnings\": [",
        JsonBool(c.p2pdma_provider_available()), JsonBool(c.vfio_pci_dmabuf()), JsonBool(c.vfio_pci_mmap()),
        JsonBool(c.huge_pfnmap_pmd()), JsonBool(c.huge_pfnmap_pud()));
    for (size_t i = 0; i < c.warnings().size(); ++i) out += (i ? ", " : "") + json::Quote(c.warnings()[i]);
    std::cout << out << "]}\n";
    return kExitPass;
  }
  // A .config (comments are ignored when it is read back with --config).
  std::cout << absl::StrFormat("# vfiosim kconfig: arch=%s variant=%s fix=%s\n", ArchName(arch), VariantName(variant),
                               fix_list);
  std::cout << c.Dump();
  std::cout << absl::StrFormat(
      "# p2pdma provider: %s; VFIO_PCI_DMABUF (export): %s; VFIO_PCI_MMAP: %s; huge pfnmap: PMD %s, PUD %s\n",
      YN(c.p2pdma_provider_available()), YN(c.vfio_pci_dmabuf()), YN(c.vfio_pci_mmap()), YN(c.huge_pfnmap_pmd()),
      YN(c.huge_pfnmap_pud()));
  if (variant == Variant::kDmabuf && !c.p2pdma_provider_available())
    std::cout << "# the dmabuf variant's BAR mmap fails here (no pcim_p2pdma_provider()); see "
                 "`vfiosim kconfig --matrix`\n";
  for (const std::string& w : c.warnings()) std::cout << "# warning: " << w << "\n";
  return kExitPass;
}

}  // namespace

// ---- sim/cli/kconfig_matrix.h ----

std::string LeafName(uint64_t bytes) {
  if (bytes == 0) return "-";
  if (bytes >= kGiB && bytes % kGiB == 0) return absl::StrFormat("%dG", bytes / kGiB);
  if (bytes >= kMiB && bytes % kMiB == 0) return absl::StrFormat("%dM", bytes / kMiB);
  return absl::StrFormat("%dK", bytes / 1024);
}

std::string FixName(std::optional<Fix> fix) {
  if (!fix) return "none";
  for (const FixInfo& f : AllFixes())
    if (f.fix == *fix) return std::string(f.name);
  return "?";
}

std::string RenderKconfigMatrixText(const KconfigMatrix& m) {
  Table t;
  t.header = {"arch", "ZONE_DEVICE", "P2PDMA",    "DMA_SHARED_BUFFER", "variant",      "fix",
              "mmap", "MMAP flag",   "flag lies", "dma-buf export",    "largest leaf", "MEM=0 zaps"};
  for (const KconfigMatrixRow& r : m.rows) {
    const KconfigProbe& p = r.probe;
    t.rows.push_back({std::string(ArchName(r.arch)), YN(r.zone_device), P2pdmaCell(r.pci_p2pdma, r.pci_p2pdma_core),
                      YN(r.dma_shared_buffer), std::string(VariantName(r.variant)), FixName(r.fix), MmapCell(p),
                      p.mmap_flag ? "yes" : "no", p.flag_lies ? "LIES" : "no", ErrnoOrOk(p.export_errno),
                      LeafName(p.largest_leaf), ZapName(p.zap)});
  }
  std::string out = t.Render();

  // The rest is Markdown lists, so that the whole output can be pasted into a
  // .md file (docs/kconfig-matrix.md) and still reads as plain text.
  out += absl::StrFormat("\n%d kernels probed; %d combinations skipped because Kconfig forbids them:\n\n",
                         m.rows.size(), m.skipped.size());
  // Grouped by the evaluator's reason, in first-seen order.
  std::vector<std::string> reasons;
  std::map<std::string, std::vector<const KconfigMatrixSkip*>> by_reason;
  for (const KconfigMatrixSkip& s : m.skipped) {
    if (!by_reason.count(s.reason)) reasons.push_back(s.reason);
    by_reason[s.reason].push_back(&s);
  }
  for (const std::string& reason : reasons) {
    const auto& list = by_reason[reason];
    std::vector<std::string> arches, variants;
    for (const KconfigMatrixSkip* s : list) {
      const std::string a(ArchName(s->arch)), v(VariantName(s->variant));
      if (std::find(arches.begin(), arches.end(), a) == arches.end()) arches.push_back(a);
      if (std::find(variants.begin(), variants.end(), v) == variants.end()) variants.push_back(v);
    }
    out += absl::StrFormat("- %d x `%s` (arch %s; variant %s)\n", list.size(), reason, absl::StrJoin(arches, ", "),
                           absl::StrJoin(variants, ", "));
  }

  std::vector<std::string> lies, stale, other;
  for (const KconfigMatrixRow& r : m.rows) {
    const std::string where = Coordinates(r.arch, r.zone_device, r.dma_shared_buffer, r.variant, r.fix);
    if (r.probe.flag_lies) lies.push_back(where);
    if (r.probe.zap == KconfigProbe::Zap::kStale) stale.push_back(where);
    if (!r.probe.violation.empty() && !r.probe.flag_lies)
      other.push_back(where + ": " + r.probe.violation + ": " + r.probe.violation_message);
  }
  out += absl::StrFormat("\nmmap-flag-lies in %d of %d kernels%s\n", lies.size(), m.rows.size(),
                         lies.empty() ? "." : ":\n");
  for (const std::string& l : lies) out += "- " + l + "\n";
  out += absl::StrFormat("\nMEM=0 left a leaf or an access behind in %d kernels%s\n", stale.size(),
                         stale.empty() ? "." : ":\n");
  for (const std::string& s : stale) out += "- " + s + "\n";
  if (!other.empty()) {
    out += "\nOther invariant violations:\n\n";
    for (const std::string& o : other) out += "- " + o + "\n";
  }
  return out;
}

std::string RenderKconfigMatrixJson(const KconfigMatrix& m) {
  std::string out = "{\n\"device\": {\"bar0\": \"2M mem64\", \"bar2\": \"1G mem64 (64-bit arches only)\"},\n";
  out += "\"rows\": [\n";
  for (size_t i = 0; i < m.rows.size(); ++i) {
    const KconfigMatrixRow& r = m.rows[i];
    const KconfigProbe& p = r.probe;
    out += absl::StrFormat(
        "  {\"arch\": %s, \"ZONE_DEVICE\": %s, \"PCI_P2PDMA\": %s, \"PCI_P2PDMA_CORE\": %s, "
        "\"DMA_SHARED_BUFFER\": %s, \"VFIO_PCI_DMABUF\": %s, \"variant\": %s, \"fix\": %s, \"mmap\": %s, "
        "\"mmap_via_dmabuf\": %s, \"mmap_flag\": %s, \"flag_lies\": %s, \"export\": %s, \"largest_leaf\": %d, "
        "\"mem0_zaps\": %s, "
        "\"violation\": %s}%s\n",
        json::Quote(ArchName(r.arch)), JsonBool(r.zone_device), JsonBool(r.pci_p2pdma), JsonBool(r.pci_p2pdma_core),
        JsonBool(r.dma_shared_buffer), JsonBool(r.vfio_pci_dmabuf), json::Quote(VariantName(r.variant)),
        r.fix ? json::Quote(FixName(r.fix)) : std::string("null"), json::Quote(ErrnoOrOk(p.mmap_errno)),
        JsonBool(p.mmap_via_dmabuf), JsonBool(p.mmap_flag), JsonBool(p.flag_lies),
        json::Quote(ErrnoOrOk(p.export_errno)), p.largest_leaf,
        p.zap == KconfigProbe::Zap::kNothingMapped ? std::string("null")
                                                   : JsonBool(p.zap == KconfigProbe::Zap::kZapped),
        p.violation.empty() ? std::string("null") : json::Quote(p.violation), i + 1 < m.rows.size() ? "," : "");
  }
  out += "],\n\"skipped\": [\n";
  for (size_t i = 0; i < m.skipped.size(); ++i) {
    const KconfigMatrixSkip& s = m.skipped[i];
    out += absl::StrFormat(
        "  {\"arch\": %s, \"ZONE_DEVICE\": %s, \"DMA_SHARED_BUFFER\": %s, \"variant\": %s, \"fix\": %s, "
        "\"reason\": %s}%s\n",
        json::Quote(ArchName(s.arch)), JsonBool(s.zone_device), JsonBool(s.dma_shared_buffer),
        json::Quote(VariantName(s.variant)), s.fix ? json::Quote(FixName(s.fix)) : std::string("null"),
        json::Quote(s.reason), i + 1 < m.skipped.size() ? "," : "");
  }
  out += "]\n}\n";
  return out;
}

int KconfigMain(const std::vector<std::string>& args) {
  bool matrix = absl::GetFlag(FLAGS_matrix);
  std::string format = absl::GetFlag(FLAGS_kconfig_format);
  std::string arch_name = absl::GetFlag(FLAGS_kconfig_arch);
  for (const std::string& a : args) {
    if (a == "matrix") {
      matrix = true;
    } else if (a == "json" || a == "text") {
      format = a;
    } else if (ParseArch(a)) {
      if (!arch_name.empty() && arch_name != a) return KconfigUsage("two arches given: " + arch_name + " and " + a);
      arch_name = a;
    } else {
      return KconfigUsage("unexpected argument '" + a + "'");
    }
  }
  if (format != "text" && format != "json")
    return KconfigUsage("--kconfig_format must be text or json (got '" + format + "')");
  const bool json = format == "json";
  if (matrix) {
    if (!arch_name.empty() || !absl::GetFlag(FLAGS_variant).empty() || !absl::GetFlag(FLAGS_fix).empty() ||
        !absl::GetFlag(FLAGS_kconfig).empty() || !absl::GetFlag(FLAGS_config).empty())
      return KconfigUsage(
          "--matrix covers every arch, variant and fix; it takes no --kconfig_arch, --variant, --fix, "
          "--kconfig or --config");
    const KconfigMatrix m = BuildKconfigMatrix();
    std::cout << (json ? RenderKconfigMatrixJson(m) : RenderKconfigMatrixText(m));
    return kExitPass;
  }
  Arch arch = Arch::kX86_64;
  if (!arch_name.empty()) {
    std::optional<Arch> a = ParseArch(arch_name);
    if (!a) return KconfigUsage("unknown arch '" + arch_name + "' (x86_64, arm64 or i386)");
    arch = *a;
  }
  return DumpConfig(arch, json);
}

}  // namespace vfiosim::cli
