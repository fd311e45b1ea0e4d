#include "sim/report/json.h"

#include <cstdint>

#include "absl/strings/str_format.h"

namespace vfiosim::json {

std::string Dump(const Value& v, int indent) {
  return v.dump(indent, ' ', /*ensure_ascii=*/false, Value::error_handler_t::replace);
}

std::string Quote(std::string_view s) { return Dump(Value(s)); }

absl::StatusOr<Value> Parse(std::string_view text) {
  constexpr int kMaxDepth = 200;
  struct TooDeep {};
  // `depth` counts the containers around a value (a key's includes its object).
  auto limit = [](int depth, Value::parse_event_t event, Value&) {
    if (depth > kMaxDepth && event != Value::parse_event_t::key) throw TooDeep{};
    return true;
  };
  try {
    return Value::parse(text.begin(), text.end(), limit);
  } catch (const TooDeep&) {
    return absl::InvalidArgumentError(absl::StrFormat("JSON error: nested more than %d levels deep", kMaxDepth));
  } catch (const Value::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 5: ...".
    std::string_view what = e.what();
    if (const size_t tag_end = what.find("] "); what.starts_with("[json.exception.") && tag_end != what.npos)
      what.remove_prefix(tag_end + 2);
    return absl::InvalidArgumentError("JSON " + std::string(what));
  }
}

View View::operator[](const std::string& key) const {
  static const Value kNull;
  if (!v_->is_object()) return kNull;
  const auto it = v_->find(key);
  return it == v_->end() ? kNull : *it;
}

int64_t View::as_int() const {
  if (v_->is_number_integer()) return v_->get<int64_t>();
  if (!v_->is_number_float()) return 0;
  const double d = v_->get<double>();
  if (!(d == d)) return 0;
  if (d >= 9223372036854775807.0) return INT64_MAX;
  if (d <= -9223372036854775808.0) return INT64_MIN;
  return static_cast<int64_t>(d);
}

const std::string& View::as_string() const {
  static const std::string kEmpty;
  return v_->is_string() ? v_->get_ref<const std::string&>() : kEmpty;
}

std::vector<View> View::items() const {
  if (!v_->is_array()) return {};
  return std::vector<View>(v_->begin(), v_->end());
}

}  // namespace vfiosim::json
