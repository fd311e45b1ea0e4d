// vfiosim stress (sim/stress/): short free-running runs on real threads
// (parallel exploration: tests/explore/parallel_explore_test.cc). The TSan ctest
// (tests/tsan.sh) runs the Stress* ones under -fsanitize=thread, except StressBug.*,
// whose injected race TSan reports by design.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "sim/stress/histogram.h"
#include "sim/stress/stress.h"

namespace vfiosim::stress {
namespace {

StressOptions Short(Variant v, LeafLimit leaf) {
  StressOptions o;
  o.variant = v;
  o.leaf = leaf;
  o.faulters = 2;
  o.revokers = 1;
  o.bar_size = uint64_t{1} << 30;
  o.duration_seconds = 0;
  o.ops = 20000;
  o.revoke_gap_us = 20;
  o.hang_seconds = 60;
  return o;
}

void ExpectConsistent(const StressResult& r) {
  EXPECT_EQ(r.hits + r.faults + r.sigbus + r.sigsegv, r.reads);
  EXPECT_LE(r.faults + r.sigbus, r.reads);
  EXPECT_EQ(r.sigsegv, 0u);
  EXPECT_EQ(r.master_aborts, 0u);
  const uint64_t installs = r.installs[0] + r.installs[1] + r.installs[2];
  EXPECT_GE(installs, r.faults);  // a faulting read installs at least one leaf
  EXPECT_LE(r.zapped, installs);  // the run's zaps remove leaves the run installed
  uint64_t lat = 0;
  for (const LatencyHistogram& h : r.fault_latency) lat += h.count();
  EXPECT_EQ(lat, r.faults);
  EXPECT_FALSE(r.hung);
}

struct Param {
  Variant variant;
  LeafLimit leaf;
};

class StressClean : public ::testing::TestWithParam<Param> {};

TEST_P(StressClean, CorrectModelHasNoViolation) {
  const StressOptions o = Short(GetParam().variant, GetParam().leaf);
  ASSERT_FALSE(ValidateOptions(o).has_value());
  const StressResult r = RunStress(o);
  EXPECT_FALSE(r.violation.has_value()) << sim::InvariantName(r.violation->inv) << ": " << r.violation->message;
  EXPECT_EQ(r.reads, o.ops);
  ExpectConsistent(r);
  // Not vacuous, whatever the scheduler did: the run ends only after every
  // revoker finished a cycle, and each thread's first read of its fresh
  // mapping goes through the fault handler (which installs, or returns SIGBUS
  // when it lands while memory is off).
  EXPECT_GT(r.faults + r.sigbus, 0u);
  EXPECT_GT(r.total_revokes(), 0u);
  // Leaves no larger than the Kconfig facts allow.
  if (o.leaf == LeafLimit::k4K) {
    EXPECT_EQ(r.installs[1] + r.installs[2], 0u);
  }
  if (o.leaf == LeafLimit::k2M) {
    EXPECT_EQ(r.installs[2], 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, StressClean,
                         ::testing::Values(Param{Variant::kLegacy, LeafLimit::k4K},
                                           Param{Variant::kLegacy, LeafLimit::k1G},
                                           Param{Variant::kDmabuf, LeafLimit::k4K},
                                           Param{Variant::kDmabuf, LeafLimit::k2M},
                                           Param{Variant::kDmabuf, LeafLimit::k1G}),
                         [](const ::testing::TestParamInfo<Param>& i) {
                           return std::string(i.param.variant == Variant::kLegacy ? "Legacy" : "Dmabuf") +
                                  std::string(LeafLimitName(i.param.leaf));
                         });

TEST(StressCleanShared, SharedMmAndSeveralMappings) {
  for (Variant v : {Variant::kLegacy, Variant::kDmabuf}) {
    StressOptions o = Short(v, LeafLimit::k2M);
    o.shared_mm = true;
    o.faulters = 3;
    o.mappings = 2;
    o.bar_size = uint64_t{64} << 20;
    o.revokers = 2;
    const StressResult r = RunStress(o);
    EXPECT_FALSE(r.violation.has_value()) << sim::InvariantName(r.violation->inv) << ": " << r.violation->message;
    ExpectConsistent(r);
  }
}

TEST(StressCleanShared, ByDurationWithoutRevokers) {
  StressOptions o = Short(Variant::kDmabuf, LeafLimit::k4K);
  o.ops = 0;
  o.duration_seconds = 0.2;
  o.revokers = 0;
  const StressResult r = RunStress(o);
  EXPECT_FALSE(r.violation.has_value());
  ExpectConsistent(r);
  EXPECT_EQ(r.sigbus, 0u);  // nothing ever disables memory
  EXPECT_EQ(r.zapped, 0u);
  EXPECT_GT(r.seconds, 0.15);
}

// What a PTE left behind by a revoke shows as: the leaf itself (checked when
// memory_lock is released) or an access through it to the disabled BAR.
bool IsStaleMappingSymptom(sim::Invariant inv) {
  return inv == sim::Invariant::kStalePte || inv == sim::Invariant::kMmioWhileDisabled;
}

// Whether a free-running race shows up within a bounded time depends on the
// scheduler and the load of the machine: such searches belong to the soak stage
// (VFIOSIM_SOAK=1, tests/run_all.sh). The default suite catches the same
// mutants deterministically with the controlled explorer (ctest
// bug/fault-without-lock/caught, bug/no-zap-on-revoke/caught and their
// random/pct variants); StressBug.FaultWithoutLockIsFound once failed in 1 of
// 590 tests on a loaded 2-core machine.
bool Soak() {
  const char* e = std::getenv("VFIOSIM_SOAK");
  return e && std::string(e) == "1";
}

// The injected race of CVE-2020-12888's fix: a fault that checks and inserts
// without memory_lock. Found by the invariants in well under a second on an
// idle 2-core machine; the run is bounded by its duration.
TEST(StressBug, FaultWithoutLockIsFound) {
  if (!Soak()) GTEST_SKIP() << "timing-dependent: runs with VFIOSIM_SOAK=1";
  for (Variant v : {Variant::kLegacy, Variant::kDmabuf}) {
    StressOptions o = Short(v, LeafLimit::k4K);
    o.bugs = {Bug::kFaultWithoutLock};
    o.ops = 0;
    o.duration_seconds = 20;
    o.revoke_gap_us = 0;
    const StressResult r = RunStress(o);
    ASSERT_TRUE(r.violation.has_value()) << VariantName(v);
    EXPECT_TRUE(IsStaleMappingSymptom(r.violation->inv)) << sim::InvariantName(r.violation->inv);
    EXPECT_LT(r.seconds, 20);
  }
}

TEST(StressBug, NoZapOnRevokeIsFound) {
  if (!Soak()) GTEST_SKIP() << "timing-dependent: runs with VFIOSIM_SOAK=1";
  StressOptions o = Short(Variant::kDmabuf, LeafLimit::k2M);
  o.bugs = {Bug::kNoZapOnRevoke};
  o.ops = 0;
  o.duration_seconds = 20;
  const StressResult r = RunStress(o);
  ASSERT_TRUE(r.violation.has_value());
  // The stale leaf is reported when memory_lock is released; a CPU access through
  // it can come first (loads do not take memory_lock), while MEM is already 0 and
  // the revoker still holds the lock: then the same bug shows as MMIO-while-disabled.
  EXPECT_TRUE(IsStaleMappingSymptom(r.violation->inv)) << sim::InvariantName(r.violation->inv);
}

TEST(StressOptionsTest, Validation) {
  StressOptions o;
  EXPECT_FALSE(ValidateOptions(o).has_value());
  o.bar_size = 3 << 20;
  EXPECT_TRUE(ValidateOptions(o).has_value());
  o = StressOptions{};
  o.faulters = 0;
  EXPECT_TRUE(ValidateOptions(o).has_value());
  o = StressOptions{};
  o.duration_seconds = 0;
  o.ops = 0;
  EXPECT_TRUE(ValidateOptions(o).has_value());
  EXPECT_EQ(ParseLeafLimit("2m"), LeafLimit::k2M);
  EXPECT_EQ(ParseRevokeKind("reset"), RevokeKind::kReset);
  EXPECT_FALSE(ParseRevokeKind("reboot").has_value());
}

TEST(StressReport, JsonAndTextCarryTheNumbers) {
  StressOptions o = Short(Variant::kDmabuf, LeafLimit::k1G);
  o.ops = 2000;
  const StressResult r = RunStress(o);
  const std::string json = RenderJson({r});
  EXPECT_NE(json.find("\"faults_per_second\""), std::string::npos);
  EXPECT_NE(json.find("\"p999\""), std::string::npos);
  EXPECT_NE(json.find("\"verdict\": \"PASS\""), std::string::npos);
  const std::string text = RenderText({r});
  EXPECT_NE(text.find("stress: PASS runs=1"), std::string::npos);
}

TEST(LatencyHistogramTest, Quantiles) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 10000; ++v) h.Add(v);
  EXPECT_EQ(h.count(), 10000u);
  EXPECT_EQ(h.max(), 10000u);
  EXPECT_EQ(h.min(), 1u);
  // Within the ~3% bucket resolution.
  EXPECT_NEAR(static_cast<double>(h.Quantile(0.5)), 5000, 5000 * 0.04);
  EXPECT_NEAR(static_cast<double>(h.Quantile(0.99)), 9900, 9900 * 0.04);
  EXPECT_EQ(h.Quantile(1.0), 10000u);
  for (uint64_t v : {0ull, 1ull, 63ull, 64ull, 65ull, 1000ull, 123456789ull, ~0ull}) {
    const int b = LatencyHistogram::Bucket(v);
    ASSERT_LT(b, LatencyHistogram::kBuckets);
    EXPECT_GE(LatencyHistogram::UpperEdge(b), v);
    if (b > 0) {
      EXPECT_LT(LatencyHistogram::UpperEdge(b - 1), v);
    }
  }
  LatencyHistogram g;
  g.Add(7);
  g.Merge(h);
  EXPECT_EQ(g.count(), 10001u);
}

// Parallel exploration: the same tree, cut into subtrees for TBB workers,
// merges into the same result as one job.
}  // namespace
}  // namespace vfiosim::stress
