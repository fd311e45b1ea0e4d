// Architectures and kernel variants vfiosim models, with their names as the
// scenario language spells them (`arch x86_64|arm64|i386`, `variant legacy|dmabuf`).
#pragma once

#include <optional>
#include <string_view>

namespace vfiosim {

enum class Arch { kX86_64, kArm64, kI386 };

// legacy: mainline before "vfio/pci: convert BAR mmap to a DMABUF";
// dmabuf: with that patch (every BAR mmap is backed by a dma-buf).
enum class Variant { kLegacy, kDmabuf };

std::string_view ArchName(Arch a);
std::optional<Arch> ParseArch(std::string_view s);
std::string_view VariantName(Variant v);
std::optional<Variant> ParseVariant(std::string_view s);

}  // namespace vfiosim
