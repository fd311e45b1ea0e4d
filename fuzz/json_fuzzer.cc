// libFuzzer target: arbitrary bytes as a `vfiosim merge` shard report (JSON).
// json::Parse (depth-limited), then ReportFromJson on whatever parses, then the
// writer round trip: Dump() of a parsed value parses back and dumps the same.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "sim/report/json.h"
#include "sim/report/json_report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vfiosim;
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<json::Value> v = json::Parse(text);
  if (!v.ok()) return 0;
  const std::string dumped = json::Dump(*v);
  absl::StatusOr<json::Value> v2 = json::Parse(dumped);
  VFIOSIM_FUZZ_CHECK(v2.ok(), "Dump() output does not parse: " + std::string(v2.status().message()) + "\n" + dumped);
  VFIOSIM_FUZZ_CHECK(json::Dump(*v2) == dumped, "Dump/Parse/Dump is not stable:\n" + dumped + "\n" + json::Dump(*v2));
  (void)sim::ReportFromJson(*v);
  return 0;
}
