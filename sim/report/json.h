// JSON for vfiosim's reports (--format=json, Perfetto traces) and `vfiosim
// merge`, on nlohmann::json: values are nlohmann::ordered_json (objects keep
// insertion order, so output is stable); Dump() and Quote() write them, Parse()
// reads them with absl::Status errors, and View reads a parsed report leniently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace vfiosim::json {

using Value = nlohmann::ordered_json;

// JSON text of v: on one line (indent < 0) or `indent` spaces per level.
// Invalid UTF-8 in a string is written as U+FFFD.
std::string Dump(const Value& v, int indent = -1);

// s as a JSON string literal, for the reports laid out by hand (stress, kconfig).
std::string Quote(std::string_view s);

// Parses JSON text (RFC 8259; nesting deeper than 200 levels is refused).
absl::StatusOr<Value> Parse(std::string_view text);

// A read-only view of a parsed value for reading reports written elsewhere
// (another version, a hand edit): a missing member or a value of another type
// reads as null, 0, "", false or an empty array; nothing throws.
class View {
 public:
  View(const Value& v) : v_(&v) {}  // NOLINT(google-explicit-constructor)

  bool is_null() const { return v_->is_null(); }
  bool is_object() const { return v_->is_object(); }
  // The member `key`; null when absent or when this is not an object.
  View operator[](const std::string& key) const;
  // An integer (a uint64 keeps its bits); a double truncated, saturating at the
  // int64 range (an out-of-range cast would be UB); anything else 0.
  int64_t as_int() const;
  bool as_bool() const { return v_->is_boolean() && v_->get<bool>(); }
  const std::string& as_string() const;
  std::vector<View> items() const;

 private:
  const Value* v_;
};

}  // namespace vfiosim::json
