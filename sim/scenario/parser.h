// The scenario language's parser (spec: /work/shared/spec/scenario-language.md).
//
// Recursive descent over the lazy, line-oriented Lexer, producing the AST of
// ast.h. Syntax errors are collected into a Diagnostics (several per file: after a
// bad statement the parser goes on with the next line), each as
// `file:line:col: error: message`.
//
//   Diagnostics diags;
//   absl::StatusOr<Scenario> s = LoadScenarioFile("fault-vs-revoke.scn", &diags);
//   if (!s.ok()) { std::cerr << diags.ToString(); return 2; }
//
// ParseScenario* only parse; LoadScenario* parse and then run ValidateScenario
// (validator.h). Every function returns the Scenario when the file has no error,
// and otherwise an InvalidArgument status (NotFound for a missing file) whose
// message is this file's diagnostics, one per line; the same diagnostics are also
// appended to `*diags` when it is not null.
//
// Kconfig symbols are only checked for their shape ([A-Z0-9_]+) here: whether a
// symbol exists is for the Kconfig model to say.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "sim/scenario/ast.h"
#include "sim/scenario/diag.h"

namespace vfiosim::scn {

// Limits that keep hostile input cheap.
inline constexpr int kMaxCondDepth = 256;  // nesting of ( ) and !, and operator depth

absl::StatusOr<Scenario> ParseScenario(std::string_view text, std::string_view filename,
                                       Diagnostics* diags = nullptr);
absl::StatusOr<Scenario> ParseScenarioFile(const std::string& path, Diagnostics* diags = nullptr);

// Parse + ValidateScenario.
absl::StatusOr<Scenario> LoadScenario(std::string_view text, std::string_view filename,
                                      Diagnostics* diags = nullptr);
absl::StatusOr<Scenario> LoadScenarioFile(const std::string& path, Diagnostics* diags = nullptr);

}  // namespace vfiosim::scn
