#include "sim/scenario/diag.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "sim/scenario/strings.h"

namespace vfiosim::scn {

std::string Diagnostic::ToString() const {
  if (loc.line <= 0) return absl::StrFormat("%s: error: %s", file, message);
  return absl::StrFormat("%s:%d:%d: error: %s", file, loc.line, loc.col, message);
}

void Diagnostics::Error(std::string_view file, SourceLoc loc, std::string message) {
  const int n = ++per_file_[std::string(file)];
  if (n <= kMaxErrorsPerFile) {
    diags_.push_back(Diagnostic{std::string(file), loc, std::move(message)});
  } else if (n == kMaxErrorsPerFile + 1) {
    diags_.push_back(
        Diagnostic{std::string(file), loc,
                   absl::StrFormat("too many errors (stopping after %d)", kMaxErrorsPerFile)});
  }
}

void Diagnostics::Append(const Diagnostics& other) {
  diags_.insert(diags_.end(), other.diags_.begin(), other.diags_.end());
  for (const auto& [file, n] : other.per_file_) per_file_[file] += n;
}

bool Diagnostics::full(std::string_view file) const {
  auto it = per_file_.find(AbslView(file));
  return it != per_file_.end() && it->second > kMaxErrorsPerFile;
}

int Diagnostics::error_count(std::string_view file) const {
  auto it = per_file_.find(AbslView(file));
  return it == per_file_.end() ? 0 : it->second;
}

std::string Diagnostics::ToString() const {
  std::string out;
  for (const Diagnostic& d : diags_) CatTo(&out, d.ToString(), "\n");
  return out;
}

absl::Status Diagnostics::ToStatus() const {
  if (diags_.empty()) return absl::OkStatus();
  std::string s = ToString();
  s.pop_back();
  return absl::InvalidArgumentError(s);
}

}  // namespace vfiosim::scn
