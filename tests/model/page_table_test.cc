// Tests for model/mm/geometry.h and model/mm/page_table.h.
#include "model/mm/page_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "model/arch.h"
#include "model/mm/geometry.h"
#include "sim/core/sync.h"
#include "tests/step_host.h"

namespace vfiosim::mm {
namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;

PageTable X86() { return PageTable(Geometry::ForArch(Arch::kX86_64)); }

std::vector<Leaf> Leaves(const PageTable& pt, uint64_t start = 0, uint64_t end = ~uint64_t{0}) {
  std::vector<Leaf> out;
  pt.ForEachLeaf(start, end, [&](const Leaf& l) { out.push_back(l); });
  return out;
}

// ---- Geometry ----

TEST(GeometryTest, X86_64HasFourLevelsOf9Bits) {
  const Geometry g = Geometry::ForArch(Arch::kX86_64);
  ASSERT_EQ(g.num_levels(), 4);
  const int shifts[] = {39, 30, 21, 12};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(g.levels[i].shift, shifts[i]);
    EXPECT_EQ(g.levels[i].bits, 9);
  }
  EXPECT_EQ(g.va_limit(), uint64_t{1} << 48);
  EXPECT_TRUE(g.HasLevel(kPudShift));
  EXPECT_TRUE(g.HasLevel(kPmdShift));
  EXPECT_TRUE(g.HasLevel(kPageShift));
  EXPECT_TRUE(g.Validate().ok());
}

TEST(GeometryTest, Arm64FourKGranuleMatchesX86Shape) {
  EXPECT_EQ(Geometry::ForArch(Arch::kArm64), Geometry::ForArch(Arch::kX86_64));
  EXPECT_EQ(ForArch(Arch::kArm64).va_limit(), uint64_t{1} << 48);
}

TEST(GeometryTest, I386HasNoHugeLevels) {
  const Geometry g = Geometry::ForArch(Arch::kI386);
  ASSERT_EQ(g.num_levels(), 2);
  EXPECT_EQ(g.levels[0].shift, 22);
  EXPECT_EQ(g.levels[0].bits, 10);
  EXPECT_EQ(g.levels[1].shift, 12);
  EXPECT_EQ(g.levels[1].bits, 10);
  EXPECT_EQ(g.va_limit(), uint64_t{1} << 32);
  EXPECT_FALSE(g.HasLevel(kPmdShift));
  EXPECT_FALSE(g.HasLevel(kPudShift));
  EXPECT_FALSE(g.CanPlaceLeaf(22));  // the pgd level is not a 2M/1G leaf level
  EXPECT_TRUE(g.CanPlaceLeaf(kPageShift));
}

TEST(GeometryTest, ValidateRejectsLevelsThatDoNotTile) {
  EXPECT_FALSE((Geometry{{{30, 9}, {12, 9}}}).Validate().ok());
  EXPECT_FALSE((Geometry{{{21, 9}, {13, 8}}}).Validate().ok());
  EXPECT_FALSE(Geometry{}.Validate().ok());
  EXPECT_TRUE((Geometry{{{21, 9}, {12, 9}}}).Validate().ok());
}

// ---- Insert / Lookup / SlotEmpty ----

TEST(PageTableTest, InsertThenLookupReturnsLeaf) {
  PageTable pt = X86();
  EXPECT_EQ(pt.Insert(0x7f0000001000, kPageShift, 0x12345, true), InsertResult::kInserted);
  const std::optional<Leaf> leaf = pt.Lookup(0x7f0000001abc);
  ASSERT_TRUE(leaf.has_value());
  EXPECT_EQ(*leaf, (Leaf{0x7f0000001000, kPageShift, 0x12345, true}));
  EXPECT_FALSE(pt.Lookup(0x7f0000002000).has_value());
  EXPECT_FALSE(pt.Lookup(0x7f0000000fff).has_value());
  EXPECT_EQ(pt.present_leaves(), 1u);
  EXPECT_EQ(pt.table_count(), 4u);  // pgd + pud + pmd + pte tables
}

TEST(PageTableTest, ReadOnlyLeafKeepsWritableBitClear) {
  PageTable pt = X86();
  ASSERT_EQ(pt.Insert(0x1000, kPageShift, 7, false), InsertResult::kInserted);
  EXPECT_FALSE(pt.Lookup(0x1000)->writable);
}

