// The scenario language's abstract syntax tree (docs/scenario-language.md,
// version 1). The parser builds it, the validator checks it, the builder turns it
// into simulated threads over a Machine. Plain value types; every node keeps the
// source location of its first token for `file:line:col: error:` diagnostics.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/arch.h"

namespace vfiosim::scn {

struct SourceLoc {
  int line = 0;  // 1-based
  int col = 0;   // 1-based, in bytes
};

// Every op of the spec's table, in table order.
enum class OpKind {
  kProcess,     // process
  kOpen,        // open <device> [in <proc>]
  kMmap,        // mmap <proc> <fd|buf> [bar=] [offset=] [len=] [prot=] [at=]
  kMunmap,      // munmap <proc> <addr> [len=]
  kRead,        // read <proc> <addr>
  kWrite,       // write <proc> <addr> <value>
  kTouch,       // touch <proc> <addr> len=<n>
  kCommand,     // command <fd> mem=0|1
  kReset,       // reset <fd>
  kPower,       // power <fd> d3|d0
  kInfo,        // info <fd> bar=<n>
  kExport,      // export <fd> bar=<n> [ranges=<off>+<len>,...]
  kAttach,      // attach <buf> dynamic|pinned
  kMap,         // map <att>
  kUnmap,       // unmap <att>
  kDma,         // dma <att> <offset>
  kDetach,      // detach <att>
  kRevoke,      // revoke <fd> <buf>
  kFork,        // fork <proc>
  kClose,       // close <fd-or-buf>
  kExit,        // exit <proc>
  kIommuMap,    // iommu-map <proc> <addr> len=<n>
  kIommufdMap,  // iommufd-map <buf>
  kP2p,         // p2p <iova> <offset>
  kPmcsr,       // pmcsr <fd> d3|d0 (extension: a PMCSR config-space write)
  kIommufdUnmap,  // iommufd-unmap <iova> (extension: IOMMU_IOAS_UNMAP of an iommufd-map area)
  kPread,         // pread <proc> <addr> <fd> bar=<n> [offset=<n>] (extension: read() of a BAR region)
};
inline constexpr int kNumOpKinds = static_cast<int>(OpKind::kPread) + 1;

// The kind of value a variable holds, as far as the validator can tell statically.
enum class HandleKind {
  kValue,    // integer / ok / errno / signal result (not a handle)
  kProcess,  // from `process` or `fork`
  kFd,       // device fd from `open`
  kBuf,      // dma-buf fd from `export`
  kAddr,     // user virtual address from `mmap`
  kAtt,      // dma-buf attachment from `attach`
  kIova,     // IOVA mapping from `iommu-map` / `iommufd-map`
};

// A positional operand: a name (`p`, `fd`), an address expression (`va+2M`,
// `va-0x1000`, `0x1000`), or a plain number. For an address expression with a base
// name, `name` is the base and `offset` the signed displacement; a bare number has
// an empty `name` and `offset` = the number.
struct Operand {
  SourceLoc loc;
  std::string name;     // empty for a bare number
  int64_t offset = 0;   // displacement (address expr) or the number itself
  uint64_t number = 0;  // for a bare number: its unsigned value (same bits as offset)
  bool is_number() const { return name.empty(); }
};

enum class Prot { kRead, kReadWrite };
enum class AttachMode { kDynamic, kPinned };
enum class PowerTarget { kD3, kD0 };

struct ExportRange {
  uint64_t offset = 0;
  uint64_t len = 0;
  SourceLoc loc;
};

// One statement: `[<bind> =] <op> <operands> [key=value ...]`.
struct Stmt {
  SourceLoc loc;          // of the op keyword
  std::string bind;       // empty when the result is not bound
  SourceLoc bind_loc;
  OpKind op = OpKind::kProcess;
  std::vector<Operand> args;  // positional operands in the order the spec lists them

