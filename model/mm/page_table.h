// A process's radix page table (pgd -> ... -> pte) holding pfnmap leaves of
// 4K, 2M (pmd) or 1G (pud) size. Models the walks of mm/memory.c:
// __handle_mm_fault() (pud_none()/pmd_none()), vmf_insert_pfn() /
// vmf_insert_pfn_pmd() / vmf_insert_pfn_pud() (insert_pfn*()),
// zap_pte_range()/zap_pmd_range()/zap_pud_range() with zap_huge_pmd() /
// zap_huge_pud(), copy_page_range() at fork, and free_pgtables() (mm/mmap.c).
//
// Layout: every table is an array of 8-byte entry words (512 words = 4 KiB on
// x86_64, like the kernel) plus a one-bit-per-entry occupancy bitmap and a
// one-bit-per-bitmap-word summary, so every walk visits only populated
// entries. Tables live in a pool and are referenced by index from their
// parent's entry word; released tables go to a per-level free list and are
// reused without heap allocation.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/functional/function_ref.h"
#include "model/mm/geometry.h"
#include "sim/core/discipline.h"
#include "sim/core/state_writer.h"

namespace vfiosim::mm {

// One mapped leaf: a pte (shift 12), a huge pmd (21) or a huge pud (30).
struct Leaf {
  uint64_t va;   // first byte mapped by the leaf (aligned to 1 << shift)
  int shift;
  uint64_t pfn;  // 4K frame of the first page
  bool writable;

  uint64_t size() const { return uint64_t{1} << shift; }
  uint64_t end() const { return va + size(); }
  friend bool operator==(const Leaf& a, const Leaf& b) {
    return a.va == b.va && a.shift == b.shift && a.pfn == b.pfn && a.writable == b.writable;
  }
};

enum class InsertResult {
  kInserted,        // slot was empty, leaf installed
  kAlreadyPresent,  // a leaf already maps the address (VM_FAULT_NOPAGE, nothing changed)
  kUnderLargerLeaf, // a larger leaf above the target level maps it (nothing changed)
  kSlotNotEmpty,    // huge insert found a lower-level table in its slot
  kNoMemory,        // a new table was needed and the budget is spent (VM_FAULT_OOM)
};

// A byte budget for page-table memory, shared by the page tables of one Machine
// so that no scenario (a 1T BAR touched in 4K pages, many forks of a populated
// mm) can make the simulator allocate without bound: a table is charged when it
// is first allocated (pooled tables are reused for free, and nothing is credited
// back before the budget dies with its Machine). Thread-safe (vfiosim stress).
struct PageTableBudget {
  explicit PageTableBudget(size_t limit_bytes) : limit(limit_bytes) {}
  const size_t limit;
  std::atomic<size_t> used{0};
};

class PageTable {
 public:
  using Leaf = mm::Leaf;
  using InsertResult = mm::InsertResult;

  // Largest pfn an entry can hold (52 bits, like x86 PTE_PFN_MASK).
  static constexpr uint64_t kMaxPfn = (uint64_t{1} << 52) - 1;

  // Aborts if `geometry` does not Validate().
  explicit PageTable(const Geometry& geometry);
  ~PageTable();
  PageTable(const PageTable&) = delete;
  PageTable& operator=(const PageTable&) = delete;
  // A moved-from PageTable may only be destroyed or assigned to.
  PageTable(PageTable&&) noexcept;
  PageTable& operator=(PageTable&&) noexcept;

  const Geometry& geometry() const { return geometry_; }

  // Charges every table allocated from now on to `budget` (not owned; may be
  // null: no limit). Insert() then refuses with kNoMemory rather than exceed it.
  void set_budget(PageTableBudget* budget) { budget_ = budget; }
  // The lock every access must hold (the mm's page-table lock), reported to
  // the access-discipline check (sim/core/discipline.h); null: unchecked.
  void set_guard(const sim::LockBase* ptl) { guard_ = ptl; }

  // Installs a leaf of size 1 << shift mapping va -> pfn, allocating
  // intermediate tables as needed (kNoMemory, with nothing installed, when a
  // table is needed and the budget is spent; the tables allocated before that
  // stay, as __pte_alloc() failing after __pmd_alloc() leaves the pmd). Aborts unless geometry().CanPlaceLeaf(shift),
  // va < va_limit, va is aligned to 1 << shift and pfn to 1 << (shift - 12).
  InsertResult Insert(uint64_t va, int shift, uint64_t pfn, bool writable);

