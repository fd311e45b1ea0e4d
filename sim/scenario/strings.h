// String helpers for the scenario code. This Abseil build's absl::string_view is
// not std::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), so absl::StrCat and
// heterogeneous flat_hash_map lookups do not take std::string_view; Cat() does.
#pragma once

#include <concepts>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace vfiosim::scn {

inline absl::string_view AbslView(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

namespace cat_internal {
inline void Append(std::string* out, std::string_view s) { out->append(s); }
inline void Append(std::string* out, char c) { out->push_back(c); }
template <std::integral T>
requires(!std::same_as<T, char> && !std::same_as<T, bool>) void Append(std::string* out, T v) {
  out->append(std::to_string(v));
}
}  // namespace cat_internal

// Concatenates strings, string_views, C strings, chars and integers.
template <typename... Args>
std::string Cat(const Args&... args) {
  std::string s;
  (cat_internal::Append(&s, args), ...);
  return s;
}
template <typename... Args>
void CatTo(std::string* out, const Args&... args) {
  (cat_internal::Append(out, args), ...);
}

}  // namespace vfiosim::scn
