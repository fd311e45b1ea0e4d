#include "model/value.h"

#include "absl/strings/str_format.h"

namespace vfiosim {

std::string_view SignalName(int s) {
  for (const auto& [n, name] : kSignalNames)
    if (n == s) return name;
  return "SIG?";
}

std::optional<int> ParseSignal(std::string_view s) {
  for (const auto& [n, name] : kSignalNames)
    if (name == s) return n;
  return std::nullopt;
}

std::string Value::ToString() const {
  switch (kind) {
    case Kind::kInt: return v < 4096 ? absl::StrFormat("%d", v) : absl::StrFormat("0x%x", v);
    case Kind::kOk: return "ok";
    case Kind::kErrno: return std::string(ErrnoName(static_cast<int>(v)));
    case Kind::kSignal: return std::string(SignalName(static_cast<int>(v)));
    case Kind::kMmap: return "mmap";
    case Kind::kNommap: return "nommap";
    case Kind::kHandle: return absl::StrFormat("#%d", v);
  }
  return "?";
}

}  // namespace vfiosim
