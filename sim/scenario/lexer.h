// The scenario language's lexer (spec, "Lexical rules").
//
// Line-oriented and lazy: the parser pulls the tokens of the current line one at a
// time (with lookahead) and moves to the next line explicitly, so a 10 MB line or a
// line of 100000 parentheses costs only as much as the parser actually reads, and
// after an error the rest of the line is skipped without being lexed.
//
// `-` is always punctuation. Hyphenated names (`no-zap-on-revoke`, `iommu-map`) are
// joined by the parser from tokens that touch (token `end` == next token `begin`),
// so `va-0x1000` and `va - 4K` stay address arithmetic.
//
// A word that starts with a digit is one kNumber token (maximal munch over
// [A-Za-z0-9_]); its value or why it is not a number (`number_error`) is computed
// here but reported by the parser only where it needs a number, so that raw words
// such as the `0a` of `bdf=0000:0a:00.0` or the `64BIT` of `kconfig 64BIT=y` can be
// used verbatim.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "sim/scenario/ast.h"

namespace vfiosim::scn {

enum class TokKind {
  kEol,     // end of the line (a comment counts as the end); also at end of input
  kError,   // a lexical error; `error` says what
  kName,    // [A-Za-z_][A-Za-z0-9_]*
  kNumber,  // a word starting with a digit; see `value` / `number_error`
  kString,  // "..." ; `str` holds the decoded text
  kEq,      // =
  kEqEq,    // ==
  kNe,      // !=
  kBang,    // !
  kAndAnd,  // &&
  kOrOr,    // ||
  kPlus,    // +
  kMinus,   // -
  kComma,   // ,
  kDot,     // .
  kColon,   // :
  kLBrace,  // {
  kRBrace,  // }
  kLParen,  // (
  kRParen,  // )
};

struct Token {
  TokKind kind = TokKind::kEol;
  std::string_view text;  // raw source text
  SourceLoc loc;
  size_t begin = 0;  // byte offsets into the input: [begin, end)
  size_t end = 0;
  uint64_t value = 0;             // kNumber, when number_error is empty
  std::string_view number_error;  // kNumber: why the word is not a number
  std::string str;                // kString: decoded contents
  std::string error;              // kError
};

// Parses a number word: decimal or 0x hex, with an optional K/M/G binary suffix.
// Returns an empty string_view on success (value in *out) or the reason it fails.
std::string_view ParseNumberWord(std::string_view word, uint64_t* out);

// Describes a token for "expected X, found Y" messages: `'mmap'`, `end of line`,
// `a string`; long text is shortened.
std::string DescribeToken(const Token& t);

class Lexer {
 public:
  // Input larger than this is refused by the parser (line/column numbers are int).
  static constexpr size_t kMaxInput = size_t{1} << 30;

  explicit Lexer(std::string_view text);

  // The k-th token ahead on the current line. Past the end of the line (or after
  // an error token) it keeps returning that kEol / kError token.
  const Token& Peek(size_t k = 0);
  Token Take();
  // Drops the rest of the current line and moves to the start of the next one.
  void NextLine();
  // True when every line was consumed.
  bool AtEof() const { return buf_.empty() && pos_ >= text_.size(); }
  int line() const { return line_; }
  // Location of the end of the input (for "missing end" at end of file).
  SourceLoc EofLoc() const;

 private:
  Token Lex();
  Token Make(TokKind kind, size_t begin, size_t end) const;
  Token MakeError(size_t at, std::string message) const;
  // Checks bytes [pos_, end of line) for control characters and invalid UTF-8;
  // returns the offset of the first bad byte or npos, with its message.
  size_t CheckText(size_t from, size_t to, std::string* message) const;
  size_t LineEnd(size_t from) const;

  std::string_view text_;
  size_t pos_ = 0;         // next byte to lex on the current line
  size_t line_start_ = 0;  // offset of the current line's first byte
  int line_ = 1;
  bool line_done_ = false;  // an kEol / kError token ended this line
  std::deque<Token> buf_;
};

}  // namespace vfiosim::scn
