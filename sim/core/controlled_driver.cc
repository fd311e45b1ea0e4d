#include "sim/core/controlled_driver.h"

namespace vfiosim::sim {

std::string DescribeOp(const PendingOp& op) {
  switch (op.kind) {
    case PendingOp::Kind::kLock:
      return std::string(op.write || op.read_section ? "lock " : "lock_read ") + op.what + "(" +
             std::string(op.lock->instance()) + ")";
    case PendingOp::Kind::kAccess:
      return std::string(op.write ? "write " : "read ") + op.what;
    case PendingOp::Kind::kNone:
      break;
  }
  return "start";
}

}  // namespace vfiosim::sim
