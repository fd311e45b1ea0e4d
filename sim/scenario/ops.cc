#include "sim/scenario/ops.h"

#include <array>
#include <utility>

namespace vfiosim::scn {
namespace {

constexpr uint32_t kProc = KindBit(HandleKind::kProcess);
constexpr uint32_t kFdBit = KindBit(HandleKind::kFd);
constexpr uint32_t kBufBit = KindBit(HandleKind::kBuf);
constexpr uint32_t kAttBit = KindBit(HandleKind::kAtt);
constexpr uint32_t kIovaBit = KindBit(HandleKind::kIova);

constexpr ArgSpec Proc{ArgType::kHandle, kProc, "a process"};
constexpr ArgSpec Fd{ArgType::kHandle, kFdBit, "a device fd"};
constexpr ArgSpec Buf{ArgType::kHandle, kBufBit, "a dma-buf fd"};
constexpr ArgSpec FdOrBuf{ArgType::kHandle, kFdBit | kBufBit, "a device fd or dma-buf fd"};
constexpr ArgSpec Att{ArgType::kHandle, kAttBit, "an attachment"};
constexpr ArgSpec Iova{ArgType::kHandle, kIovaBit, "an IOVA mapping"};
constexpr ArgSpec Addr{ArgType::kAddr, KindBit(HandleKind::kAddr), "an address"};
constexpr ArgSpec ValueArg{ArgType::kNumber, 0, "a number", "<value>"};
constexpr ArgSpec OffsetArg{ArgType::kNumber, 0, "a number", "<offset>"};
constexpr ArgSpec Dev{ArgType::kDevice, 0, "a device"};

// Indexed by OpKind.
constexpr std::array<OpSpec, kNumOpKinds> kSpecs = {{
    {OpKind::kProcess, "process", HandleKind::kProcess, 0, {}, OpWord::kNone, kOptNofile, 0},
    {OpKind::kOpen, "open", HandleKind::kFd, 1, {Dev}, OpWord::kIn, 0, 0},
    {OpKind::kMmap, "mmap", HandleKind::kAddr,
     2,
     {Proc, FdOrBuf},
     OpWord::kNone,
     kOptBar | kOptOffset | kOptLen | kOptProt | kOptAt,
     0},
    {OpKind::kMunmap, "munmap", HandleKind::kValue, 2, {Proc, Addr}, OpWord::kNone, kOptLen, 0},
    {OpKind::kRead, "read", HandleKind::kValue, 2, {Proc, Addr}, OpWord::kNone, 0, 0},
    {OpKind::kWrite, "write", HandleKind::kValue, 3, {Proc, Addr, ValueArg}, OpWord::kNone, 0, 0},
    {OpKind::kTouch, "touch", HandleKind::kValue, 2, {Proc, Addr}, OpWord::kNone, kOptLen, kOptLen},
    {OpKind::kCommand, "command", HandleKind::kValue, 1, {Fd}, OpWord::kNone, kOptMem, kOptMem},
    {OpKind::kReset, "reset", HandleKind::kValue, 1, {Fd}, OpWord::kNone, 0, 0},
    {OpKind::kPower, "power", HandleKind::kValue, 1, {Fd}, OpWord::kPower, 0, 0},
    {OpKind::kInfo, "info", HandleKind::kValue, 1, {Fd}, OpWord::kNone, kOptBar, kOptBar},
    {OpKind::kExport, "export", HandleKind::kBuf, 1, {Fd}, OpWord::kNone, kOptBar | kOptRanges, kOptBar},
    {OpKind::kAttach, "attach", HandleKind::kAtt, 1, {Buf}, OpWord::kAttachMode, 0, 0},
    {OpKind::kMap, "map", HandleKind::kValue, 1, {Att}, OpWord::kNone, 0, 0},
    {OpKind::kUnmap, "unmap", HandleKind::kValue, 1, {Att}, OpWord::kNone, 0, 0},
    {OpKind::kDma, "dma", HandleKind::kValue, 2, {Att, OffsetArg}, OpWord::kNone, 0, 0},
    {OpKind::kDetach, "detach", HandleKind::kValue, 1, {Att}, OpWord::kNone, 0, 0},
    {OpKind::kRevoke, "revoke", HandleKind::kValue, 2, {Fd, Buf}, OpWord::kNone, 0, 0},
    {OpKind::kFork, "fork", HandleKind::kProcess, 1, {Proc}, OpWord::kNone, 0, 0},
    {OpKind::kClose, "close", HandleKind::kValue, 1, {FdOrBuf}, OpWord::kNone, 0, 0},
    {OpKind::kExit, "exit", HandleKind::kValue, 1, {Proc}, OpWord::kNone, 0, 0},
    {OpKind::kIommuMap, "iommu-map", HandleKind::kIova, 2, {Proc, Addr}, OpWord::kNone, kOptLen | kOptProt, kOptLen},
    {OpKind::kIommufdMap, "iommufd-map", HandleKind::kIova, 1, {Buf}, OpWord::kNone, 0, 0},
    {OpKind::kP2p, "p2p", HandleKind::kValue, 2, {Iova, OffsetArg}, OpWord::kNone, 0, 0},
    {OpKind::kPmcsr, "pmcsr", HandleKind::kValue, 1, {Fd}, OpWord::kPower, 0, 0},
    {OpKind::kIommufdUnmap, "iommufd-unmap", HandleKind::kValue, 1, {Iova}, OpWord::kNone, 0, 0},
    {OpKind::kPread, "pread", HandleKind::kValue, 3, {Proc, Addr, Fd}, OpWord::kNone, kOptBar | kOptOffset, kOptBar},
}};

}  // namespace

std::string_view OptName(OptBit bit) {
  switch (bit) {
    case kOptBar:
      return "bar";
    case kOptOffset:
      return "offset";
    case kOptLen:
      return "len";
    case kOptProt:
      return "prot";
    case kOptAt:
      return "at";
    case kOptMem:
      return "mem";
    case kOptRanges:
      return "ranges";
    case kOptNofile:
      return "nofile";
  }
  return "?";
}

// Row i is OpKind i.
constexpr bool RowsInOrder() {
  for (int i = 0; i < kNumOpKinds; ++i)
    if (static_cast<int>(kSpecs[static_cast<size_t>(i)].op) != i) return false;
  return true;
}
static_assert(RowsInOrder(), "kSpecs is indexed by OpKind: one row per op, in OpKind order");

const OpSpec& GetOpSpec(OpKind op) { return kSpecs[static_cast<size_t>(op)]; }

namespace {

std::string ArgPlaceholder(const ArgSpec& a) {
  switch (a.type) {
    case ArgType::kDevice: return "<device>";
    case ArgType::kAddr: return "<addr>";
    case ArgType::kNumber: return std::string(a.placeholder);
    case ArgType::kHandle: break;
  }
  std::string out;
  const std::pair<HandleKind, const char*> names[] = {{HandleKind::kProcess, "proc"}, {HandleKind::kFd, "fd"},
                                                      {HandleKind::kBuf, "buf"},      {HandleKind::kAtt, "att"},
                                                      {HandleKind::kIova, "iova"}};
  for (const auto& [k, n] : names)
    if (a.kinds & KindBit(k)) out += (out.empty() ? "" : "|") + std::string(n);
  return "<" + out + ">";
}

const char* OptValue(OptBit bit) {
  switch (bit) {
    case kOptProt: return "r|rw";
    case kOptAt: return "<addr>";
    case kOptMem: return "0|1";
    case kOptRanges: return "<off>+<len>,...";
    default: return "<n>";
  }
}

}  // namespace

std::string OpSyntax(OpKind op) {
  const OpSpec& s = GetOpSpec(op);
  std::string out(OpName(op));
  for (int i = 0; i < s.num_args; ++i) out += " " + ArgPlaceholder(s.args[i]);
  switch (s.word) {
    case OpWord::kNone: break;
    case OpWord::kIn: out += " [in <proc>]"; break;
    case OpWord::kAttachMode: out += " dynamic|pinned"; break;
    case OpWord::kPower: out += " d3|d0"; break;
  }
  for (int b = 0; b < kNumOpts; ++b) {
    const OptBit bit = static_cast<OptBit>(1u << b);
    if (!(s.allowed & bit)) continue;
    const std::string kv = std::string(OptName(bit)) + "=" + OptValue(bit);
    out += (s.required & bit) ? " " + kv : " [" + kv + "]";
  }
  return out;
}

}  // namespace vfiosim::scn