TEST(PageTableTest, LookupBeyondVaLimitFindsNothing) {
  PageTable pt = X86();
  EXPECT_FALSE(pt.Lookup(uint64_t{1} << 48).has_value());
  EXPECT_FALSE(pt.Lookup(~uint64_t{0}).has_value());
}

TEST(PageTableTest, HugeLeafCoversWholeWindow) {
  PageTable pt = X86();
  ASSERT_EQ(pt.Insert(0x40000000 + 2 * kMiB, kPmdShift, 0x80000 + 512, true),
            InsertResult::kInserted);
  const std::optional<Leaf> first = pt.Lookup(0x40000000 + 2 * kMiB);
  const std::optional<Leaf> last = pt.Lookup(0x40000000 + 2 * kMiB + 0x1ff000);
  ASSERT_TRUE(first && last);
  EXPECT_EQ(last->shift, kPmdShift);
  EXPECT_EQ(*first, *last);
  EXPECT_EQ(last->pfn, 0x80000u + 512);
  EXPECT_FALSE(pt.Lookup(0x40000000 + 4 * kMiB).has_value());
  EXPECT_EQ(pt.table_count(), 3u);  // no pte table for a pmd leaf
}

TEST(PageTableTest, PudLeafOnX86) {
  PageTable pt = X86();
  ASSERT_EQ(pt.Insert(3 * kGiB, kPudShift, 0x40000 * 5, true), InsertResult::kInserted);
  const std::optional<Leaf> leaf = pt.Lookup(3 * kGiB + kGiB - 1);
  ASSERT_TRUE(leaf.has_value());
  EXPECT_EQ(*leaf, (Leaf{3 * kGiB, kPudShift, 0x40000 * 5, true}));
  EXPECT_EQ(pt.table_count(), 2u);  // pgd + pud tables only
  EXPECT_FALSE(pt.SlotEmpty(3 * kGiB + 4 * kMiB, kPmdShift));  // covered by the pud leaf
}

TEST(PageTableTest, I386MapsOnly4KLeavesAcrossTwoLevels) {
  PageTable pt(Geometry::ForArch(Arch::kI386));
  ASSERT_EQ(pt.Insert(0xbfff0000, kPageShift, 0xfee00, true), InsertResult::kInserted);
  EXPECT_EQ(pt.Lookup(0xbfff0fff)->pfn, 0xfee00u);
  EXPECT_EQ(pt.table_count(), 2u);
  // Two 1024-entry tables: 8 KiB of entries + 128 bytes of bitmap each, plus bookkeeping.
  EXPECT_GE(pt.bytes(), 2u * (1024 * 8 + 128));
  EXPECT_LE(pt.bytes(), 2u * (1024 * 8 + 128 + 128));
}

TEST(PageTableTest, InsertIntoPresentSlotReportsAlreadyPresent) {
  PageTable pt = X86();
  ASSERT_EQ(pt.Insert(0x200000, kPmdShift, 0x1000, true), InsertResult::kInserted);
  ASSERT_EQ(pt.Insert(0x600000, kPageShift, 0x5, true), InsertResult::kInserted);
  // Same slot, different pfn: nothing changes (VM_FAULT_NOPAGE).
  EXPECT_EQ(pt.Insert(0x200000, kPmdShift, 0x2000, false), InsertResult::kAlreadyPresent);
  EXPECT_EQ(pt.Insert(0x600000, kPageShift, 0x9, false), InsertResult::kAlreadyPresent);
  EXPECT_EQ(pt.Lookup(0x200000)->pfn, 0x1000u);
  EXPECT_EQ(pt.Lookup(0x600000)->pfn, 0x5u);
  EXPECT_EQ(pt.present_leaves(), 2u);
}

TEST(PageTableTest, SmallInsertUnderHugeLeafReportsUnderLargerLeaf) {
  PageTable pt = X86();
  ASSERT_EQ(pt.Insert(kGiB, kPudShift, 0x40000, true), InsertResult::kInserted);
  ASSERT_EQ(pt.Insert(4 * kMiB, kPmdShift, 0x200, true), InsertResult::kInserted);
  const size_t tables = pt.table_count();
  EXPECT_EQ(pt.Insert(kGiB + 0x5000, kPageShift, 1, true), InsertResult::kUnderLargerLeaf);
  EXPECT_EQ(pt.Insert(kGiB + 2 * kMiB, kPmdShift, 0x200, true), InsertResult::kUnderLargerLeaf);
  EXPECT_EQ(pt.Insert(4 * kMiB + 0x3000, kPageShift, 1, true), InsertResult::kUnderLargerLeaf);
  EXPECT_EQ(pt.table_count(), tables);  // nothing allocated under a huge leaf
  EXPECT_EQ(pt.Lookup(kGiB + 0x5000)->shift, kPudShift);
}

