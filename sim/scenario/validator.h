// Static checks of a parsed Scenario, run before anything executes (spec: "Using a
// handle of the wrong kind ... or an undefined name is a scenario error, reported
// before anything runs").
//
// What it checks:
//  - names: catalogued bugs, fixes and invariants, with "did you mean" hints;
//    `VFIO_PCI_DMABUF` is never set by hand; a Kconfig symbol is not given two
//    different values (whether a symbol exists is the Kconfig model's business);
//  - devices: unique names and bdfs; BAR index 0-5 and unique per device; memory
//    BAR sizes are powers of two >= 4K, io BAR sizes powers of two >= 4; an io BAR
//    is not mem64/prefetch; `addr=` naturally aligned, inside 64 bits, and not
//    overlapping another BAR with an `addr=` in the same (memory / io) space;
//  - scopes, in block order setup -> threads -> finally: a name is bound before it
//    is used and bound only once (a thread or finally variable may not shadow a
//    setup variable; two threads may bind the same name); setup sees its own
//    variables, a thread setup's and its own, finally setup's and its own;
//    expectations see setup and finally variables and `<thread>.<var>`;
//  - handle kinds (ResultKind): each operand holds the kind the op expects;
//    `open` names a declared device; `mmap` of a device fd has `bar=`, of a
//    dma-buf has not; `bar=` is 0-5, `mem=` 0 or 1; `write` stores 32 bits;
//    export ranges fit in 64 bits;
//  - expectations: `expect clean` and `expect violation` do not contradict;
//    `pagesize(...)` is compared with numbers.
#pragma once

#include "sim/scenario/ast.h"
#include "sim/scenario/diag.h"

namespace vfiosim::scn {

// Reports every problem into *diags (file name: s.file). The Scenario is valid
// when this adds no diagnostic.
void ValidateScenario(const Scenario& s, Diagnostics* diags);

}  // namespace vfiosim::scn
