// Help text for vfiosim's flags, grouped by the command that reads them, in
// vfiosim's own words: no "Flags from <source file>" headers (absl's usage
// output names the source files, which users do not have).
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace vfiosim::cli {

// Which command takes which flag: sim/cli/flag_table.h.

// `vfiosim --help`: the usage text, then the options of run, diff and kconfig.
void PrintHelp(std::ostream& os, const std::string& usage);
// `vfiosim stress --help`: stress's own flags and the run flags it reads.
void PrintStressHelp(std::ostream& os);
// `vfiosim --helpfull`: the usage text, then each command with every flag it takes.
void PrintFullHelp(std::ostream& os, const std::string& usage);
// `--help=SUBSTRING`: every flag whose name or description contains it (or
// "No flags matched"). Returns the number printed.
int PrintMatchingFlags(std::ostream& os, const std::string& substring);

}  // namespace vfiosim::cli
