#include "sim/scenario/lexer.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "sim/scenario/strings.h"

namespace vfiosim::scn {
namespace {

bool IsNameStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsWordChar(unsigned char c) { return IsNameStart(c) || IsDigit(c); }
int HexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the valid UTF-8 sequence at p (at most n bytes), 0 when invalid
// (truncated, overlong, surrogate or above U+10FFFF). *cp gets the code point.
size_t Utf8Sequence(const unsigned char* p, size_t n, uint32_t* cp) {
  unsigned char c = p[0];
  size_t len;
  uint32_t v, min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (p[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

std::string ControlCharMessage(unsigned char c) {
  if (c == 0) return "NUL byte in scenario text";
  return absl::StrFormat("invalid control character 0x%02x", c);
}

}  // namespace

std::string_view ParseNumberWord(std::string_view w, uint64_t* out) {
  uint64_t v = 0;
  size_t i = 0;
  bool any = false;
  if (w.size() >= 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) {
    if (w[1] == 'X') return "hex numbers start with 0x";
    for (i = 2; i < w.size() && HexValue(w[i]) >= 0; ++i) {
      if (v >> 60) return "number does not fit in 64 bits";
      v = (v << 4) | static_cast<uint64_t>(HexValue(w[i]));
      any = true;
    }
  } else {
    for (; i < w.size() && IsDigit(w[i]); ++i) {
      uint64_t d = static_cast<uint64_t>(w[i] - '0');
      if (v > (UINT64_MAX - d) / 10) return "number does not fit in 64 bits";
      v = v * 10 + d;
      any = true;
    }
  }
  if (!any) return "bad number";
  if (i < w.size()) {
    int shift = 0;
    switch (w[i]) {
      case 'K':
        shift = 10;
        break;
      case 'M':
        shift = 20;
        break;
      case 'G':
        shift = 30;
        break;
      case 'k':
      case 'm':
      case 'g':
        if (i + 1 == w.size()) return "size suffixes are upper case: K, M, G";
        return "bad number";
      default:
        return "bad number";
    }
    if (i + 1 != w.size()) return "bad number";
    if (v > (UINT64_MAX >> shift)) return "number does not fit in 64 bits";
    v <<= shift;
  }
  *out = v;
  return {};
}

std::string DescribeToken(const Token& t) {
  switch (t.kind) {
    case TokKind::kEol:
      return "end of line";
    case TokKind::kError:
      return "an invalid character";
    case TokKind::kString:
      return "a string";
    default:
      break;
  }
  constexpr size_t kMax = 40;
  if (t.text.size() > kMax) return Cat("'", t.text.substr(0, kMax), "...'");
  return Cat("'", t.text, "'");
}

Lexer::Lexer(std::string_view text) : text_(text) {
  // A UTF-8 byte order mark is not part of the first line's text.
  if (text_.size() >= 3 && text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = line_start_ = 3;
}

const Token& Lexer::Peek(size_t k) {
  while (buf_.size() <= k) {
    if (!buf_.empty() &&
        (buf_.back().kind == TokKind::kEol || buf_.back().kind == TokKind::kError)) {
      return buf_.back();
    }
    buf_.push_back(Lex());
  }
  return buf_[k];
}

Token Lexer::Take() {
  Peek(0);
  Token& front = buf_.front();
  if (front.kind == TokKind::kEol || front.kind == TokKind::kError) return front;  // sticky
  Token t = std::move(front);
  buf_.pop_front();
  return t;
}

size_t Lexer::LineEnd(size_t from) const {
  if (from >= text_.size()) return text_.size();
  const void* nl = std::memchr(text_.data() + from, '\n', text_.size() - from);
  return nl ? static_cast<size_t>(static_cast<const char*>(nl) - text_.data()) : text_.size();
}

void Lexer::NextLine() {
  buf_.clear();
  size_t nl = LineEnd(pos_);
  if (nl >= text_.size()) {
    pos_ = text_.size();  // last line without a newline: stay on it for EofLoc()
    return;
  }
  pos_ = line_start_ = nl + 1;
  ++line_;
}

SourceLoc Lexer::EofLoc() const {
  return SourceLoc{line_, static_cast<int>(text_.size() - line_start_) + 1};
}

Token Lexer::Make(TokKind kind, size_t begin, size_t end) const {
  Token t;
  t.kind = kind;
  t.text = text_.substr(begin, end - begin);
  t.loc = SourceLoc{line_, static_cast<int>(begin - line_start_) + 1};
  t.begin = begin;
  t.end = end;
  return t;
}

Token Lexer::MakeError(size_t at, std::string message) const {
  Token t = Make(TokKind::kError, at, at);
  t.error = std::move(message);
  return t;
}

size_t Lexer::CheckText(size_t from, size_t to, std::string* message) const {
  const auto* p = reinterpret_cast<const unsigned char*>(text_.data());
  for (size_t i = from; i < to;) {
    unsigned char c = p[i];
    if (c >= 0x20 && c < 0x7F) {
      ++i;
      continue;
    }
    if (c == '\t' || (c == '\r' && i + 1 == to)) {
      ++i;
      continue;
    }
    if (c < 0x80) {
      *message = ControlCharMessage(c);
      return i;
    }
    uint32_t cp;
    size_t len = Utf8Sequence(p + i, to - i, &cp);
    if (len == 0) {
      *message = absl::StrFormat("invalid UTF-8 byte 0x%02x", c);
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

Token Lexer::Lex() {
  const size_t n = text_.size();
  const auto at = [&](size_t i) -> unsigned char {
    return i < n ? static_cast<unsigned char>(text_[i]) : 0;
  };
  while (pos_ < n) {
    unsigned char c = at(pos_);
    if (c == ' ' || c == '\t' || (c == '\r' && (pos_ + 1 == n || at(pos_ + 1) == '\n'))) {
      ++pos_;
    } else {
      break;
    }
  }
  if (pos_ >= n || text_[pos_] == '\n') return Make(TokKind::kEol, pos_, pos_);
  const size_t begin = pos_;
  const unsigned char c = at(pos_);

  if (c == '#') {
    size_t end = LineEnd(pos_);
    std::string msg;
    size_t bad = CheckText(pos_ + 1, end, &msg);
    if (bad != std::string_view::npos) return MakeError(bad, std::move(msg));
    Token t = Make(TokKind::kEol, begin, begin);
    pos_ = end;
    return t;
  }
  if (IsNameStart(c)) {
    while (pos_ < n && IsWordChar(at(pos_))) ++pos_;
    return Make(TokKind::kName, begin, pos_);
  }
  if (IsDigit(c)) {
    while (pos_ < n && IsWordChar(at(pos_))) ++pos_;
    Token t = Make(TokKind::kNumber, begin, pos_);
    t.number_error = ParseNumberWord(t.text, &t.value);
    return t;
  }
  if (c == '"') {
    std::string s;
    size_t i = pos_ + 1;
    const auto* p = reinterpret_cast<const unsigned char*>(text_.data());
    while (true) {
      if (i >= n || p[i] == '\n' || (p[i] == '\r' && (i + 1 == n || p[i + 1] == '\n'))) {
        return MakeError(begin, "unterminated string");
      }
      unsigned char d = p[i];
      if (d == '"') break;
      if (d == '\\' && i + 1 < n && (p[i + 1] == '"' || p[i + 1] == '\\')) {
        s.push_back(static_cast<char>(p[i + 1]));
        i += 2;
        continue;
      }
      if (d < 0x20 || d == 0x7F) {
        if (d == '\t') {
          s.push_back('\t');
          ++i;
          continue;
        }
        return MakeError(i, ControlCharMessage(d));
      }
      uint32_t cp;
      size_t len = Utf8Sequence(p + i, n - i, &cp);
      if (len == 0) return MakeError(i, absl::StrFormat("invalid UTF-8 byte 0x%02x", d));
      s.append(text_.data() + i, len);
      i += len;
    }
    pos_ = i + 1;
    Token t = Make(TokKind::kString, begin, pos_);
    t.str = std::move(s);
    return t;
  }

  auto punct = [&](TokKind kind, size_t len) {
    pos_ += len;
    return Make(kind, begin, pos_);
  };
  const unsigned char d = at(pos_ + 1);
  switch (c) {
    case '=':
      return d == '=' ? punct(TokKind::kEqEq, 2) : punct(TokKind::kEq, 1);
    case '!':
      return d == '=' ? punct(TokKind::kNe, 2) : punct(TokKind::kBang, 1);
    case '&':
      if (d == '&') return punct(TokKind::kAndAnd, 2);
      return MakeError(begin, "unexpected character '&' (did you mean '&&'?)");
    case '|':
      if (d == '|') return punct(TokKind::kOrOr, 2);
      return MakeError(begin, "unexpected character '|' (did you mean '||'?)");
    case '+':
      return punct(TokKind::kPlus, 1);
    case '-':
      return punct(TokKind::kMinus, 1);
    case ',':
      return punct(TokKind::kComma, 1);
    case '.':
      return punct(TokKind::kDot, 1);
    case ':':
      return punct(TokKind::kColon, 1);
    case '{':
      return punct(TokKind::kLBrace, 1);
    case '}':
      return punct(TokKind::kRBrace, 1);
    case '(':
      return punct(TokKind::kLParen, 1);
    case ')':
      return punct(TokKind::kRParen, 1);
    default:
      break;
  }
  if (c < 0x20 || c == 0x7F) return MakeError(begin, ControlCharMessage(c));
  if (c >= 0x80) {
    uint32_t cp;
    size_t len =
        Utf8Sequence(reinterpret_cast<const unsigned char*>(text_.data()) + begin, n - begin, &cp);
    if (len == 0) return MakeError(begin, absl::StrFormat("invalid UTF-8 byte 0x%02x", c));
    return MakeError(begin, absl::StrFormat("unexpected character U+%04X", cp));
  }
  return MakeError(begin, absl::StrFormat("unexpected character '%c'", c));
}

}  // namespace vfiosim::scn
