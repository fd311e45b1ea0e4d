#include "sim/cli/flag_precheck.h"

#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "sim/cli/commands.h"
#include "sim/cli/flag_table.h"

namespace vfiosim::cli {
namespace {

int Bad(const std::string& msg, const std::string& help = "vfiosim --help") {
  std::cerr << "vfiosim: " << msg << "\nTry '" << help << "'.\n";
  return kExitUsage;
}

// One argv word that is a flag, as absl splits it.
struct FlagWord {
  std::string name;  // without the dashes and "=value"; after "--", '-' is '_'
  absl::string_view value;
  bool has_value = false;
};

FlagWord SplitFlag(absl::string_view arg) {
  const bool double_dash = absl::StartsWith(arg, "--");
  arg.remove_prefix(double_dash ? 2 : 1);
  FlagWord w;
  w.name = std::string(arg);
  if (const size_t eq = arg.find('='); eq != absl::string_view::npos) {
    w.name = std::string(arg.substr(0, eq));
    w.value = arg.substr(eq + 1);
    w.has_value = true;
  }
  // Main() accepts `--max-steps` for `--max_steps` (absl names use '_').
  if (double_dash)
    for (char& c : w.name)
      if (c == '-') c = '_';
  return w;
}

// A refusal when `name` (shown as typed: `shown`, e.g. its negation) is in the
// flag table but `command`, a known subcommand, does not take it.
std::optional<std::string> Foreign(std::string_view name, std::string_view shown, const std::string& command) {
  const std::optional<unsigned> bit = CommandOf(command);
  const std::optional<unsigned> owners = FlagCommands(name);
  if (!bit || !owners || (*owners & *bit) != 0) return std::nullopt;
  return "--" + std::string(shown) + " is a flag of " + CommandNames(*owners) + ", not of '" + command + "'";
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

std::string CommandWord(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") return i + 1 < argc ? argv[i + 1] : "";
    if (arg.size() < 2 || arg[0] != '-') return std::string(arg);
    const FlagWord w = SplitFlag(arg);
    if (w.has_value) continue;
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(w.name);
    if (flag && !flag->IsOfType<bool>()) ++i;  // `--flag value`
  }
  return "";
}

int PrecheckFlags(int argc, char** argv) {
  const std::string command = CommandWord(argc, argv);
  const std::string command_help = "vfiosim " + command + " --help";
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") break;  // the rest are positional
    if (arg.size() < 2 || arg[0] != '-') continue;  // positional (or "-")
    const FlagWord w = SplitFlag(arg);
    const absl::string_view name = w.name;
    absl::string_view value = w.value;
    const bool has_value = w.has_value;
    if (name.empty()) return Bad("bad flag '" + std::string(argv[i]) + "'");
    if (UsageFlag(name)) continue;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (!flag && !has_value && name.size() > 2 && name.substr(0, 2) == "no") {
      absl::CommandLineFlag* neg = absl::FindCommandLineFlag(name.substr(2));
      if (neg && neg->IsOfType<bool>()) {  // --noprogress
        if (auto msg = Foreign(std::string_view(w.name).substr(2), w.name, command)) return Bad(*msg, command_help);
        continue;
      }
    }
    if (!flag) return Bad("unknown flag '--" + std::string(name) + "'");
    if (auto msg = Foreign(w.name, w.name, command)) return Bad(*msg, command_help);
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
