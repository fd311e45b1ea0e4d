// Whether this test binary is a sanitizer build (tests/sanitizers.sh,
// tests/tsan.sh). There a schedule costs 10 to 50 times what it costs in the
// release build, so the heavy tests keep their shape but run small; the ctest
// stage runs them at full size.
#pragma once

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif
