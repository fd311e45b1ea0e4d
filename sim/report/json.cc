#include "sim/report/json.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "absl/strings/str_format.h"

namespace vfiosim::json {

const Value& Value::operator[](const std::string& k) const {
  static const Value kNull;
  for (const auto& [name, v] : members_)
    if (name == k) return v;
  return kNull;
}

std::string Escape(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) out += absl::StrFormat("\\u%04x", c);
        else out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

void Value::DumpTo(std::string* out, int indent, int depth) const {
  auto nl = [&](int d) {
    if (indent < 0) return;
    *out += '\n';
    out->append(static_cast<size_t>(indent * d), ' ');
  };
  switch (type_) {
    case Type::kNull: *out += "null"; break;
    case Type::kBool: *out += b_ ? "true" : "false"; break;
    case Type::kInt: *out += absl::StrFormat("%d", i_); break;
    case Type::kDouble: *out += std::isfinite(d_) ? absl::StrFormat("%.6g", d_ == 0 ? 0.0 : d_) : "null"; break;
    case Type::kString: *out += Escape(s_); break;
    case Type::kArray:
      *out += '[';
      for (size_t i = 0; i < items_.size(); ++i) {
        if (i) *out += ',';
        nl(depth + 1);
        items_[i].DumpTo(out, indent, depth + 1);
      }
      if (!items_.empty()) nl(depth);
      *out += ']';
      break;
    case Type::kObject:
      *out += '{';
      for (size_t i = 0; i < members_.size(); ++i) {
        if (i) *out += ',';
        nl(depth + 1);
        *out += Escape(members_[i].first);
        *out += indent < 0 ? ":" : ": ";
        members_[i].second.DumpTo(out, indent, depth + 1);
      }
      if (!members_.empty()) nl(depth);
      *out += '}';
      break;
  }
}

std::string Value::Dump(int indent) const {
  std::string out;
  DumpTo(&out, indent, 0);
  return out;
}

namespace {

class Parser {
 public:
  explicit Parser(const std::string& t) : t_(t) {}
  absl::StatusOr<Value> Run() {
    Value v;
    if (!ParseValue(&v, 0)) return Err();
    Skip();
    if (p_ != t_.size()) {
      err_ = "trailing characters";
      return Err();
    }
    return v;
  }

