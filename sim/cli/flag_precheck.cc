#include "sim/cli/flag_precheck.h"

#include <iostream>
#include <string>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/string_view.h"
#include "sim/cli/commands.h"

namespace vfiosim::cli {
namespace {

int Bad(const std::string& msg) {
  std::cerr << "vfiosim: " << msg << "\nTry 'vfiosim --help'.\n";
  return kExitUsage;
}

// Flags whose value absl handles itself (files, environment, lists of names):
// they are known, but setting them here could change what absl does later.
bool SpecialFlag(absl::string_view name) {
  return name == "flagfile" || name == "fromenv" || name == "tryfromenv" || name == "undefok";
}

// absl's usage flags, handled by ParseCommandLine() (not all are in the registry).
bool UsageFlag(absl::string_view name) {
  return name == "help" || name == "h" || name == "helpfull" || name == "helpshort" || name == "helppackage" ||
         name == "version" || name == "only_check_args" || name == "helpon" || name == "helpmatch";
}

}  // namespace

int PrecheckFlags(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;  // the rest are positional
    if (arg.size() < 2 || arg[0] != '-') continue;  // positional (or "-")
    const bool double_dash = arg[1] == '-';
    arg.remove_prefix(double_dash ? 2 : 1);
    std::string name_storage(arg);
    absl::string_view value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name_storage = std::string(arg.substr(0, eq));
      value = arg.substr(eq + 1);
      has_value = true;
    }
    // Main() accepts `--max-steps` for `--max_steps` (absl names use '_').
    if (double_dash)
      for (char& c : name_storage)
        if (c == '-') c = '_';
    const absl::string_view name = name_storage;
    if (name.empty()) return Bad("bad flag '" + std::string(argv[i]) + "'");
    if (UsageFlag(name)) continue;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (!flag && !has_value && name.size() > 2 && name.substr(0, 2) == "no") {
      absl::CommandLineFlag* neg = absl::FindCommandLineFlag(name.substr(2));
      if (neg && neg->IsOfType<bool>()) continue;  // --noprogress
    }
    if (!flag) return Bad("unknown flag '--" + std::string(name) + "'");
    if (flag->IsRetired() || SpecialFlag(name)) {
      if (!has_value && !flag->IsOfType<bool>()) ++i;
      continue;
    }
    if (flag->IsOfType<bool>()) {
      if (!has_value) continue;
    } else if (!has_value) {
      // `--flag value`
      if (i + 1 >= argc) return Bad("missing a value for flag '--" + std::string(name) + "'");
      value = argv[++i];
    }
    // Parsing sets the flag; absl::ParseCommandLine() sets it again right after.
    std::string error;
    if (!flag->ParseFrom(value, &error))
      return Bad("bad value '" + std::string(value) + "' for --" + std::string(name) + ": " + error);
  }
  return 0;
}

}  // namespace vfiosim::cli