TEST(PageTableTest, HugeInsertOverTableReportsSlotNotEmpty) {
  PageTable pt = X86();
  ASSERT_EQ(pt.Insert(2 * kMiB + 0x3000, kPageShift, 0x77, true), InsertResult::kInserted);
  EXPECT_EQ(pt.Insert(2 * kMiB, kPmdShift, 0x200, true), InsertResult::kSlotNotEmpty);
  EXPECT_EQ(pt.Insert(0, kPudShift, 0, true), InsertResult::kSlotNotEmpty);
  EXPECT_FALSE(pt.Lookup(2 * kMiB).has_value());
  EXPECT_EQ(pt.Lookup(2 * kMiB + 0x3000)->pfn, 0x77u);
  EXPECT_EQ(pt.present_leaves(), 1u);
}

TEST(PageTableTest, SlotEmptyModelsPmdNoneAndPudNone) {
  PageTable pt = X86();
  EXPECT_TRUE(pt.SlotEmpty(5 * kGiB, kPudShift));
  ASSERT_EQ(pt.Insert(5 * kGiB + 0x1000, kPageShift, 1, true), InsertResult::kInserted);
  EXPECT_FALSE(pt.SlotEmpty(5 * kGiB, kPudShift));          // a pmd table sits there
  EXPECT_FALSE(pt.SlotEmpty(5 * kGiB, kPmdShift));          // a pte table sits there
  EXPECT_TRUE(pt.SlotEmpty(5 * kGiB + 2 * kMiB, kPmdShift));  // neighbouring pmd
  EXPECT_FALSE(pt.SlotEmpty(5 * kGiB + 0x1000, kPageShift));
  EXPECT_TRUE(pt.SlotEmpty(5 * kGiB + 0x2000, kPageShift));
  // Zap keeps the tables, so the slot is still not pmd_none().
  pt.Zap(5 * kGiB, 6 * kGiB, [](const Leaf&) {});
  EXPECT_FALSE(pt.SlotEmpty(5 * kGiB, kPmdShift));
}

TEST(PageTableDeathTest, MisalignedInsertAborts) {
  EXPECT_DEATH(
      {
        PageTable pt = X86();
        pt.Insert(0x1000, kPmdShift, 0, true);
      },
      "not aligned");
  EXPECT_DEATH(
      {
        PageTable pt = X86();
        pt.Insert(0x200000, kPmdShift, 1, true);
      },
      "pfn not aligned");
  EXPECT_DEATH(
      {
        PageTable pt(Geometry::ForArch(Arch::kI386));
        pt.Insert(0x200000, kPmdShift, 0, true);
      },
      "no leaf level");
}

// ---- Zap / ForEachLeaf ----

TEST(PageTableTest, ZapRemovesOnlyRange) {
  PageTable pt = X86();
  for (uint64_t i = 0; i < 16; ++i) {
    ASSERT_EQ(pt.Insert(0x10000000 + i * 0x1000, kPageShift, 100 + i, true),
              InsertResult::kInserted);
  }
  std::vector<Leaf> zapped;
  const size_t n =
      pt.Zap(0x10000000 + 4 * 0x1000, 0x10000000 + 8 * 0x1000, [&](const Leaf& l) { zapped.push_back(l); });
  EXPECT_EQ(n, 4u);
  ASSERT_EQ(zapped.size(), 4u);
  EXPECT_EQ(zapped[0].pfn, 104u);
  EXPECT_EQ(zapped[3].pfn, 107u);
  EXPECT_EQ(pt.present_leaves(), 12u);
  EXPECT_TRUE(pt.Lookup(0x10000000 + 3 * 0x1000).has_value());
  EXPECT_FALSE(pt.Lookup(0x10000000 + 4 * 0x1000).has_value());
  EXPECT_FALSE(pt.Lookup(0x10000000 + 7 * 0x1000).has_value());
  EXPECT_TRUE(pt.Lookup(0x10000000 + 8 * 0x1000).has_value());
}

