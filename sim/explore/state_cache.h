// The visited-state table of the stateful search (--reduction=state): the DFS
// with sleep sets, where a node whose state was explored before is not explored
// again (Godefroid, "Partial-Order Methods for the Verification of Concurrent
// Systems", LNCS 1032, 1996, ch. 5: sleep sets with state caching).
//
// A state is the shared state (the machine's and the checker's, written by
// Execution::WriteSharedState) and each thread's position. Threads are
// coroutines whose locals cannot be read, so a thread inside an op is known by
// what determines its locals: its statement and variables at the op's start,
// and what each of its steps since read of the shared state (each step is a
// function of the thread's locals and what it reads: StateWriter::StepRead()),
// except that a retry loop forgets what it read since it began
// (sim/explore/thread_history.h).
// By default a shared state and such a history are interned exactly (byte
// strings to numbers), so two states match only when they are equal; hash
// compaction (--state_table=hash) trades that for memory.
//
// Sleep sets with caching (ibid., fig. 5.2): a state stored with sleep set S
// and reached again with S' is skipped when S is a subset of S'; otherwise only
// the threads in S \ S' are explored from it, with the sleep set S & S', which
// is stored. The step limit (--max-steps) counts steps since the last progress,
// which the state does not include: a state reached with more such steps than
// stored (less budget left) is explored again in full.
#pragma once

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace vfiosim::sim {

class StateCache {
 public:
  // `compact`: hash compaction (Wolper and Leroy, "Reliable hashing without
  // collision detection", CAV 1993): states and shared states are stored as
  // 64-bit fingerprints instead of their bytes. Far less memory; two different
  // states with one fingerprint are taken as one, so a search with it is not
  // complete (about stored^2 / 2^65 is the chance that some state was hidden).
  //
  // `check_next` (the test suite's checks, ExecOptions::check_discipline): what
  // the threads do next (Enter's `next`) is stored beside each state, and a
  // state reached again must do the same next, or the key left out something
  // the threads' positions depend on (a read not reported to sim::Touch or
  // sim::NoteResult): DisciplineError.
  explicit StateCache(bool compact = false, bool check_next = false) : compact_(compact), check_next_(check_next) {}
  bool checks_next() const { return check_next_; }

  // The number of a string of state bytes (equal bytes, equal numbers).
  uint32_t Intern(const std::string& bytes);
  // The shared state's number, from those of what threads read of it (`view`)
  // and the rest (StateWriter::bytes() and rest()).
  uint32_t Shared(uint32_t view, uint32_t rest);
  // A thread's history inside its op: `prev` (0: at the op's start) followed by
  // a step that read `read` (an Intern()ed StateWriter::StepRead()).
  uint32_t Extend(uint32_t prev, uint32_t read);

  struct Visit {
    bool matched = false;  // explored before with a subset of this sleep set: skip
    uint64_t sleep = 0;    // the sleep set to explore with
    uint64_t only = ~uint64_t{0};  // the threads to explore (a revisit: those not explored before)
  };
  // A node with state `key`, reached with sleep set `sleep` and `since` steps
  // since the last progress (and, when checks_next(), threads that do `next`).
  Visit Enter(const std::string& key, uint64_t sleep, uint64_t since, const std::string& next = {});

  uint64_t stored() const { return compact_ ? visited_fp_.size() : visited_.size(); }
  uint64_t matched() const { return matched_; }
  uint64_t revisited() const { return revisited_; }
  uint64_t shared_states() const { return pairs_.size(); }
  bool compact() const { return compact_; }
  // Bytes of keys and shared states held (a lower bound of the table's memory).
  uint64_t bytes() const { return bytes_; }

 private:
  struct Entry {
    uint64_t sleep;
    uint64_t since;
  };
  bool compact_;
  bool check_next_;
  absl::flat_hash_map<uint64_t, std::string> next_;  // check_next: Fingerprint(key) -> next
  absl::flat_hash_map<std::string, uint32_t> interned_;
  absl::flat_hash_map<uint64_t, uint32_t> interned_fp_;  // compact: fingerprint -> number
  absl::flat_hash_map<uint64_t, uint32_t> pairs_;      // (view << 32 | rest) -> shared state
  absl::flat_hash_map<uint64_t, uint32_t> histories_;  // (prev << 32 | read) -> number
  absl::flat_hash_map<std::string, Entry> visited_;
  absl::flat_hash_map<uint64_t, Entry> visited_fp_;  // compact
  Entry* Find(const std::string& key, bool* fresh, uint64_t sleep, uint64_t since);
  uint64_t matched_ = 0;
  uint64_t revisited_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace vfiosim::sim
