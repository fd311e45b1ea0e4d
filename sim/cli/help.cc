#include "sim/cli/help.h"

#include <algorithm>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"

namespace vfiosim::cli {
namespace {

// vfiosim's flags (defined under sim/cli/), sorted by name; `file` keeps those
// of one command's source file ("" = all of them).
std::vector<const absl::CommandLineFlag*> Flags(const std::string& file) {
  std::vector<const absl::CommandLineFlag*> out;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const std::string f = flag->Filename();
    if (f.find("sim/cli/") == std::string::npos) continue;
    if (!file.empty() && !absl::EndsWith(f, file)) continue;
    out.push_back(flag);
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->Name() < b->Name(); });
  return out;
}

void PrintFlag(std::ostream& os, const absl::CommandLineFlag& f) {
  const std::string def = f.DefaultValue();
  os << absl::StrFormat("  --%s%s\n      %s\n", f.Name(), def.empty() ? "" : " (default: " + def + ")", f.Help());
}

void Section(std::ostream& os, const std::string& title, const std::string& file) {
  os << "\n" << title << ":\n";
  for (const absl::CommandLineFlag* f : Flags(file)) PrintFlag(os, *f);
}

}  // namespace

void PrintHelp(std::ostream& os, const std::string& usage) {
  os << usage << "\n";
  Section(os, "Options of run (names take _ or -, e.g. --max_steps or --max-steps)", "commands.cc");
  Section(os, "Options of diff (with run's, except --explore, --replay and --trace)", "diff_command.cc");
  Section(os, "Options of kconfig", "kconfig_command.cc");
  os << "\nOptions of stress: vfiosim stress --help\n";
}

void PrintStressHelp(std::ostream& os) {
  os << "vfiosim stress [options]: the model on real threads, faulting threads against revokers;\n"
        "exit 1 when an invariant is violated (or a deadlock is seen), else 0.\n";
  Section(os, "Options of stress", "stress_command.cc");
  os << "\nOptions of run that stress reads:\n";
  for (const absl::CommandLineFlag* f : Flags("commands.cc"))
    if (f->Name() == "variant" || f->Name() == "bug" || f->Name() == "seed" || f->Name() == "find_pfn")
      PrintFlag(os, *f);
  os << "  (--variant may also be 'both', the default)\n";
}

int PrintMatchingFlags(std::ostream& os, const std::string& substring) {
  int n = 0;
  for (const absl::CommandLineFlag* f : Flags("")) {
    if (!absl::StrContains(f->Name(), substring) && !absl::StrContains(f->Help(), substring)) continue;
    PrintFlag(os, *f);
    ++n;
  }
  if (n == 0) os << "No flags matched '" << substring << "'.\n";
  return n;
}

}  // namespace vfiosim::cli
