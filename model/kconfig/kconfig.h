// vfiosim's Kconfig model, in one include: expressions (expr.h), symbol
// tables (symbol_table.h), evaluation (evaluate.h), the kernel's tables and
// arch defaults with Evaluate() (kernel_kconfig.h), and the .config reader
// (dot_config.h).
#pragma once

#include "model/kconfig/dot_config.h"
#include "model/kconfig/evaluate.h"
#include "model/kconfig/expr.h"
#include "model/kconfig/kernel_kconfig.h"
#include "model/kconfig/symbol_table.h"
