#include "model/mm/page_table.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <iterator>
#include <new>
#include <utility>
#include <vector>

#include "sim/core/check.h"

namespace vfiosim::mm {
namespace {

// Table storage outlives its PageTable in a per-thread cache: exploration builds
// and drops a Machine, page tables included, for every schedule, and a fresh 4K+
// block each time made glibc consolidate its fastbins (malloc_consolidate, ~5% of
// exploration). Blocks are zeroed when taken, as `new Line[n]()` would be.
class TableStorageCache {
 public:
  static constexpr size_t kMaxBytes = size_t{1} << 20;  // per thread
  static constexpr size_t kMaxSizes = 8;
  static constexpr std::align_val_t kAlign{64};

  ~TableStorageCache() {
    alive = false;
    for (Bin& b : bins_)
      for (void* p : b.blocks) ::operator delete(p, kAlign);
  }
  void* Take(size_t bytes) {
    for (Bin& b : bins_) {
      if (b.bytes != bytes || b.blocks.empty()) continue;
      void* p = b.blocks.back();
      b.blocks.pop_back();
      cached_bytes_ -= bytes;
      return std::memset(p, 0, bytes);
    }
    return std::memset(::operator new(bytes, kAlign), 0, bytes);
  }
  void Give(void* p, size_t bytes) {
    Bin* bin = nullptr;
    for (Bin& b : bins_)
      if (b.bytes == bytes) bin = &b;
    if (!bin && bins_.size() < kMaxSizes) bin = &bins_.emplace_back(Bin{bytes, {}});
    if (bin && cached_bytes_ + bytes <= kMaxBytes) {
      bin->blocks.push_back(p);
      cached_bytes_ += bytes;
      return;
    }
    ::operator delete(p, kAlign);
  }

  // False once this thread's cache is destroyed (a PageTable may die later, in a
  // static destructor): its blocks are then freed directly.
  static thread_local bool alive;

 private:
  struct Bin {
    size_t bytes;
    std::vector<void*> blocks;
  };
  std::vector<Bin> bins_;
  size_t cached_bytes_ = 0;
};
thread_local bool TableStorageCache::alive = true;
thread_local TableStorageCache table_storage_cache;

constexpr uint32_t BitmapWords(int bits) { return bits >= 6 ? (uint32_t{1} << bits) / 64 : 1; }

// Calls fn(index) for every set bit of `bitmap` in [first, last], ascending,
// reading only the bitmap words flagged in `summary`. Each bitmap word is
// copied before its bits are visited, so fn may clear bits.
template <typename Fn>
inline void ForEachSetBit(const uint64_t* bitmap, uint64_t summary, uint32_t first,
                          uint32_t last, Fn&& fn) {
  const uint32_t first_word = first / 64;
  const uint32_t last_word = last / 64;
  // Summary bits of words first_word..last_word (last_word <= 63).
  uint64_t words = summary >> first_word;
  words &= (last_word - first_word == 63) ? ~uint64_t{0}
                                          : (uint64_t{1} << (last_word - first_word + 1)) - 1;
  while (words != 0) {
    const uint32_t w = first_word + static_cast<uint32_t>(std::countr_zero(words));
    words &= words - 1;
    uint64_t bits = bitmap[w];
    if (w == first_word) bits &= ~uint64_t{0} << (first % 64);
    if (w == last_word && last % 64 != 63) bits &= (uint64_t{1} << (last % 64 + 1)) - 1;
    while (bits != 0) {
      const uint32_t idx = w * 64 + static_cast<uint32_t>(std::countr_zero(bits));
      bits &= bits - 1;
      fn(idx);
    }
  }
}

}  // namespace

PageTable::PageTable(const Geometry& geometry) : geometry_(geometry) {
  const absl::Status valid = geometry_.Validate();
  VFIOSIM_CHECK(valid.ok(), "PageTable: %s", valid.ToString().c_str());
  num_levels_ = geometry_.num_levels();
  va_limit_ = geometry_.va_limit();
  std::fill(std::begin(level_of_shift_), std::end(level_of_shift_), int8_t{-1});
  for (int l = 0; l < num_levels_; ++l) {
    shift_[l] = geometry_.levels[l].shift;
    index_mask_[l] = (uint32_t{1} << geometry_.levels[l].bits) - 1;
    level_of_shift_[shift_[l]] = static_cast<int8_t>(l);
  }
  const uint32_t root = AllocTable(0);
  VFIOSIM_CHECK(root == kRoot, "root table must be pool index 0");
}

PageTable::~PageTable() { ReleaseStorage(); }
// A moved-from std::vector is empty: the tables' storage changes owner with it.
PageTable::PageTable(PageTable&&) noexcept = default;
PageTable& PageTable::operator=(PageTable&& other) noexcept {
  if (this != &other) {  // free our tables, then take other's (no const or reference members)
    this->~PageTable();
    new (this) PageTable(std::move(other));
  }
  return *this;
}

size_t PageTable::TableWords(int level) const {
  return index_mask_[level] + 1 + BitmapWords(geometry_.levels[level].bits);
}

size_t PageTable::TableBytes(int level) const { return TableWords(level) * sizeof(uint64_t) + sizeof(Table); }

size_t PageTable::pool_bytes() const {
  size_t total = 0;
  for (const Table& t : tables_) total += TableBytes(t.level);
  return total;
}

size_t PageTable::StorageBytes(int level) const { return (TableWords(level) + 7) / 8 * sizeof(Line); }

void PageTable::ReleaseStorage() {
  for (const Table& t : tables_) {
    if (TableStorageCache::alive)
      table_storage_cache.Give(t.entries, StorageBytes(t.level));
    else
      ::operator delete(t.entries, TableStorageCache::kAlign);
  }
  tables_.clear();
}

uint32_t PageTable::AllocTable(int level) {
  uint32_t ti;
  if (!free_[level].empty()) {
    ti = free_[level].back();
    free_[level].pop_back();
  } else {
    VFIOSIM_CHECK(tables_.size() < (uint64_t{1} << 32) - 1, "table pool exhausted");
    ti = static_cast<uint32_t>(tables_.size());
    Table& t = tables_.emplace_back();
    try {
      t.entries = static_cast<uint64_t*>(table_storage_cache.Take(StorageBytes(level)));
    } catch (...) {  // std::bad_alloc: every table in tables_ owns storage
      tables_.pop_back();
      throw;
    }
    t.bitmap = t.entries + index_mask_[level] + 1;
    t.level = static_cast<uint8_t>(level);
  }
  Table& t = tables_[ti];
  t.in_use = true;
  ++live_tables_;
  live_bytes_ += TableBytes(level);
  return ti;
}

bool PageTable::ChargeTable(int level) {
  if (!budget_ || !free_[level].empty()) return true;
  const size_t bytes = TableBytes(level);
  size_t used = budget_->used.load(std::memory_order_relaxed);
  do {
    if (used > budget_->limit || bytes > budget_->limit - used) return false;
  } while (!budget_->used.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
  return true;
}

void PageTable::ReleaseTable(uint32_t ti) {
  Table& t = tables_[ti];
  VFIOSIM_CHECK(ti != kRoot, "the root table is never released");
  VFIOSIM_CHECK(t.in_use && t.present == 0, "released table must be in use and empty");
  t.in_use = false;
  --live_tables_;
  live_bytes_ -= TableBytes(t.level);
  free_[t.level].push_back(ti);
}

void PageTable::SetEntry(uint32_t ti, uint32_t idx, uint64_t word) {
  Table& t = tables_[ti];
  t.entries[idx] = word;
  t.bitmap[idx / 64] |= uint64_t{1} << (idx % 64);
  t.summary |= uint64_t{1} << (idx / 64);
  ++t.present;
}

void PageTable::ClearEntry(uint32_t ti, uint32_t idx) {
  Table& t = tables_[ti];
  t.entries[idx] = 0;
  uint64_t& bw = t.bitmap[idx / 64];
  bw &= ~(uint64_t{1} << (idx % 64));
  if (bw == 0) t.summary &= ~(uint64_t{1} << (idx / 64));
  --t.present;
}

bool PageTable::IndexRange(int level, uint64_t base, uint64_t start, uint64_t end,
                           uint32_t* first, uint32_t* last) const {
  const int shift = shift_[level];
  const uint64_t span = (uint64_t{index_mask_[level]} + 1) << shift;
  const uint64_t lo = start > base ? start - base : 0;
  if (end <= base || lo >= span) return false;
  const uint64_t hi = end - base < span ? end - base : span;  // exclusive
  if (lo >= hi) return false;
  *first = static_cast<uint32_t>(lo >> shift);
  *last = static_cast<uint32_t>((hi - 1) >> shift);
  return true;
}

InsertResult PageTable::Insert(uint64_t va, int shift, uint64_t pfn, bool writable) {
  // The caller learns of the tables only the result.
  TouchTablesReturning(true);
  const InsertResult r = DoInsert(va, shift, pfn, writable);
  sim::NoteResult(static_cast<uint64_t>(r));
  return r;
}

InsertResult PageTable::DoInsert(uint64_t va, int shift, uint64_t pfn, bool writable) {
  VFIOSIM_CHECK(shift >= 0 && shift < 64 && geometry_.CanPlaceLeaf(shift),
                "Insert: no leaf level of that size in this geometry");
  const uint64_t size = uint64_t{1} << shift;
  VFIOSIM_CHECK(va < va_limit_, "Insert: va beyond the geometry's VA limit");
  VFIOSIM_CHECK((va & (size - 1)) == 0, "Insert: va not aligned to the leaf size");
  VFIOSIM_CHECK((pfn & ((size >> kPageShift) - 1)) == 0, "Insert: pfn not aligned to the leaf order");
  VFIOSIM_CHECK(pfn <= kMaxPfn, "Insert: pfn wider than 52 bits");
  const int target = level_of_shift_[shift];
  uint32_t ti = kRoot;
  for (int l = 0; l < target; ++l) {
    const uint32_t idx = static_cast<uint32_t>((va >> shift_[l]) & index_mask_[l]);
    const uint64_t word = tables_[ti].entries[idx];
    if (word == 0) {
      if (!ChargeTable(l + 1)) return InsertResult::kNoMemory;
      const uint32_t child = AllocTable(l + 1);  // may move tables_
      SetEntry(ti, idx, (uint64_t{child} << kPayloadShift) | kPresent);
      ti = child;
    } else if (word & kLeafBit) {
      return InsertResult::kUnderLargerLeaf;
    } else {
      ti = static_cast<uint32_t>(word >> kPayloadShift);
    }
  }
  const uint32_t idx = static_cast<uint32_t>((va >> shift) & index_mask_[target]);
  const uint64_t word = tables_[ti].entries[idx];
  if (word != 0) {
    return (word & kLeafBit) ? InsertResult::kAlreadyPresent : InsertResult::kSlotNotEmpty;
  }
  SetEntry(ti, idx,
           (pfn << kPayloadShift) | kPresent | kLeafBit | (writable ? kWritable : 0));
  ++present_leaves_;
  return InsertResult::kInserted;
}

bool PageTable::SlotEmpty(uint64_t va, int shift) const {
  TouchTablesReturning(false);  // the caller learns only the answer
  const bool empty = IsSlotEmpty(va, shift);
  sim::NoteResult(empty);
  return empty;
}

bool PageTable::IsSlotEmpty(uint64_t va, int shift) const {
  VFIOSIM_CHECK(shift >= 0 && shift < 64 && level_of_shift_[shift] >= 0,
                "SlotEmpty: no level of that size in this geometry");
  VFIOSIM_CHECK(va < va_limit_, "SlotEmpty: va beyond the geometry's VA limit");
  const int target = level_of_shift_[shift];
  const uint64_t* entries = tables_[kRoot].entries;
  for (int l = 0; l < target; ++l) {
    const uint64_t word = entries[(va >> shift_[l]) & index_mask_[l]];
    if (word == 0) return true;
    if (word & kLeafBit) return false;
    entries = tables_[word >> kPayloadShift].entries;
  }
  return entries[(va >> shift) & index_mask_[target]] == 0;
}

size_t PageTable::Zap(uint64_t start, uint64_t end,
                      absl::FunctionRef<void(const Leaf&)> on_zap) {
  TouchTablesReturning(true);  // the caller learns the leaves removed, and how many
  last_walk_entries_visited_ = 0;
  if (end > va_limit_) end = va_limit_;
  size_t removed = 0;
  if (start < end) removed = ZapTable(kRoot, 0, start, end, [&](const Leaf& leaf) {
    NoteLeaf(leaf);
    on_zap(leaf);
  });
  sim::NoteResult(removed);
  return removed;
}

size_t PageTable::ZapTable(uint32_t ti, uint64_t base, uint64_t start, uint64_t end,
                           absl::FunctionRef<void(const Leaf&)> on_zap) {
  const int level = tables_[ti].level;
  uint32_t first, last;
  if (!IndexRange(level, base, start, end, &first, &last)) return 0;
  size_t removed = 0;
  // Zap never allocates, so tables_ does not move during this walk.
  const Table& t = tables_[ti];
  ForEachSetBit(t.bitmap, t.summary, first, last, [&](uint32_t idx) {
    ++last_walk_entries_visited_;
    const uint64_t word = t.entries[idx];
    const uint64_t va = base + (uint64_t{idx} << shift_[level]);
    if (word & kLeafBit) {
      ClearEntry(ti, idx);
      --present_leaves_;
      ++removed;
      on_zap(MakeLeaf(va, level, word));
    } else {
      removed += ZapTable(static_cast<uint32_t>(word >> kPayloadShift), va, start, end, on_zap);
    }
  });
  return removed;
}

void PageTable::FreeEmptyTables(uint64_t start, uint64_t end) {
  TouchTablesReturning(true);  // the caller learns nothing
  last_walk_entries_visited_ = 0;
  if (end > va_limit_) end = va_limit_;
  if (start >= end) return;
  FreeEmptyIn(kRoot, 0, start, end);
}

void PageTable::FreeEmptyIn(uint32_t ti, uint64_t base, uint64_t start, uint64_t end) {
  const int level = tables_[ti].level;
  uint32_t first, last;
  if (level == num_levels_ - 1) return;  // only leaves below
  if (!IndexRange(level, base, start, end, &first, &last)) return;
  const Table& t = tables_[ti];
  ForEachSetBit(t.bitmap, t.summary, first, last, [&](uint32_t idx) {
    ++last_walk_entries_visited_;
    const uint64_t word = t.entries[idx];
    if (word & kLeafBit) return;
    const uint32_t child = static_cast<uint32_t>(word >> kPayloadShift);
    FreeEmptyIn(child, base + (uint64_t{idx} << shift_[level]), start, end);
    if (tables_[child].present == 0) {
      ClearEntry(ti, idx);
      ReleaseTable(child);
    }
  });
}

void PageTable::ForEachLeaf(uint64_t start, uint64_t end,
                            absl::FunctionRef<void(const Leaf&)> fn) const {
  TouchTablesReturning(false);  // the caller learns the leaves
  last_walk_entries_visited_ = 0;
  if (end > va_limit_) end = va_limit_;
  if (start < end) ForEachIn(kRoot, 0, start, end, [&](const Leaf& leaf) {
    NoteLeaf(leaf);
    fn(leaf);
  });
  sim::NoteResult(0);  // the end of the leaves
}

void PageTable::ForEachIn(uint32_t ti, uint64_t base, uint64_t start, uint64_t end,
                          absl::FunctionRef<void(const Leaf&)> fn) const {
  const Table& t = tables_[ti];
  const int level = t.level;
  uint32_t first, last;
  if (!IndexRange(level, base, start, end, &first, &last)) return;
  ForEachSetBit(t.bitmap, t.summary, first, last, [&](uint32_t idx) {
    ++last_walk_entries_visited_;
    const uint64_t word = t.entries[idx];
    const uint64_t va = base + (uint64_t{idx} << shift_[level]);
    if (word & kLeafBit) {
      fn(MakeLeaf(va, level, word));
    } else {
      ForEachIn(static_cast<uint32_t>(word >> kPayloadShift), va, start, end, fn);
    }
  });
}

void PageTable::CopyRange(const PageTable& src, uint64_t start, uint64_t end) {
  TouchTables(true);
  VFIOSIM_CHECK(&src != this, "CopyRange: source and destination are the same table");
  VFIOSIM_CHECK(src.geometry_ == geometry_, "CopyRange: geometries differ");
  src.last_walk_entries_visited_ = 0;
  if (end > va_limit_) end = va_limit_;
  if (start >= end) return;
  CopyTable(src, kRoot, kRoot, 0, start, end);
}

void PageTable::CopyTable(const PageTable& src, uint32_t src_ti, uint32_t dst_ti,
                          uint64_t base, uint64_t start, uint64_t end) {
  const Table& s = src.tables_[src_ti];
  const int level = s.level;
  uint32_t first, last;
  if (!IndexRange(level, base, start, end, &first, &last)) return;
  ForEachSetBit(s.bitmap, s.summary, first, last, [&](uint32_t idx) {
    ++src.last_walk_entries_visited_;
    const uint64_t sword = s.entries[idx];
    // Re-read the destination each time: AllocTable() may move tables_.
    const uint64_t dword = tables_[dst_ti].entries[idx];
    if (sword & kLeafBit) {
      if (dword == sword) return;  // already copied
      VFIOSIM_CHECK(dword == 0, "CopyRange: destination slot of a leaf is occupied");
      SetEntry(dst_ti, idx, sword);
      ++present_leaves_;
      return;
    }
    uint32_t dst_child;
    if (dword == 0) {
      dst_child = AllocTable(level + 1);
      SetEntry(dst_ti, idx, (uint64_t{dst_child} << kPayloadShift) | kPresent);
    } else {
      VFIOSIM_CHECK(!(dword & kLeafBit), "CopyRange: destination leaf blocks a source table");
      dst_child = static_cast<uint32_t>(dword >> kPayloadShift);
    }
    CopyTable(src, static_cast<uint32_t>(sword >> kPayloadShift), dst_child,
              base + (uint64_t{idx} << shift_[level]), start, end);
  });
}

void PageTable::Clear() {
  TouchTables(true);
  for (uint32_t ti = 0; ti < tables_.size(); ++ti) {
    Table& t = tables_[ti];
    if (!t.in_use) continue;
    if (t.present != 0) {
      const uint32_t n = index_mask_[t.level] + 1;
      ForEachSetBit(t.bitmap, t.summary, 0, n - 1, [&](uint32_t idx) { t.entries[idx] = 0; });
      std::memset(t.bitmap, 0, BitmapWords(geometry_.levels[t.level].bits) * sizeof(uint64_t));
      t.summary = 0;
      t.present = 0;
    }
    if (ti != kRoot) ReleaseTable(ti);
  }
  present_leaves_ = 0;
}

void PageTable::WriteState(sim::StateWriter& w) const {
  // Every method that reads the tables touches them (TouchTables): a step
  // reads them only if it touched them. Without a guard nothing is touched.
  if (guard_) w.Begin(this);
  w.U64(present_leaves_);
  w.U64(live_tables_);
  // Pooled (released) tables per level: Insert() takes one without charging
  // the budget, so how many there are changes what a later fault may do.
  for (int l = 0; l < num_levels_; ++l) w.U64(free_[l].size());
  WriteTableState(w, kRoot, 0);
  if (guard_) w.End();
}

void PageTable::WriteTableState(sim::StateWriter& w, uint32_t ti, int level) const {
  const Table& t = tables_[ti];
  w.U64(t.present);  // populated entries, written in index order below
  ForEachSetBit(t.bitmap, t.summary, 0, index_mask_[level], [&](uint32_t idx) {
    const uint64_t word = t.entries[idx];
    w.U64(idx);
    // The entry's flags: present, leaf (pte or huge pmd/pud), writable.
    w.U64(word & ((uint64_t{1} << kPayloadShift) - 1));
    if (word & kLeafBit) {
      w.U64(word >> kPayloadShift);  // the pfn
    } else {
      // A lower-level table (possibly emptied by a zap: it still occupies the
      // slot, pmd_none() is false): its own entries, not its pool index.
      WriteTableState(w, static_cast<uint32_t>(word >> kPayloadShift), level + 1);
    }
  });
}

}  // namespace vfiosim::mm
