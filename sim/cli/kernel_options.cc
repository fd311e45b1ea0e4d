#include "sim/cli/kernel_options.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "model/arch.h"
#include "model/bugs.h"
#include "model/fixes.h"
#include "sim/scenario/suggest.h"

namespace vfiosim::cli {

std::string UnknownBug(const std::string& name) {
  std::vector<std::string_view> names;
  for (const BugInfo& i : AllBugs()) names.push_back(i.name);
  return "unknown bug '" + name + "'" + scn::DidYouMean(name, names) + " (see 'vfiosim list bugs')";
}
namespace {

std::string Normalize(const std::string& name) {
  std::string n(name);
  for (char& c : n)
    if (c == '-') c = '_';
  return n;
}

std::vector<std::string> List(const std::string& value) {
  return absl::StrSplit(value, ',', absl::SkipEmpty());
}

}  // namespace

absl::Status ApplyKernelOption(const std::string& name_in, const std::string& value, sim::CompileOptions* co) {
  const std::string name = Normalize(name_in);
  const std::string v(value);
  if (name == "variant") {
    co->variant = ParseVariant(v);
    if (!co->variant) return absl::InvalidArgumentError("--variant must be legacy or dmabuf (got '" + v + "')");
    return absl::OkStatus();
  }
  if (name == "arch") {
    co->arch = ParseArch(v);
    if (!co->arch) return absl::InvalidArgumentError("--arch must be x86_64, arm64 or i386 (got '" + v + "')");
    return absl::OkStatus();
  }
  if (name == "bug") {
    for (const std::string& b : List(value)) {
      if (!ParseBug(b)) return absl::InvalidArgumentError(UnknownBug(b));
      co->extra_bugs.push_back(b);
    }
    return absl::OkStatus();
  }
  if (name == "fix") {
    for (const std::string& f : List(value)) {
      if (!ParseFix(f)) {
        std::vector<std::string_view> names;
        for (const FixInfo& i : AllFixes()) names.push_back(i.name);
        return absl::InvalidArgumentError("unknown fix '" + f + "'" + scn::DidYouMean(f, names) +
                                          " (see 'vfiosim list fixes')");
      }
      co->extra_fixes.push_back(f);
    }
    return absl::OkStatus();
  }
  if (name == "kconfig") {
    for (const std::string& kv : List(value)) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0 || (kv.substr(eq + 1) != "y" && kv.substr(eq + 1) != "n"))
        return absl::InvalidArgumentError("--kconfig wants SYM=y or SYM=n (got '" + kv + "')");
      co->kconfig.push_back(scn::KconfigSetting{kv.substr(0, eq), kv.substr(eq + 1) == "y", {}});
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("'--" + std::string(name_in) +
                                    "' does not choose the kernel (only --variant, --arch, --kconfig, --fix, --bug)");
}

absl::Status ApplyKernelOptions(const std::string& text, const std::string& what, sim::CompileOptions* co) {
  const std::vector<std::string> words = absl::StrSplit(text, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.size() < 3 || w[0] != '-' || w[1] != '-')
      return absl::InvalidArgumentError(absl::StrCat(what, ": expected an option such as --variant=legacy, found '",
                                                     w, "'"));
    const size_t eq = w.find('=');
    const std::string name = w.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    std::string value;
    if (eq != std::string::npos) {
      value = w.substr(eq + 1);
    } else {
      if (i + 1 >= words.size()) return absl::InvalidArgumentError(absl::StrCat(what, ": --", name, " needs a value"));
      value = words[++i];
    }
    if (absl::Status st = ApplyKernelOption(name, value, co); !st.ok())
      return absl::InvalidArgumentError(absl::StrCat(what, ": ", st.message()));
  }
  return absl::OkStatus();
}

std::string KernelOptionsString(const sim::CompileOptions& co) {
  std::vector<std::string> out;
  if (co.variant) out.push_back(absl::StrCat("--variant=", std::string(VariantName(*co.variant))));
  if (co.arch) out.push_back(absl::StrCat("--arch=", std::string(ArchName(*co.arch))));
  for (const scn::KconfigSetting& k : co.kconfig)
    out.push_back(absl::StrCat("--kconfig=", k.symbol, "=", k.value ? "y" : "n"));
  for (const std::string& f : co.extra_fixes) out.push_back("--fix=" + f);
  for (const std::string& b : co.extra_bugs) out.push_back("--bug=" + b);
  return absl::StrJoin(out, " ");
}

}  // namespace vfiosim::cli