TEST(PageTableTest, ZapRemovesHugeLeafWhole) {
  PageTable pt = X86();
  ASSERT_EQ(pt.Insert(2 * kGiB, kPudShift, 0x80000, true), InsertResult::kInserted);
  ASSERT_EQ(pt.Insert(4 * kGiB + 2 * kMiB, kPmdShift, 0x600, true), InsertResult::kInserted);
  std::vector<Leaf> zapped;
  // One page in the middle of each huge leaf.
  EXPECT_EQ(pt.Zap(2 * kGiB + 5 * kMiB, 2 * kGiB + 5 * kMiB + 0x1000,
                   [&](const Leaf& l) { zapped.push_back(l); }),
            1u);
  EXPECT_EQ(pt.Zap(4 * kGiB + 3 * kMiB, 4 * kGiB + 3 * kMiB + 1,
                   [&](const Leaf& l) { zapped.push_back(l); }),
            1u);
  ASSERT_EQ(zapped.size(), 2u);
  EXPECT_EQ(zapped[0], (Leaf{2 * kGiB, kPudShift, 0x80000, true}));
  EXPECT_EQ(zapped[1], (Leaf{4 * kGiB + 2 * kMiB, kPmdShift, 0x600, true}));
  EXPECT_FALSE(pt.Lookup(2 * kGiB).has_value());
  EXPECT_FALSE(pt.Lookup(3 * kGiB - 1).has_value());
  EXPECT_FALSE(pt.Lookup(4 * kGiB + 2 * kMiB).has_value());
  EXPECT_EQ(pt.present_leaves(), 0u);
}

TEST(PageTableTest, ZapVisitsInAscendingOrder) {
  PageTable pt = X86();
  // Insert out of order, mixing sizes and top-level slots.
  const uint64_t vas[] = {(uint64_t{1} << 39) + 0x5000, 0x3000, kGiB, 0x1000,
                          2 * kMiB + 4 * kMiB, (uint64_t{3} << 39), 0x200000};
  const int shifts[] = {kPageShift, kPageShift, kPudShift, kPageShift, kPmdShift, kPmdShift,
                        kPmdShift};
  for (int i = 0; i < 7; ++i) {
    ASSERT_EQ(pt.Insert(vas[i], shifts[i], 0, true), InsertResult::kInserted) << i;
  }
  std::vector<uint64_t> order;
  EXPECT_EQ(pt.Zap(0, uint64_t{1} << 48, [&](const Leaf& l) { order.push_back(l.va); }), 7u);
  ASSERT_EQ(order.size(), 7u);
  for (size_t i = 1; i < order.size(); ++i) EXPECT_LT(order[i - 1], order[i]);
  EXPECT_EQ(order.front(), 0x1000u);
  EXPECT_EQ(order.back(), uint64_t{3} << 39);
}

TEST(PageTableTest, SparseZapTouchesOnlyMappedEntries) {
  // 10 4K leaves scattered one per GiB over 64 GiB vs 10 packed leaves.
  PageTable sparse = X86();
  PageTable packed = X86();
  const uint64_t base = uint64_t{1} << 40;
  for (uint64_t i = 0; i < 10; ++i) {
    ASSERT_EQ(sparse.Insert(base + i * 6 * kGiB + 0x1ff000, kPageShift, i, true),
              InsertResult::kInserted);
    ASSERT_EQ(packed.Insert(base + i * 0x1000, kPageShift, i, true), InsertResult::kInserted);
  }
  EXPECT_EQ(sparse.Zap(base, base + 64 * kGiB, [](const Leaf&) {}), 10u);
  const size_t sparse_cost = sparse.last_walk_entries_visited();
  EXPECT_EQ(packed.Zap(base, base + 64 * kGiB, [](const Leaf&) {}), 10u);
  const size_t packed_cost = packed.last_walk_entries_visited();
  EXPECT_GE(packed_cost, 10u);
  EXPECT_LE(sparse_cost, 4 * packed_cost) << sparse_cost << " vs " << packed_cost;
  // A walk over the same, now-empty span examines only the populated
  // intermediate entries, independent of the 16M pages it spans.
  sparse.Zap(base, base + 64 * kGiB, [](const Leaf&) {});
  EXPECT_LE(sparse.last_walk_entries_visited(), 32u);
}

TEST(PageTableTest, ForEachLeafReportsIntersectingLeavesOnly) {
  PageTable pt = X86();
  ASSERT_EQ(pt.Insert(2 * kMiB, kPmdShift, 0x200, true), InsertResult::kInserted);
  ASSERT_EQ(pt.Insert(4 * kMiB, kPageShift, 0x9, false), InsertResult::kInserted);
  ASSERT_EQ(pt.Insert(4 * kMiB + 0x1000, kPageShift, 0xa, false), InsertResult::kInserted);
  const std::vector<Leaf> got = Leaves(pt, 3 * kMiB, 4 * kMiB + 1);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (Leaf{2 * kMiB, kPmdShift, 0x200, true}));
  EXPECT_EQ(got[1], (Leaf{4 * kMiB, kPageShift, 0x9, false}));
  EXPECT_EQ(pt.present_leaves(), 3u);  // iteration removes nothing
}