  // True when no leaf and no table occupies the slot of size 1 << shift
  // containing va, nor does a bigger leaf cover it (pud_none()/pmd_none()).
  // Aborts unless geometry().HasLevel(shift) and va < va_limit.
  bool SlotEmpty(uint64_t va, int shift) const;

  // The leaf covering va (the hardware walk); nullopt beyond va_limit.
  std::optional<Leaf> Lookup(uint64_t va) const;

  // Removes every leaf intersecting [start, end); huge leaves are removed
  // whole. Calls on_zap (which must not touch this table) for each removed
  // leaf in ascending VA order and returns how many were removed. Tables are
  // kept, even when emptied (see FreeEmptyTables()).
  size_t Zap(uint64_t start, uint64_t end, absl::FunctionRef<void(const Leaf&)> on_zap);

  // free_pgtables(): releases to the pool every table intersecting
  // [start, end) that holds no entry once its own empty children in the range
  // were released. The root table is never released.
  void FreeEmptyTables(uint64_t start, uint64_t end);

  // Calls fn for every leaf intersecting [start, end), ascending VA.
  void ForEachLeaf(uint64_t start, uint64_t end,
                   absl::FunctionRef<void(const Leaf&)> fn) const;

  // copy_page_range() of a VM_PFNMAP vma at fork: copies src's leaves
  // intersecting [start, end) into this table, huge leaves as huge leaves.
  // Its tables are not limited by the budget (the model's fork inserts leaf by
  // leaf with Insert(), which is).
  // Aborts if src has another geometry, is this table, or a destination slot
  // holds something different from the source leaf.
  void CopyRange(const PageTable& src, uint64_t start, uint64_t end);

  // Process exit: removes every leaf and returns every table but the root to
  // the pool (no memory is freed; later inserts reuse the pooled tables).
  void Clear();

  size_t present_leaves() const { return present_leaves_; }
  // Tables in use, including the root.
  size_t table_count() const { return live_tables_; }
  // Bytes of tables in use: entry words, bitmaps and per-table bookkeeping.
  size_t bytes() const { return live_bytes_; }
  // Tables allocated so far, in use or pooled; bytes held by all of them.
  size_t pool_size() const { return tables_.size(); }
  size_t pool_bytes() const;

  // Populated entries (leaf or table) examined by the last Zap(),
  // ForEachLeaf(), FreeEmptyTables() or CopyRange() (source entries): a
  // time-independent cost measure of the walk.
  size_t last_walk_entries_visited() const { return last_walk_entries_visited_; }

  // The stateful search's view: the radix tree from the root, every populated
  // entry of every level in index order (its flags, and the pfn of a leaf or
  // the child table's own entries; never a pool index), plus the pooled
  // tables per level (a pooled table is reused without charging the budget).
  // Does not touch the table (no discipline report, no walk statistics).
  void WriteState(sim::StateWriter& w) const;

 private:
  // Reports the access to the discipline check (and, for the stateful
  // search, the whole table as read)...
  void TouchTables(bool write) const;
  // ... or only to the check: the method reports its result (sim::NoteResult).
  void TouchTablesReturning(bool write) const;
  std::optional<Leaf> Walk(uint64_t va) const;  // Lookup() without the reports
  static void NoteLeaf(const Leaf& leaf);  // sim::NoteResult() of a leaf
  InsertResult DoInsert(uint64_t va, int shift, uint64_t pfn, bool writable);
  bool IsSlotEmpty(uint64_t va, int shift) const;
  const sim::LockBase* guard_ = nullptr;
  // Entry word: bit 0 present, bit 1 leaf, bit 2 writable; bits 12..63 hold
  // the pfn (leaf) or the child table's pool index (table).
  static constexpr uint64_t kPresent = 1;
  static constexpr uint64_t kLeafBit = 2;
  static constexpr uint64_t kWritable = 4;
  static constexpr int kPayloadShift = 12;
  static constexpr uint32_t kRoot = 0;

  struct alignas(64) Line {
    uint64_t w[8];
  };

