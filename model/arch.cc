#include "model/arch.h"

namespace vfiosim {

std::string_view ArchName(Arch a) {
  switch (a) {
    case Arch::kX86_64: return "x86_64";
    case Arch::kArm64: return "arm64";
    case Arch::kI386: return "i386";
  }
  return "?";
}

std::optional<Arch> ParseArch(std::string_view s) {
  if (s == "x86_64") return Arch::kX86_64;
  if (s == "arm64") return Arch::kArm64;
  if (s == "i386") return Arch::kI386;
  return std::nullopt;
}

std::string_view VariantName(Variant v) { return v == Variant::kLegacy ? "legacy" : "dmabuf"; }

std::optional<Variant> ParseVariant(std::string_view s) {
  if (s == "legacy") return Variant::kLegacy;
  if (s == "dmabuf") return Variant::kDmabuf;
  return std::nullopt;
}

}  // namespace vfiosim
