// VFIOSIM_CHECK(cond, format, args...): an invariant of the simulator itself.
// When cond is false the process prints
//   vfiosim: internal error: <message> (<file>:<line>: <cond>)
// on stderr and aborts. A failed check is a simulator bug, never a user error:
// what a user can cause is an absl::Status with a message to act on.
#pragma once

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace vfiosim::check_internal {

[[noreturn]] __attribute__((format(printf, 4, 5))) inline void Fail(const char* file, int line, const char* cond,
                                                                     const char* format, ...) {
  std::fputs("vfiosim: internal error: ", stderr);
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fprintf(stderr, " (%s:%d: %s)\n", file, line, cond);
  std::abort();
}

}  // namespace vfiosim::check_internal

#define VFIOSIM_CHECK(cond, ...)                                                          \
  do {                                                                                    \
    if (!(cond)) [[unlikely]]                                                             \
      ::vfiosim::check_internal::Fail(__FILE__, __LINE__, #cond, __VA_ARGS__);            \
  } while (0)
