#include "sim/scenario/ast.h"

#include "sim/scenario/ops.h"

namespace vfiosim::scn {

// Names and result kinds are columns of the op table (ops.cc).

std::string_view OpName(OpKind op) {
  int i = static_cast<int>(op);
  return i >= 0 && i < kNumOpKinds ? GetOpSpec(op).name : "?";
}

std::optional<OpKind> ParseOpName(std::string_view s) {
  for (int i = 0; i < kNumOpKinds; ++i) {
    if (GetOpSpec(static_cast<OpKind>(i)).name == s) return static_cast<OpKind>(i);
  }
  return std::nullopt;
}

HandleKind ResultKind(OpKind op) { return GetOpSpec(op).result; }

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
