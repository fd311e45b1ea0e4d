// Levenshtein distance, for the "did you mean" of misspelt names: the scenario
// language's (sim/scenario/suggest.h) and Kconfig symbols' (model/kconfig).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

namespace vfiosim {

// The edit distance of a and b when it is at most `limit`; otherwise limit + 1
// (computed only as far as needed to know that).
inline size_t EditDistance(std::string_view a, std::string_view b, size_t limit) {
  const size_t diff = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (diff > limit) return limit + 1;
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    size_t best = row[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({up + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
      best = std::min(best, row[j]);
    }
    if (best > limit) return limit + 1;  // each row's minimum only grows
  }
  return std::min(row[b.size()], limit + 1);
}

}  // namespace vfiosim
