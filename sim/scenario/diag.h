// Scenario errors: `<file>:<line>:<col>: error: <message>` (spec, "Running").
//
// The lexer, parser and validator report every error they find into one
// Diagnostics collector instead of stopping at the first, so that a user sees all
// the mistakes of a file at once. Each file is capped at kMaxErrorsPerFile errors;
// past that one last "too many errors" diagnostic is recorded and `full()` tells the
// producers to stop.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "sim/scenario/ast.h"

namespace vfiosim::scn {

struct Diagnostic {
  std::string file;
  SourceLoc loc;  // line 0: the error is about the file as a whole (e.g. unreadable)
  std::string message;

  // `file:line:col: error: message`, or `file: error: message` when loc.line == 0.
  std::string ToString() const;
};

class Diagnostics {
 public:
  static constexpr int kMaxErrorsPerFile = 20;

  Diagnostics() = default;

  // Records an error. Past kMaxErrorsPerFile errors for `file`, records a single
  // "too many errors" diagnostic and drops the rest.
  void Error(std::string_view file, SourceLoc loc, std::string message);
  // Adds every diagnostic of `other` (already capped there) to this collector.
  void Append(const Diagnostics& other);

  bool has_errors() const { return !diags_.empty(); }
  // True once `file` went past the cap: producers should stop reporting.
  bool full(std::string_view file) const;
  // Errors reported for `file`, including the ones dropped past the cap.
  int error_count(std::string_view file) const;
  const std::vector<Diagnostic>& diagnostics() const { return diags_; }

  // Every diagnostic, one per line, each line ending in '\n'.
  std::string ToString() const;
  // OkStatus without errors, else InvalidArgument whose message is ToString()
  // without the final newline.
  absl::Status ToStatus() const;

 private:
  std::vector<Diagnostic> diags_;
  absl::flat_hash_map<std::string, int> per_file_;
};

}  // namespace vfiosim::scn
