#include "sim/cli/flag_table.h"

#include <array>
#include <bit>

namespace vfiosim::cli {
namespace {

struct Command {
  std::string_view name;
  unsigned bit;
};

// In the order messages name them.
constexpr std::array<Command, 8> kCommands = {{
    {"run", kRun}, {"diff", kDiff}, {"stress", kStress}, {"kconfig", kKconfig}, {"gen", kGen},
    {"check", 0}, {"list", 0}, {"merge", 0},
}};

// diff explores with run's exploration and report flags (sim/cli/diff_command.cc;
// --explore only as exhaustive); it takes no kernel option (those of its two
// sides are in --a/--b), no --replay or --trace, and has no use for --seed,
// --pct_depth, --keep_going (always on) or --shrink.
constexpr unsigned kExplore = kRun | kDiff;

constexpr FlagOwners kTable[] = {
    // Defined in sim/cli/commands.cc: run's (ParseRunFlags), some read by others too.
    {"arch", kRun},
    {"bug", kRun | kStress},
    {"config", kRun | kKconfig},
    {"explore", kExplore},
    {"find_pfn", kExplore | kStress},
    {"fix", kRun | kKconfig},
    {"format", kExplore},
    {"jobs", kExplore},
    {"kconfig", kRun | kKconfig},
    {"keep_going", kRun},
    {"max_preemptions", kExplore},
    {"max_schedules", kExplore},
    {"max_steps", kExplore},
    {"outcomes_with_setup", kExplore},
    {"pct_depth", kRun},
    {"progress", kExplore},
    {"reduction", kExplore},
    {"replay", kRun},
    {"schedules", kExplore},
    {"seed", kRun | kStress | kGen},
    {"shard", kExplore},
    {"shrink", kRun},
    {"state_table", kExplore},
    {"timeout", kExplore},
    {"trace", kRun},
    {"variant", kRun | kStress | kKconfig},
    // sim/cli/diff_command.cc
    {"a", kDiff},
    {"b", kDiff},
    // sim/cli/kconfig_command.cc
    {"kconfig_arch", kKconfig},
    {"kconfig_format", kKconfig},
    {"matrix", kKconfig},
    // sim/cli/stress_command.cc
    {"stress_bar_size", kStress},
    {"stress_disabled_us", kStress},
    {"stress_duration", kStress},
    {"stress_format", kStress},
    {"stress_hang_seconds", kStress},
    {"stress_leaf", kStress},
    {"stress_mappings", kStress},
    {"stress_ops", kStress},
    {"stress_revoke", kStress},
    {"stress_revoke_gap_us", kStress},
    {"stress_revokers", kStress},
    {"stress_shared_mm", kStress},
    {"stress_threads", kStress},
};

}  // namespace

std::span<const FlagOwners> FlagTable() { return kTable; }

std::optional<unsigned> FlagCommands(std::string_view flag) {
  for (const FlagOwners& f : kTable)
    if (f.flag == flag) return f.commands;
  return std::nullopt;
}

std::optional<unsigned> CommandOf(std::string_view command) {
  for (const Command& c : kCommands)
    if (c.name == command) return c.bit;
  return std::nullopt;
}

std::string_view CommandName(CommandBit command) {
  for (const Command& c : kCommands)
    if (c.bit == command) return c.name;
  return "";
}

std::string CommandNames(unsigned commands) {
  std::string out;
  int left = std::popcount(commands);
  for (const Command& c : kCommands) {
    if (!(commands & c.bit)) continue;
    out += "'" + std::string(c.name) + "'";
    --left;
    out += left > 1 ? ", " : left == 1 ? " and " : "";
  }
  return out;
}

}  // namespace vfiosim::cli