  struct Table {
    uint64_t* entries = nullptr;  // 1 << bits words; the start of the table's storage
                                  // (StorageBytes(level), 64-byte aligned, owned)
    uint64_t* bitmap = nullptr;   // bit i set <=> entries[i] != 0
    uint64_t summary = 0;         // bit w set <=> bitmap[w] != 0
    uint32_t present = 0;         // popcount of bitmap
    uint8_t level = 0;
    bool in_use = false;
  };

  uint32_t AllocTable(int level);
  // Whether a table of `level` may be allocated under the budget (charging it
  // when it must be created rather than taken from the pool).
  bool ChargeTable(int level);
  void ReleaseTable(uint32_t ti);
  void SetEntry(uint32_t ti, uint32_t idx, uint64_t word);
  void ClearEntry(uint32_t ti, uint32_t idx);
  size_t TableWords(int level) const;    // entries + occupancy bitmap
  size_t TableBytes(int level) const;    // what a table costs, bookkeeping included
  size_t StorageBytes(int level) const;  // its storage block, whole cache lines
  void ReleaseStorage();
  // Index range [first, last] of level `level` entries of a table based at
  // `base` that intersect [start, end); false when none.
  bool IndexRange(int level, uint64_t base, uint64_t start, uint64_t end, uint32_t* first,
                  uint32_t* last) const;

  size_t ZapTable(uint32_t ti, uint64_t base, uint64_t start, uint64_t end,
                  absl::FunctionRef<void(const Leaf&)> on_zap);
  void FreeEmptyIn(uint32_t ti, uint64_t base, uint64_t start, uint64_t end);
  void ForEachIn(uint32_t ti, uint64_t base, uint64_t start, uint64_t end,
                 absl::FunctionRef<void(const Leaf&)> fn) const;
  void CopyTable(const PageTable& src, uint32_t src_ti, uint32_t dst_ti, uint64_t base,
                 uint64_t start, uint64_t end);
  void WriteTableState(sim::StateWriter& w, uint32_t ti, int level) const;

  Leaf MakeLeaf(uint64_t va, int level, uint64_t word) const {
    return Leaf{va, shift_[level], word >> kPayloadShift, (word & kWritable) != 0};
  }

  Geometry geometry_;
  int num_levels_ = 0;
  uint64_t va_limit_ = 0;
  int shift_[kMaxLevels] = {};
  uint32_t index_mask_[kMaxLevels] = {};
  int8_t level_of_shift_[64] = {};  // -1 when no level has that shift

  std::vector<Table> tables_;
  std::vector<uint32_t> free_[kMaxLevels];
  size_t live_tables_ = 0;
  size_t live_bytes_ = 0;
  size_t present_leaves_ = 0;
  mutable size_t last_walk_entries_visited_ = 0;
  PageTableBudget* budget_ = nullptr;
};

inline void PageTable::TouchTables(bool write) const {
  if (guard_) sim::TouchLocked(this, write, "page table", *guard_);
}

inline void PageTable::TouchTablesReturning(bool write) const {
  if (guard_) sim::TouchReturning(this, write, "page table", sim::Guard{guard_});
}

inline void PageTable::NoteLeaf(const Leaf& leaf) {
  sim::NoteResult(1 + static_cast<uint64_t>(leaf.shift), leaf.va, leaf.pfn, leaf.writable);  // first never 0
}

inline std::optional<Leaf> PageTable::Lookup(uint64_t va) const {
  // The caller learns of the tables only the leaf (or none).
  TouchTablesReturning(false);
  const std::optional<Leaf> leaf = Walk(va);
  if (leaf) NoteLeaf(*leaf);
  else sim::NoteResult(0);
  return leaf;
}

inline std::optional<Leaf> PageTable::Walk(uint64_t va) const {
  if (va >= va_limit_) return std::nullopt;
  const Table* tables = tables_.data();
  const uint64_t* entries = tables[kRoot].entries;
  for (int l = 0; l < num_levels_; ++l) {
    const uint64_t word = entries[(va >> shift_[l]) & index_mask_[l]];
    if (!(word & kPresent)) return std::nullopt;
    if (word & kLeafBit) {
      return MakeLeaf(va & ~((uint64_t{1} << shift_[l]) - 1), l, word);
    }
    entries = tables[word >> kPayloadShift].entries;
  }
  return std::nullopt;  // unreachable: last-level entries are always leaves
}

}  // namespace vfiosim::mm
