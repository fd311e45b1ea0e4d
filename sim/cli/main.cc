// vfiosim: the command-line tool. See `vfiosim --help` and docs/scenario-language.md.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "sim/cli/commands.h"

int main(int argc, char** argv) { return vfiosim::cli::Main(argc, argv); }
