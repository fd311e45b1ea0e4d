#include "sim/scenario/suggest.h"

#include <algorithm>

#include "sim/scenario/strings.h"

namespace vfiosim::scn {
namespace {

// Levenshtein distance, giving up (returning limit + 1) once it exceeds `limit`.
size_t EditDistance(std::string_view a, std::string_view b, size_t limit) {
  size_t diff = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (diff > limit) return limit + 1;
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    size_t best = row[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      size_t sub = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({up + 1, row[j - 1] + 1, sub});
      diag = up;
      best = std::min(best, row[j]);
    }
    if (best > limit) return limit + 1;
  }
  return row[b.size()];
}

}  // namespace

std::string_view ClosestName(std::string_view word,
                             const std::vector<std::string_view>& candidates) {
  size_t limit = std::max<size_t>(1, word.size() / 3);
  std::string_view best;
  size_t best_d = limit + 1;
  for (std::string_view c : candidates) {
    if (c == word) continue;
    size_t d = EditDistance(word, c, limit);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

std::string DidYouMean(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string_view c = ClosestName(word, candidates);
  if (c.empty()) return "";
  return Cat(" (did you mean '", c, "'?)");
}

}  // namespace vfiosim::scn
