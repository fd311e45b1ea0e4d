#include "sim/scenario/ast.h"

#include <array>

namespace vfiosim::scn {
namespace {

// Indexed by OpKind, in the spec table's order.
constexpr std::array<std::string_view, kNumOpKinds> kOpNames = {
    "process", "open",   "mmap", "munmap", "read",   "write",     "touch",       "command",
    "reset",   "power",  "info", "export", "attach", "map",       "unmap",       "dma",
    "detach",  "revoke", "fork", "close",  "exit",   "iommu-map", "iommufd-map", "p2p",
    "pmcsr",   "iommufd-unmap", "pread",
};

}  // namespace

std::string_view OpName(OpKind op) {
  int i = static_cast<int>(op);
  return i >= 0 && i < kNumOpKinds ? kOpNames[i] : "?";
}

std::optional<OpKind> ParseOpName(std::string_view s) {
  for (int i = 0; i < kNumOpKinds; ++i) {
    if (kOpNames[i] == s) return static_cast<OpKind>(i);
  }
  return std::nullopt;
}

HandleKind ResultKind(OpKind op) {
  switch (op) {
    case OpKind::kProcess:
    case OpKind::kFork:
      return HandleKind::kProcess;
    case OpKind::kOpen:
      return HandleKind::kFd;
    case OpKind::kExport:
      return HandleKind::kBuf;
    case OpKind::kMmap:
      return HandleKind::kAddr;
    case OpKind::kAttach:
      return HandleKind::kAtt;
    case OpKind::kIommuMap:
    case OpKind::kIommufdMap:
      return HandleKind::kIova;
    default:
      return HandleKind::kValue;
  }
}

std::string_view HandleKindName(HandleKind k) {
  switch (k) {
    case HandleKind::kValue:
      return "value";
    case HandleKind::kProcess:
      return "process";
    case HandleKind::kFd:
      return "device fd";
    case HandleKind::kBuf:
      return "dma-buf fd";
    case HandleKind::kAddr:
      return "address";
    case HandleKind::kAtt:
      return "attachment";
    case HandleKind::kIova:
      return "IOVA mapping";
  }
  return "?";
}

QualifiedName SplitQualifiedName(std::string_view name) {
  size_t dot = name.find('.');
  if (dot == std::string_view::npos) return QualifiedName{{}, name};
  return QualifiedName{name.substr(0, dot), name.substr(dot + 1)};
}

}  // namespace vfiosim::scn
