// Which subcommand takes which flag: the one table that both the flag check
// (sim/cli/flag_precheck.cc: a flag of another subcommand is bad usage) and
// the help (sim/cli/help.cc: each subcommand's options) read.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace vfiosim::cli {

// The subcommands that take flags, as bits of a set (check, list and merge take none).
enum CommandBit : unsigned { kRun = 1, kDiff = 2, kStress = 4, kKconfig = 8, kGen = 16 };

struct FlagOwners {
  std::string_view flag;  // the absl name ('_', not '-')
  unsigned commands;      // CommandBits
};

// Every vfiosim flag, with the subcommands that read it.
std::span<const FlagOwners> FlagTable();
// The subcommands that take `flag`; nullopt for a flag not in the table (absl's own).
std::optional<unsigned> FlagCommands(std::string_view flag);
// The bit of a subcommand (0 for check, list and merge); nullopt for any other
// word (help, an unknown command): its flags are not checked here.
std::optional<unsigned> CommandOf(std::string_view command);
// "run" for kRun, and so on.
std::string_view CommandName(CommandBit command);
// "'stress'", "'run' and 'diff'", "'run', 'stress' and 'gen'".
std::string CommandNames(unsigned commands);

}  // namespace vfiosim::cli