// ---- CopyRange / Clear / FreeEmptyTables / bytes ----

TEST(PageTableTest, CopyRangeDuplicatesLeaves) {
  PageTable parent = X86();
  ASSERT_EQ(parent.Insert(kGiB, kPudShift, 0x40000, true), InsertResult::kInserted);
  ASSERT_EQ(parent.Insert(2 * kGiB + 2 * kMiB, kPmdShift, 0x600, true), InsertResult::kInserted);
  ASSERT_EQ(parent.Insert(2 * kGiB + 8 * kMiB, kPageShift, 0x77, false), InsertResult::kInserted);
  ASSERT_EQ(parent.Insert(5 * kGiB, kPageShift, 0x88, true), InsertResult::kInserted);  // outside
  PageTable child = X86();
  child.CopyRange(parent, kGiB, 3 * kGiB);
  EXPECT_EQ(child.present_leaves(), 3u);
  EXPECT_EQ(Leaves(child), Leaves(parent, kGiB, 3 * kGiB));
  EXPECT_EQ(child.Lookup(kGiB + 123)->shift, kPudShift);  // still huge
  EXPECT_FALSE(child.Lookup(5 * kGiB).has_value());
  EXPECT_EQ(parent.present_leaves(), 4u);  // source untouched
  // Independent afterwards.
  child.Zap(0, uint64_t{1} << 48, [](const Leaf&) {});
  EXPECT_TRUE(parent.Lookup(2 * kGiB + 8 * kMiB).has_value());
}

TEST(PageTableTest, ClearReturnsTablesToPool) {
  PageTable pt = X86();
  for (uint64_t i = 0; i < 100; ++i) {
    ASSERT_EQ(pt.Insert(i * 7 * kGiB + i * 0x1000, kPageShift, i, true), InsertResult::kInserted);
  }
  const size_t pool = pt.pool_size();
  const size_t tables = pt.table_count();
  EXPECT_GT(tables, 100u);
  pt.Clear();
  EXPECT_EQ(pt.table_count(), 1u);
  EXPECT_EQ(pt.present_leaves(), 0u);
  EXPECT_EQ(pt.pool_size(), pool);
  EXPECT_FALSE(pt.Lookup(7 * kGiB + 0x1000).has_value());
  EXPECT_TRUE(pt.SlotEmpty(7 * kGiB, kPudShift));
  // Refill: pooled (zeroed) tables are reused, none allocated.
  for (uint64_t i = 0; i < 100; ++i) {
    ASSERT_EQ(pt.Insert(i * 7 * kGiB + i * 0x1000, kPageShift, i + 1, true),
              InsertResult::kInserted);
  }
  EXPECT_EQ(pt.pool_size(), pool);
  EXPECT_EQ(pt.table_count(), tables);
  EXPECT_EQ(pt.Lookup(7 * kGiB + 0x1000)->pfn, 2u);
}

TEST(PageTableTest, FreeEmptyTablesReleasesTables) {
  PageTable pt = X86();
  ASSERT_EQ(pt.Insert(kGiB + 0x1000, kPageShift, 1, true), InsertResult::kInserted);
  ASSERT_EQ(pt.Insert(kGiB + 2 * kMiB, kPageShift, 2, true), InsertResult::kInserted);
  ASSERT_EQ(pt.Insert(3 * kGiB, kPageShift, 3, true), InsertResult::kInserted);
  EXPECT_EQ(pt.table_count(), 1u + 1u + 2u + 3u);  // pgd, pud, 2 pmd, 3 pte
  pt.Zap(kGiB, 2 * kGiB, [](const Leaf&) {});
  EXPECT_EQ(pt.table_count(), 7u);  // Zap keeps tables
  pt.FreeEmptyTables(kGiB, 2 * kGiB);
  EXPECT_EQ(pt.table_count(), 4u);  // 2 pte tables and their pmd table gone
  EXPECT_TRUE(pt.SlotEmpty(kGiB, kPudShift));
  EXPECT_EQ(pt.Lookup(3 * kGiB)->pfn, 3u);
  // A range whose tables still map something releases nothing.
  pt.FreeEmptyTables(3 * kGiB, 4 * kGiB);
  EXPECT_EQ(pt.table_count(), 4u);
  pt.Zap(0, uint64_t{1} << 48, [](const Leaf&) {});
  pt.FreeEmptyTables(0, uint64_t{1} << 48);
  EXPECT_EQ(pt.table_count(), 1u);  // the root stays
  EXPECT_EQ(pt.pool_size(), 7u);
}

