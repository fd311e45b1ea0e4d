// sim::StateWriter: a state written as bytes for the stateful search
// (--reduction=state, sim/explore/state_cache.h). Two states that behave alike
// must write equal bytes, and two that may behave differently must not: every
// field that can change during an execution is written, in an order that does
// not depend on addresses or on how the state was reached (containers in their
// own order, hash maps sorted). Containers write their size before their
// elements, so that the bytes parse one way only.
//
// Object identity: Ref(p) writes the object's number in the order of first
// mention (0 for null), so that the same object graph writes the same bytes in
// every execution, whatever the allocator returned.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "sim/core/check.h"
#include "sim/core/driver.h"
#include "sim/core/sync.h"
#include "sim/core/thread.h"

namespace vfiosim::sim {

class StateWriter {
 public:
  // LEB128: small numbers (most fields) take one byte.
  void U64(uint64_t v) { AppendLeb128(out_, v); }
  void I64(int64_t v) { U64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }  // zigzag
  void Bool(bool b) { out_->push_back(b ? 1 : 0); }
  void Str(std::string_view s) {
    U64(s.size());
    out_->append(s.data(), s.size());
  }
  void Ref(const void* p) {
    // A region may be left out of a step's reads (StepRead): a first mention
    // inside it would renumber the objects after it.
    VFIOSIM_CHECK(!open_, "StateWriter::Ref() inside a Begin()/End() region");
    if (!p) return U64(0);
    auto [it, fresh] = refs_.try_emplace(p, static_cast<uint32_t>(refs_.size() + 1));
    U64(it->second);
  }
  // A thread by its id (-1: none).
  void ThreadId(const Thread* t) { I64(t ? t->id() : -1); }
  // A lock's state: its writer and its number of readers. (Which threads hold
  // it for read is each thread's own state.) Written to rest(), in the order of
  // the walk, which bytes() determines.
  void Lock(const LockBase& l) {
    std::string* const saved = std::exchange(out_, &rest_);
    ThreadId(l.writer());
    U64(static_cast<uint64_t>(l.readers()));
    out_ = saved;
  }
  // Begin()..End() marks what bytes() holds of the state that model code reads
  // only after reporting sim::Touch(key) (or key2) in the same step
  // (sim/core/discipline.h). No Ref() inside, no nesting.
  void Begin(const void* key, const void* key2 = nullptr) {
    VFIOSIM_CHECK(!open_ && out_ == &buf_, "StateWriter::Begin() nested or after ToRest()");
    open_ = true;
    regions_.push_back(Region{key, key2, buf_.size(), buf_.size()});
  }
  void End() {
    VFIOSIM_CHECK(open_, "StateWriter::End() without Begin()");
    open_ = false;
    regions_.back().end = buf_.size();
  }
  // What a step from this state may have read, given what it logged
  // (Driver::touch_log): bytes() without the regions of the objects it did
  // not touch. Each part is written with its length, and each region with
  // whether it is there, so that the result parses one way only.
  // The results the step's calls reported (TouchLog::results) follow. Or of
  // a part of a step: the objects and results it logged.
  std::string StepRead(const TouchLog& log) const { return StepRead(log.objects, log.results); }
  std::string StepRead(std::span<const void* const> objects, std::string_view results) const {
    StateWriter w;
    size_t at = 0;
    for (const Region& g : regions_) {
      w.Str(std::string_view(buf_).substr(at, g.begin - at));
      bool read = false;
      for (const void* o : objects) read |= o == g.key || (g.key2 != nullptr && o == g.key2);
      w.Bool(read);
      if (read) w.Str(std::string_view(buf_).substr(g.begin, g.end - g.begin));
      at = g.end;
    }
    w.Str(std::string_view(buf_).substr(at));
    w.Str(results);
    return std::move(w.buf_);
  }

  // From here to the next Clear(), everything goes to rest().
  void ToRest() { out_ = &rest_; }

  // The state is bytes() and rest() together. bytes() alone is what a thread's
  // step can depend on: model code never reads another thread's hold of a lock
  // (a thread only runs when its acquisition can succeed), and the state
  // written after ToRest() (the checker's) is not the model's.
  const std::string& bytes() const { return buf_; }
  const std::string& rest() const { return rest_; }
  void Clear() {
    buf_.clear();
    rest_.clear();
    refs_.clear();
    regions_.clear();
    open_ = false;
    out_ = &buf_;
  }

 private:
  struct Region {
    const void* key;
    const void* key2;
    size_t begin, end;  // in buf_
  };
  std::string buf_, rest_;
  std::string* out_ = &buf_;
  absl::flat_hash_map<const void*, uint32_t> refs_;
  std::vector<Region> regions_;
  bool open_ = false;
};

}  // namespace vfiosim::sim
