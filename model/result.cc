#include "model/result.h"

#include <array>
#include <utility>

#include "absl/strings/str_format.h"

namespace vfiosim {
namespace {
constexpr std::array<std::pair<int, std::string_view>, 15> kErrnos = {{
    {kEPERM, "EPERM"}, {kEIO, "EIO"}, {kEBADF, "EBADF"}, {kEAGAIN, "EAGAIN"},
    {kENOMEM, "ENOMEM"}, {kEFAULT, "EFAULT"}, {kEBUSY, "EBUSY"}, {kENODEV, "ENODEV"},
    {kEINVAL, "EINVAL"}, {kENOTTY, "ENOTTY"}, {kEOVERFLOW, "EOVERFLOW"},
    {kEOPNOTSUPP, "EOPNOTSUPP"}, {kEMFILE, "EMFILE"}, {kEBADFD, "EBADFD"}, {kENOENT, "ENOENT"},
}};
}  // namespace

std::string_view ErrnoName(int e) {
  for (const auto& [n, s] : kErrnos)
    if (n == e) return s;
  return "E?";
}
std::optional<int> ParseErrno(std::string_view s) {
  for (const auto& [n, name] : kErrnos)
    if (name == s) return n;
  return std::nullopt;
}
std::string_view SignalName(int s) { return s == kSIGBUS ? "SIGBUS" : s == kSIGSEGV ? "SIGSEGV" : "SIG?"; }
std::optional<int> ParseSignal(std::string_view s) {
  if (s == "SIGBUS") return kSIGBUS;
  if (s == "SIGSEGV") return kSIGSEGV;
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
