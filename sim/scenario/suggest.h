// "did you mean" suggestions for misspelt names (ops, bugs, invariants, variables).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vfiosim::scn {

// The candidate closest to `word` by edit distance, if it is close enough to be a
// plausible typo (distance <= max(1, |word| / 3)); empty otherwise.
std::string_view ClosestName(std::string_view word,
                             const std::vector<std::string_view>& candidates);

// " (did you mean 'x'?)" or "".
std::string DidYouMean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace vfiosim::scn