TEST(PageTableTest, BytesPerPageDense1GiBBelow8_5) {
  PageTable pt = X86();
  const uint64_t base = 64 * kGiB;
  const uint64_t pages = kGiB / kPageSize;
  for (uint64_t i = 0; i < pages; ++i) {
    ASSERT_EQ(pt.Insert(base + i * kPageSize, kPageShift, 0x100000 + i, true),
              InsertResult::kInserted);
  }
  EXPECT_EQ(pt.present_leaves(), pages);
  EXPECT_EQ(pt.table_count(), 1u + 1u + 1u + 512u);
  const double per_page = static_cast<double>(pt.bytes()) / static_cast<double>(pages);
  EXPECT_LE(per_page, 8.5);
  EXPECT_GE(per_page, 8.0);  // at least the 8-byte pte itself
  EXPECT_EQ(pt.Lookup(base + kGiB - 1)->pfn, 0x100000 + pages - 1);
}

TEST(PageTableTest, MovedTableKeepsMappings) {
  PageTable a = X86();
  ASSERT_EQ(a.Insert(0x5000, kPageShift, 9, true), InsertResult::kInserted);
  PageTable b = std::move(a);
  EXPECT_EQ(b.Lookup(0x5000)->pfn, 9u);
  PageTable c = X86();
  c = std::move(b);
  EXPECT_EQ(c.Lookup(0x5000)->pfn, 9u);
  EXPECT_EQ(c.present_leaves(), 1u);
}

}  // namespace
}  // namespace vfiosim::mm

// ---- What a step learns of the tables (the stateful search's key) ----

namespace vfiosim::mm {
namespace {

constexpr sim::LockClassRef kPtl{0, "ptl"};

// Inside a step: a walk, an insert, a walk, a zap, a FreeEmptyTables().
sim::Task<void> Walks(PageTable* pt) {
  static int other = 0;
  co_await sim::Access(&other, false, "other");
  pt->Lookup(0x1000);
  pt->Insert(0x1000, 12, 0x42, true);
  pt->Lookup(0x1000);
  pt->Zap(0, 0x10000, [](const Leaf&) {});
  pt->FreeEmptyTables(0, 0x10000);
}

// The callers learn of the tables only the results: those are logged, the
// table itself is not (its part of the view is left out of the step's reads).
TEST(PageTableTouchLog, WalksReportTheirResultsNotTheTable) {
  sim::Mutex ptl(kPtl, "ptl");
  PageTable pt = X86();
  pt.set_guard(&ptl);
  sim::TouchLog log;
  std::vector<sim::Task<void>> tasks;
  tasks.push_back(Walks(&pt));
  sim::RunThreadsOf(std::move(tasks), sim::StepRun{.check_discipline = false, .touch_log = &log});
  EXPECT_TRUE(log.objects.empty());
  const std::string leaf("\x0d\x80\x20\x42\x01", 5);  // 1 + shift, va, pfn, writable
  std::string expect(1, '\0');                          // the walk: no leaf
  expect += static_cast<char>(InsertResult::kInserted);  // the insert
  expect += leaf;                                         // the walk: the leaf inserted
  expect += leaf;                                         // Zap: the leaf removed,
  expect += '\x01';                                      // and how many
  EXPECT_EQ(log.results, expect);
}

// A walk that reports nothing (CopyRange(), Clear()) logs the table.
TEST(PageTableTouchLog, ClearLogsTheTable) {
  sim::Mutex ptl(kPtl, "ptl");
  PageTable pt = X86();
  pt.set_guard(&ptl);
  sim::TouchLog log;
  auto clear = [](PageTable* p) -> sim::Task<void> {
    static int other = 0;
    co_await sim::Access(&other, false, "other");
    p->Clear();
  };
  std::vector<sim::Task<void>> tasks;
  tasks.push_back(clear(&pt));
  sim::RunThreadsOf(std::move(tasks), sim::StepRun{.check_discipline = false, .touch_log = &log});
  EXPECT_EQ(log.objects, std::vector<const void*>{&pt});
}

}  // namespace
}  // namespace vfiosim::mm
