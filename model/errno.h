// The errnos of the scenario language, with Linux's numbers
// (include/uapi/asm-generic/errno-base.h, errno.h): the one place that names
// them. Model functions return them negated, as the kernel does; ops turn them
// into Values (model/value.h); the scenario parser accepts exactly these names.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace vfiosim {

enum Errno : int {
  kEPERM = 1,
  kENOENT = 2,  // extension: iommufd-unmap of an unmapped area
  kEIO = 5,
  kEBADF = 9,
  kEAGAIN = 11,
  kENOMEM = 12,
  kEFAULT = 14,
  kEBUSY = 16,
  kENODEV = 19,
  kEINVAL = 22,
  kEMFILE = 24,
  kENOTTY = 25,
  kEOVERFLOW = 75,
  kEBADFD = 77,  // spec 1.1
  kEOPNOTSUPP = 95,
};

// Every errno with its name, in the spec's order (the parser lists them so).
inline constexpr std::array<std::pair<Errno, std::string_view>, 15> kErrnoNames = {{
    {kEINVAL, "EINVAL"}, {kENODEV, "ENODEV"}, {kEPERM, "EPERM"}, {kEBUSY, "EBUSY"},
    {kENOTTY, "ENOTTY"}, {kEIO, "EIO"}, {kENOMEM, "ENOMEM"}, {kEFAULT, "EFAULT"},
    {kEAGAIN, "EAGAIN"}, {kEOPNOTSUPP, "EOPNOTSUPP"}, {kEOVERFLOW, "EOVERFLOW"}, {kEBADF, "EBADF"},
    {kEMFILE, "EMFILE"}, {kEBADFD, "EBADFD"}, {kENOENT, "ENOENT"},
}};

// "EINVAL" for 22; "E?" for a number that is not one of them.
inline std::string_view ErrnoName(int e) {
  for (const auto& [n, name] : kErrnoNames)
    if (n == e) return name;
  return "E?";
}

inline std::optional<int> ParseErrno(std::string_view s) {
  for (const auto& [n, name] : kErrnoNames)
    if (name == s) return n;
  return std::nullopt;
}

}  // namespace vfiosim
