// sim::TraceNote: a line of explanation in the trace of the running thread
// (why a fault returned SIGBUS, which page-table order it tried). Free when no
// trace is being recorded: callers test Tracing() before building the text.
#pragma once

#include <string>

#include "sim/core/driver.h"
#include "sim/core/thread.h"

namespace vfiosim::sim {

inline bool Tracing() {
  const Thread* t = Thread::current;
  return t && t->driver() && t->driver()->tracing();
}

inline void TraceNote(std::string text) {
  if (Tracing()) Thread::current->driver()->Note(std::move(text));
}

}  // namespace vfiosim::sim
