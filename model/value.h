// Value: an op's result as the scenario language sees it: an integer, `ok`, an
// errno name (model/errno.h), a signal, `mmap`/`nommap` (region info), or a
// handle to a model object. Model functions return kernel errnos as negative
// ints internally, as the kernel does; ops turn them into Values.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "model/errno.h"

namespace vfiosim {

enum Signal : int { kSIGBUS = 7, kSIGSEGV = 11 };
inline constexpr std::array<std::pair<Signal, std::string_view>, 2> kSignalNames = {{
    {kSIGBUS, "SIGBUS"}, {kSIGSEGV, "SIGSEGV"}}};
std::string_view SignalName(int s);
std::optional<int> ParseSignal(std::string_view s);

struct Value {
  enum class Kind : uint8_t { kInt, kOk, kErrno, kSignal, kMmap, kNommap, kHandle };
  Kind kind = Kind::kOk;
  uint64_t v = 0;  // integer value, errno, signal number, or handle id

  static Value Int(uint64_t x) { return {Kind::kInt, x}; }
  static Value Ok() { return {Kind::kOk, 0}; }
  static Value Err(int e) { return {Kind::kErrno, static_cast<uint64_t>(e)}; }
  static Value Sig(int s) { return {Kind::kSignal, static_cast<uint64_t>(s)}; }
  static Value Handle(uint64_t id) { return {Kind::kHandle, id}; }
  // From a kernel-style return: 0 -> ok, negative -> errno.
  static Value FromRet(int ret) { return ret < 0 ? Err(-ret) : Ok(); }

  bool failed() const { return kind == Kind::kErrno || kind == Kind::kSignal; }
  bool operator==(const Value&) const = default;
  std::string ToString() const;
};

}  // namespace vfiosim
