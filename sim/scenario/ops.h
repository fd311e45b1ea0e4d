// The shape of every op of the spec's table: its name, the kind of its result,
// its positional operands, its keyword operand (`in`, `dynamic|pinned`, `d3|d0`)
// and its key=value options. One table drives the parser (syntax), the validator
// (handle kinds), the printer and, through the operand kinds, sim/run's fd
// lookup; sim/run/execution.cc has the executor of each op, indexed by the same
// OpKind.
//
// Adding an op: its OpKind (ast.h), its row in ops.cc (name, result kind,
// operands, options), and its executor in sim/run/execution.cc (a small member
// function calling its Machine op, plus its row in the executor table; an
// operand typed as a device or dma-buf fd is fdget()'d by itself). Optionally
// teach sim/testing/scenario_gen.cc to draw it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sim/scenario/ast.h"

namespace vfiosim::scn {

enum class ArgType {
  kDevice,  // a declared device's name (`open gpu`)
  kHandle,  // a variable holding a handle of one of `kinds`
  kAddr,    // an address expression whose base, if any, is an address variable
  kNumber,  // a plain number (`dma att 0x100`, `write p va 0x1234`)
};

constexpr uint32_t KindBit(HandleKind k) { return 1u << static_cast<int>(k); }

struct ArgSpec {
  ArgType type = ArgType::kNumber;
  uint32_t kinds = 0;     // kHandle: accepted HandleKind bits
  std::string_view what;  // "a device fd or dma-buf fd", for messages
  std::string_view placeholder = "<n>";  // kNumber: as `vfiosim list ops` shows it
};

// An operand the syscall looks up in the fd table (fdget()): a device fd or a
// dma-buf fd.
constexpr bool IsFdArg(const ArgSpec& a) {
  constexpr uint32_t kFdKinds = KindBit(HandleKind::kFd) | KindBit(HandleKind::kBuf);
  return a.type == ArgType::kHandle && a.kinds != 0 && (a.kinds & ~kFdKinds) == 0;
}

// key=value options.
enum OptBit : uint32_t {
  kOptBar = 1u << 0,
  kOptOffset = 1u << 1,
  kOptLen = 1u << 2,
  kOptProt = 1u << 3,
  kOptAt = 1u << 4,
  kOptMem = 1u << 5,
  kOptRanges = 1u << 6,
  kOptNofile = 1u << 7,  // process nofile=<n> (RLIMIT_NOFILE)
};
inline constexpr int kNumOpts = 8;
std::string_view OptName(OptBit bit);  // "bar", "offset", ...

enum class OpWord {
  kNone,
  kIn,          // open <device> [in <proc>]
  kAttachMode,  // attach <buf> dynamic|pinned
  kPower,       // power <fd> d3|d0
};

struct OpSpec {
  OpKind op;
  std::string_view name;                   // "iommufd-map"
  HandleKind result = HandleKind::kValue;  // what a name bound to its result holds
  int num_args = 0;
  ArgSpec args[3];
  OpWord word = OpWord::kNone;
  uint32_t allowed = 0;   // OptBit set
  uint32_t required = 0;  // OptBit set
};

const OpSpec& GetOpSpec(OpKind op);
// The op's syntax from its OpSpec, as `vfiosim list ops` prints it:
// "mmap <proc> <fd|buf> [bar=<n>] [offset=<n>] [len=<n>] [prot=r|rw] [at=<addr>]".
std::string OpSyntax(OpKind op);

}  // namespace vfiosim::scn
