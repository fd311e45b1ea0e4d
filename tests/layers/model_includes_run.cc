// Compiled by the ctest layers/model-cannot-include-run with only the model's
// include roots: it must not compile (CMakeLists.txt, vfiosim_layer).
#include "sim/run/program.h"
