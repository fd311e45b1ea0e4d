// Program: a validated Scenario compiled for execution — the machine to build,
// each block's statements with their variables resolved to slots, and the
// expectations. Built once per run; every explored schedule executes it against a
// fresh Machine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "model/machine.h"
#include "sim/scenario/ast.h"

namespace vfiosim::sim {

// Where a variable lives: the global frame (setup and finally) or a thread's.
struct Slot {
  int thread = -1;  // -1: global
  int index = -1;
  bool valid() const { return index >= 0; }
};

// A resolved operand: a variable (+ displacement), a number, or a device.
struct CompiledOperand {
  enum class Kind { kNone, kVar, kNumber, kDevice };
  Kind kind = Kind::kNone;
  Slot slot;
  int64_t offset = 0;
  uint64_t number = 0;
  int device = -1;
};

struct CompiledStmt {
  const scn::Stmt* stmt = nullptr;
  Slot bind;
  std::vector<CompiledOperand> args;
  // Which of `args` the syscall looks up in the fd table (fdget()): those the op
  // table types as device or dma-buf fds (scn::IsFdArg); two for revoke.
  absl::InlinedVector<uint8_t, 2> fd_args;
  std::optional<CompiledOperand> in_proc;
  std::optional<CompiledOperand> at;
};

struct VarInfo {
  std::string name;  // `var` or `thread.var`
  scn::HandleKind kind;
};

struct ThreadProgram {
  std::string name;
  std::vector<CompiledStmt> stmts;
  std::vector<VarInfo> vars;
};

struct Program {
  const scn::Scenario* scenario = nullptr;
  MachineConfig machine;
  std::vector<CompiledStmt> setup;
  std::vector<CompiledStmt> finally;
  std::vector<VarInfo> globals;
  std::vector<ThreadProgram> threads;
  // Resolves `name` or `thread.name` as seen from expectations.
  Slot Resolve(const std::string& name) const;
};

struct CompileOptions {
  std::vector<std::string> extra_bugs;    // --bug
  std::vector<std::string> extra_fixes;   // --fix
  std::optional<Variant> variant;         // --variant
  std::optional<Arch> arch;               // --arch
  std::vector<scn::KconfigSetting> kconfig;  // --kconfig (after the file's)
  dmabuf::PfnFinderKind find_pfn = dmabuf::PfnFinderKind::kLinear;
  std::string dot_config;  // --config=FILE contents (optional)
  std::string dot_config_name;
};

// Evaluates Kconfig and turns the AST into a Program. Errors (unknown bug,
// contradicting Kconfig, ...) come back as InvalidArgument with
// `file:line:col: error:` messages.
absl::StatusOr<Program> Compile(const scn::Scenario& s, const CompileOptions& opts);

}  // namespace vfiosim::sim
