// A small JSON value with a writer and a parser: enough for vfiosim's own
// reports (--format=json), Perfetto traces and `vfiosim merge`. Numbers are kept
// as int64/uint64 or double; objects keep insertion order so output is stable.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace vfiosim::json {

class Value {
 public:
  enum class Type { kNull, kBool, kInt, kDouble, kString, kArray, kObject };
  Value() = default;
  Value(bool b) : type_(Type::kBool), b_(b) {}
  Value(int v) : type_(Type::kInt), i_(v) {}
  Value(int64_t v) : type_(Type::kInt), i_(v) {}
  Value(uint64_t v) : type_(Type::kInt), i_(static_cast<int64_t>(v)) {}
  Value(double d) : type_(Type::kDouble), d_(d) {}
  Value(const char* s) : type_(Type::kString), s_(s) {}
  Value(std::string s) : type_(Type::kString), s_(std::move(s)) {}
  static Value Array() { Value v; v.type_ = Type::kArray; return v; }
  static Value Object() { Value v; v.type_ = Type::kObject; return v; }

  Type type() const { return type_; }
  bool is_object() const { return type_ == Type::kObject; }
  bool is_array() const { return type_ == Type::kArray; }
  bool as_bool() const { return b_; }
  // A double is truncated, saturating at the int64 range (NaN: 0): a report
  // from elsewhere may hold any number, and an out-of-range cast is UB.
  int64_t as_int() const {
    if (type_ != Type::kDouble) return i_;
    if (!(d_ == d_)) return 0;
    if (d_ >= 9223372036854775807.0) return INT64_MAX;
    if (d_ <= -9223372036854775808.0) return INT64_MIN;
    return static_cast<int64_t>(d_);
  }
  const std::string& as_string() const { return s_; }
  const std::vector<Value>& items() const { return items_; }
  const std::vector<std::pair<std::string, Value>>& members() const { return members_; }

  Value& push(Value v) { items_.push_back(std::move(v)); return items_.back(); }
  Value& set(std::string k, Value v) { members_.emplace_back(std::move(k), std::move(v)); return members_.back().second; }
  // Member lookup; a null Value when absent.
  const Value& operator[](const std::string& k) const;

  std::string Dump(int indent = -1) const;

 private:
  void DumpTo(std::string* out, int indent, int depth) const;
  Type type_ = Type::kNull;
  bool b_ = false;
  int64_t i_ = 0;
  double d_ = 0;
  std::string s_;
  std::vector<Value> items_;
  std::vector<std::pair<std::string, Value>> members_;
};

std::string Escape(const std::string& s);
// Parses JSON text (depth-limited; errors name the byte offset).
absl::StatusOr<Value> Parse(const std::string& text);

}  // namespace vfiosim::json