 private:
  absl::Status Err() { return absl::InvalidArgumentError(absl::StrFormat("JSON error at byte %d: %s", p_, err_)); }
  void Skip() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\n' || t_[p_] == '\t' || t_[p_] == '\r')) ++p_;
  }
  bool Fail(const char* m) {
    if (err_.empty()) err_ = m;
    return false;
  }
  bool ParseString(std::string* s) {
    if (p_ >= t_.size() || t_[p_] != '"') return Fail("expected a string");
    ++p_;
    while (p_ < t_.size() && t_[p_] != '"') {
      char c = t_[p_++];
      if (c == '\\') {
        if (p_ >= t_.size()) return Fail("bad escape");
        char e = t_[p_++];
        switch (e) {
          case 'n': *s += '\n'; break;
          case 't': *s += '\t'; break;
          case 'r': *s += '\r'; break;
          case 'b': *s += '\b'; break;
          case 'f': *s += '\f'; break;
          case 'u': {
            if (p_ + 4 > t_.size()) return Fail("bad \\u escape");
            const unsigned cp = static_cast<unsigned>(std::strtoul(t_.substr(p_, 4).c_str(), nullptr, 16));
            p_ += 4;
            if (cp < 0x80) {
              *s += static_cast<char>(cp);
            } else if (cp < 0x800) {
              *s += static_cast<char>(0xc0 | (cp >> 6));
              *s += static_cast<char>(0x80 | (cp & 0x3f));
            } else {
              *s += static_cast<char>(0xe0 | (cp >> 12));
              *s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
              *s += static_cast<char>(0x80 | (cp & 0x3f));
            }
            break;
          }
          default: *s += e;
        }
      } else {
        *s += c;
      }
    }
    if (p_ >= t_.size()) return Fail("unterminated string");
    ++p_;
    return true;
  }
  bool ParseValue(Value* v, int depth) {
    if (depth > 200) return Fail("nested too deeply");
    Skip();
    if (p_ >= t_.size()) return Fail("unexpected end");
    const char c = t_[p_];
    if (c == '{') {
      ++p_;
      *v = Value::Object();
      Skip();
      if (p_ < t_.size() && t_[p_] == '}') { ++p_; return true; }
      for (;;) {
        Skip();
        std::string k;
        if (!ParseString(&k)) return false;
        Skip();
        if (p_ >= t_.size() || t_[p_] != ':') return Fail("expected ':'");
        ++p_;
        Value m;
        if (!ParseValue(&m, depth + 1)) return false;
        v->set(std::move(k), std::move(m));
        Skip();
        if (p_ < t_.size() && t_[p_] == ',') { ++p_; continue; }
        if (p_ < t_.size() && t_[p_] == '}') { ++p_; return true; }
        return Fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      ++p_;
      *v = Value::Array();
      Skip();
      if (p_ < t_.size() && t_[p_] == ']') { ++p_; return true; }
      for (;;) {
        Value m;
        if (!ParseValue(&m, depth + 1)) return false;
        v->push(std::move(m));
        Skip();
        if (p_ < t_.size() && t_[p_] == ',') { ++p_; continue; }
        if (p_ < t_.size() && t_[p_] == ']') { ++p_; return true; }
        return Fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      std::string s;
      if (!ParseString(&s)) return false;
      *v = Value(std::move(s));
      return true;
    }
    if (t_.compare(p_, 4, "true") == 0) { p_ += 4; *v = Value(true); return true; }
    if (t_.compare(p_, 5, "false") == 0) { p_ += 5; *v = Value(false); return true; }
    if (t_.compare(p_, 4, "null") == 0) { p_ += 4; *v = Value(); return true; }
    // RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    const size_t start = p_;
    auto digit = [&] { return p_ < t_.size() && isdigit(static_cast<unsigned char>(t_[p_])); };
    auto digits = [&] {
      const size_t from = p_;
      while (digit()) ++p_;
      return p_ > from;
    };
    bool is_double = false;
    if (p_ < t_.size() && t_[p_] == '-') ++p_;
    if (!digit()) return Fail(p_ == start ? "unexpected character" : "bad number");
    if (t_[p_] == '0') ++p_;
    else digits();
    if (p_ < t_.size() && t_[p_] == '.') {
      ++p_;
      if (!digits()) return Fail("bad number");
      is_double = true;
    }
    if (p_ < t_.size() && (t_[p_] == 'e' || t_[p_] == 'E')) {
      ++p_;
      if (p_ < t_.size() && (t_[p_] == '+' || t_[p_] == '-')) ++p_;
      if (!digits()) return Fail("bad number");
      is_double = true;
    }
    const std::string num = t_.substr(start, p_ - start);
    if (!is_double) {
      errno = 0;
      const long long i = std::strtoll(num.c_str(), nullptr, 10);
      if (errno == 0) {
        *v = Value(static_cast<int64_t>(i));
        return true;
      }
      if (num[0] != '-') {  // a uint64 count above INT64_MAX (Value keeps its bits)
        errno = 0;
        const unsigned long long u = std::strtoull(num.c_str(), nullptr, 10);
        if (errno == 0) {
          *v = Value(static_cast<uint64_t>(u));
          return true;
        }
      }
    }
    const double d = std::strtod(num.c_str(), nullptr);
    // -0 would print as "-0" and read back as the integer 0.
    *v = Value(d == 0 ? 0.0 : d);
    return true;
  }
  const std::string& t_;
  size_t p_ = 0;
  std::string err_;
};

}  // namespace

absl::StatusOr<Value> Parse(const std::string& text) { return Parser(text).Run(); }

}  // namespace vfiosim::json
