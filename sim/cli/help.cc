#include "sim/cli/help.h"

#include <algorithm>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "sim/cli/flag_table.h"

namespace vfiosim::cli {
namespace {

// The flags that every subcommand of `all` takes and none of `none` takes
// (sim/cli/flag_table.h), sorted by name.
std::vector<const absl::CommandLineFlag*> Flags(unsigned all, unsigned none) {
  std::vector<const absl::CommandLineFlag*> out;
  for (const FlagOwners& f : FlagTable()) {
    if ((f.commands & all) != all || (f.commands & none) != 0) continue;
    if (const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(absl::string_view(f.flag.data(), f.flag.size())))
      out.push_back(flag);
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->Name() < b->Name(); });
  return out;
}

void PrintFlag(std::ostream& os, const absl::CommandLineFlag& f) {
  const std::string def = f.DefaultValue();
  os << absl::StrFormat("  --%s%s\n      %s\n", f.Name(), def.empty() ? "" : " (default: " + def + ")", f.Help());
}

void Section(std::ostream& os, const std::string& title, unsigned all, unsigned none) {
  os << "\n" << title << ":\n";
  for (const absl::CommandLineFlag* f : Flags(all, none)) PrintFlag(os, *f);
}

// "  and these of run: --x, --y, ..." (wrapped): the run flags `command` takes too.
void AlsoOfRun(std::ostream& os, CommandBit command) {
  std::string line = "  and these of run:";
  const std::vector<const absl::CommandLineFlag*> flags = Flags(command | kRun, 0);
  for (size_t i = 0; i < flags.size(); ++i) {
    const std::string word = " --" + std::string(flags[i]->Name()) + (i + 1 < flags.size() ? "," : "");
    if (line.size() + word.size() > 100) {
      os << line << "\n";
      line = "     ";
    }
    line += word;
  }
  os << line << "\n";
}

}  // namespace

void PrintHelp(std::ostream& os, const std::string& usage) {
  os << usage << "\n";
  Section(os, "Options of run (names take _ or -, e.g. --max_steps or --max-steps)", kRun, 0);
  Section(os, "Options of diff", kDiff, kRun);
  AlsoOfRun(os, kDiff);
  Section(os, "Options of kconfig", kKconfig, kRun);
  AlsoOfRun(os, kKconfig);
  os << "\nOptions of stress: vfiosim stress --help\n";
}

void PrintStressHelp(std::ostream& os) {
  os << "vfiosim stress [options]: the model on real threads, faulting threads against revokers;\n"
        "exit 1 when an invariant is violated (or a deadlock is seen), else 0.\n";
  Section(os, "Options of stress", kStress, kRun);
  os << "\nOptions of run that stress reads:\n";
  for (const absl::CommandLineFlag* f : Flags(kStress | kRun, 0)) PrintFlag(os, *f);
  os << "  (--variant may also be 'both', the default)\n";
}

void PrintFullHelp(std::ostream& os, const std::string& usage) {
  os << usage << "\n";
  // Each subcommand with every flag it takes (not the hidden `gen`).
  for (const CommandBit c : {kRun, kDiff, kStress, kKconfig})
    Section(os, "Options of " + std::string(CommandName(c)), c, 0);
}

int PrintMatchingFlags(std::ostream& os, const std::string& substring) {
  int n = 0;
  for (const absl::CommandLineFlag* f : Flags(0, 0)) {
    if (!absl::StrContains(f->Name(), substring) && !absl::StrContains(f->Help(), substring)) continue;
    PrintFlag(os, *f);
    ++n;
  }
  if (n == 0) os << "No flags matched '" << substring << "'.\n";
  return n;
}

}  // namespace vfiosim::cli
