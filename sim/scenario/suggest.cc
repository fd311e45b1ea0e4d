#include "sim/scenario/suggest.h"

#include <algorithm>

#include "sim/core/edit_distance.h"
#include "sim/scenario/strings.h"

namespace vfiosim::scn {

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
