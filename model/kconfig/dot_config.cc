// .config reader, after scripts/kconfig/confdata.c: conf_read_simple().
#include "model/kconfig/dot_config.h"

#include <cctype>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "model/kconfig/kernel_kconfig.h"

namespace vfiosim::kconfig {

namespace {

constexpr std::string_view kPrefix = "CONFIG_";

bool IsSymbolChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool IsNumber(std::string_view v) {
  if (v.starts_with("0x") || v.starts_with("0X")) {
    v.remove_prefix(2);
    if (v.empty()) return false;
    for (char c : v) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
  }
  if (v.starts_with("-")) v.remove_prefix(1);
  if (v.empty()) return false;
  for (char c : v) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<Setting>> ParseDotConfig(std::string_view text,
                                                    std::string_view filename) {
  // (Debian's Abseil has its own absl::string_view, distinct from
  // std::string_view, so the absl string helpers are not used here.)
  std::vector<Setting> out;
  int line_no = 0;
  while (!text.empty() || line_no == 0) {
    ++line_no;
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    auto error = [&](size_t pos, std::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s:%d:%d: error: %s", filename, line_no, pos + 1, what));
    };
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
      line.remove_suffix(1);  // also a DOS '\r'
    }
    size_t pos = 0;
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    if (pos == line.size()) continue;

    if (line[pos] == '#') {
      // "# CONFIG_FOO is not set"; any other comment is skipped.
      std::string_view rest = line.substr(pos + 1);
      if (!rest.starts_with(" ") || !rest.substr(1).starts_with(kPrefix)) continue;
      rest.remove_prefix(1 + kPrefix.size());
      size_t len = 0;
      while (len < rest.size() && IsSymbolChar(rest[len])) ++len;
      if (len == 0 || rest.substr(len) != " is not set") continue;
      std::string name(rest.substr(0, len));
      if (IsKnownSymbol(name)) {
        // Column of "CONFIG_", after "# ".
        out.push_back({name, false, line_no, static_cast<int>(pos + 3), SettingSource::kDotConfig});
      }
      continue;
    }

    if (!line.substr(pos).starts_with(kPrefix)) {
      return error(pos,
                   "expected 'CONFIG_<NAME>=<value>', '# CONFIG_<NAME> is not set' or a comment");
    }
    const size_t config_pos = pos;
    pos += kPrefix.size();
    const size_t name_pos = pos;
    while (pos < line.size() && IsSymbolChar(line[pos])) ++pos;
    if (pos == name_pos) return error(pos, "expected a symbol name after 'CONFIG_'");
    std::string name(line.substr(name_pos, pos - name_pos));
    if (pos == line.size() || line[pos] != '=') {
      return error(pos, absl::StrFormat("expected '=' after CONFIG_%s", name));
    }
    ++pos;
    const size_t value_pos = pos;
    std::string_view value = line.substr(pos);
    if (value.empty())
      return error(value_pos, absl::StrFormat("missing value for CONFIG_%s", name));

    const bool is_bool = value == "y" || value == "m" || value == "n";
    if (!is_bool && value.front() == '"') {
      size_t i = 1;
      while (i < value.size() && value[i] != '"') i += value[i] == '\\' ? 2 : 1;
      if (i >= value.size()) return error(value_pos, "unterminated string");
      if (i + 1 != value.size())
        return error(value_pos + i + 1, "unexpected text after the string");
    } else if (!is_bool && !IsNumber(value)) {
      return error(value_pos,
                   absl::StrFormat("malformed value '%s' for CONFIG_%s (expected y, m, n, a number "
                                   "or a \"string\")",
                                   value, name));
    }
    if (!IsKnownSymbol(name)) continue;  // a symbol vfiosim does not model
    if (!is_bool) {
      return error(
          value_pos,
          absl::StrFormat("CONFIG_%s is a bool symbol: expected y, m or n, got '%s'", name, value));
    }
    // Tristate `m` counts as `y` (see symbol_table.h).
    out.push_back(
        {name, value != "n", line_no, static_cast<int>(config_pos + 1), SettingSource::kDotConfig});
  }
  return out;
}

}  // namespace vfiosim::kconfig