  // `open <device> [in <proc>]`: args[0] names the device; `in` is optional.
  std::optional<Operand> in_proc;
  // key=value options; each keeps its location for diagnostics.
  std::optional<uint64_t> bar;     SourceLoc bar_loc;
  std::optional<uint64_t> offset;  SourceLoc offset_loc;
  std::optional<uint64_t> len;     SourceLoc len_loc;
  std::optional<uint64_t> mem;     SourceLoc mem_loc;  // command mem=0|1
  std::optional<uint64_t> nofile;  SourceLoc nofile_loc;  // process nofile=<n>
  std::optional<Prot> prot;
  std::optional<Operand> at;       // mmap at=<addr>
  std::vector<ExportRange> ranges;  // export ranges=...
  std::optional<AttachMode> attach_mode;
  std::optional<PowerTarget> power;
  // The statement as written (blanks collapsed, no comment), for traces; empty
  // for a statement built in code (PrintStmt() then spells it).
  std::string text;
};

// `bar <0-5> size=<size> [mem64] [prefetch] [io] [addr=<n>]`
struct BarDecl {
  SourceLoc loc;
  int index = 0;
  uint64_t size = 0;
  bool mem64 = false;
  bool prefetch = false;
  bool io = false;
  std::optional<uint64_t> addr;
  SourceLoc addr_loc;
};

// `device <name> [bdf=<dddd:bb:dd.f>] [noreset] [vf] ... end`
struct DeviceDecl {
  SourceLoc loc;
  std::string name;
  std::string bdf;  // empty: assigned by the simulator
  bool noreset = false;
  bool vf = false;  // extension: `vf`, an SR-IOV VF (no_command_memory)
  std::vector<BarDecl> bars;
};

struct ThreadDecl {
  SourceLoc loc;
  std::string name;
  std::vector<Stmt> stmts;
};

// ---- expectations ----

// A value in a condition: a number (size suffixes allowed), `ok`, an errno or
// signal name, `mmap` or `nommap`.
struct CondValue {
  enum class Kind { kNumber, kOk, kErrno, kSignal, kMmap, kNommap };
  Kind kind = Kind::kNumber;
  uint64_t number = 0;
  std::string name;  // errno / signal name (e.g. "EIO", "SIGBUS")
  SourceLoc loc;
};

// `<var>`, `<thread>.<var>`, or `pagesize(<proc>, <addr>)`.
struct CondRef {
  enum class Kind { kVar, kThreadVar, kPagesize };
  Kind kind = Kind::kVar;
  std::string thread;  // kThreadVar
  std::string var;     // kVar / kThreadVar
  Operand proc;        // kPagesize
  Operand addr;        // kPagesize
  SourceLoc loc;
};

struct Cond {
  enum class Kind {
    kEq,       // ref == value
    kNe,       // ref != value
    kIn,       // ref in {values}
    kMapped,   // mapped(proc, addr)
    kRevoked,  // revoked(buf)
    kAnd,
    kOr,
    kNot,
  };
  Kind kind = Kind::kEq;
  SourceLoc loc;
  CondRef ref;                   // kEq / kNe / kIn
  std::vector<CondValue> values;  // kEq / kNe: one; kIn: the set
  Operand proc, addr;            // kMapped
  Operand buf;                   // kRevoked
  std::unique_ptr<Cond> lhs, rhs;  // kAnd / kOr (both), kNot (lhs)
};

struct Expectation {
  enum class Kind { kClean, kViolation, kNever, kSometimes, kAlways };
  Kind kind = Kind::kClean;
  SourceLoc loc;          // of `expect`; the verdict's `reason=expect:<line>`
  std::string invariant;  // kViolation
  SourceLoc invariant_loc;
  std::unique_ptr<Cond> cond;  // kNever / kSometimes / kAlways
};

struct KconfigSetting {
  std::string symbol;
  bool value = false;
  SourceLoc loc;
};

struct NamedLoc {
  std::string name;
  SourceLoc loc;
};

struct Scenario {
  std::string file;  // path as given, for diagnostics
  std::string name;
  SourceLoc name_loc;
  std::string title;
  Arch arch = Arch::kX86_64;
  bool arch_given = false;
  Variant variant = Variant::kDmabuf;
  bool variant_given = false;
  std::vector<KconfigSetting> kconfig;
  std::vector<NamedLoc> bugs;
  std::vector<NamedLoc> fixes;  // extension: `fix <name>` (see docs/scenario-language.md)
  std::vector<DeviceDecl> devices;
  bool has_setup = false;
  std::vector<Stmt> setup;
  std::vector<ThreadDecl> threads;
  bool has_finally = false;
  std::vector<Stmt> finally;
  std::vector<Expectation> expectations;
};

std::string_view OpName(OpKind op);
std::optional<OpKind> ParseOpName(std::string_view s);
// What an op's result is when bound to a name.
HandleKind ResultKind(OpKind op);
std::string_view HandleKindName(HandleKind k);

}  // namespace vfiosim::scn

// ---- helpers added with the parser (sim/scenario/ast.cc) ----
#include <string_view>

namespace vfiosim::scn {

// Inside expectations, the operands of `mapped(...)`, `revoked(...)` and
// `pagesize(...)` may name a thread's variable as `<thread>.<var>` (e.g.
// `mapped(child.q, va)` for a process forked in thread `child`); such an
// Operand's `name` holds the dotted text "child.q". Statement operands never do.
struct QualifiedName {
  std::string_view thread;  // empty for a plain (setup / finally) variable
  std::string_view var;
};
QualifiedName SplitQualifiedName(std::string_view name);

}  // namespace vfiosim::scn
