// Canonical scenario text from an AST, and AST equality.
//
// PrintScenario(s) re-parses to a Scenario that AstEquals `s` (source locations
// and the file name aside). Canonical form: header (scenario, title, arch and
// variant when given, one kconfig / bug / fix per line), devices, setup, threads,
// finally, expectations; two-space indentation inside blocks; numbers with a K/M/G
// suffix when they are a multiple of 1K, decimal below 1K, hex otherwise; address
// displacements folded (`va+0x1000`); conditions with only the parentheses their
// shape needs. For `vfiosim fmt` and round-trip tests.
#pragma once

#include <cstdint>
#include <string>

#include "sim/scenario/ast.h"

namespace vfiosim::scn {

std::string PrintScenario(const Scenario& s);
std::string PrintStmt(const Stmt& st);
std::string PrintCond(const Cond& c);
std::string PrintOperand(const Operand& o);
// 0, 7, 4K, 2M, 1G, 0x1234.
std::string FormatNumber(uint64_t v);

// Structural equality ignoring SourceLocs and Scenario::file. On a difference,
// `*why` (when not null) says where.
bool AstEquals(const Scenario& a, const Scenario& b, std::string* why = nullptr);
bool AstEquals(const Cond& a, const Cond& b, std::string* why = nullptr);

}  // namespace vfiosim::scn
