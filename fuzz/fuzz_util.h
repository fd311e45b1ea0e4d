// Helpers shared by the libFuzzer targets of fuzz/ (see fuzz/README.md).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace vfiosim::fuzz {

// A property the target checks does not hold: print it and abort, so libFuzzer
// saves the input as a crash.
[[noreturn]] inline void Fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "\n*** vfiosim fuzz property violated: %.*s\n%.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::fflush(stderr);
  std::abort();
}

#define VFIOSIM_FUZZ_CHECK(cond, detail)                                             \
  do {                                                                               \
    if (!(cond)) ::vfiosim::fuzz::Fail(#cond, (detail));                             \
  } while (0)

// Whether `line` is `<file>:<line>:<col>: error: <message>` (or the file-level
// `<file>: error: <message>`) with 1 <= line <= max_line and col >= 1.
inline bool WellFormedDiagnostic(std::string_view d, std::string_view file, long max_line) {
  if (d.substr(0, file.size()) != file) return false;
  d.remove_prefix(file.size());
  if (d.substr(0, 9) == ": error: ") return d.size() > 9;
  auto number = [&](long* out) {
    if (d.empty() || d[0] != ':') return false;
    d.remove_prefix(1);
    long v = 0;
    size_t i = 0;
    for (; i < d.size() && d[i] >= '0' && d[i] <= '9' && i < 12; ++i) v = v * 10 + (d[i] - '0');
    if (i == 0) return false;
    d.remove_prefix(i);
    *out = v;
    return true;
  };
  long line = 0, col = 0;
  if (!number(&line) || !number(&col)) return false;
  if (line < 1 || line > max_line || col < 1) return false;
  return d.substr(0, 9) == ": error: " && d.size() > 9;
}

}  // namespace vfiosim::fuzz
