// Compiled by the ctest layers/model-sees-its-own-headers with only the model's
// include roots: the control for layers/model-cannot-include-run.
#include "model/machine.h"
#include "sim/core/task.h"
