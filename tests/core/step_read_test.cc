// What the stateful search keys a step by (sim/explore/state_cache.h): the
// view it ran from without the regions of objects it did not touch, and the
// results its calls reported (StateWriter::StepRead, sim::TouchReturning,
// sim::NoteResult), logged by the driver (Driver::touch_log).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/core/discipline.h"
#include "sim/core/state_writer.h"
#include "tests/step_host.h"

namespace vfiosim::sim {
namespace {

int a = 0, b = 0;  // two objects with regions of the view

// A view: `head` unmarked, then a region for a (keyed also by b: one region,
// two keys), then `tail` unmarked, then b's own region.
StateWriter View(uint64_t head, uint64_t in_a, uint64_t tail, uint64_t in_b) {
  StateWriter w;
  w.U64(head);
  w.Begin(&a, &b);
  w.U64(in_a);
  w.End();
  w.U64(tail);
  w.Begin(&b);
  w.U64(in_b);
  w.End();
  return w;
}

TouchLog Touched(std::vector<const void*> objects, std::string results = "") {
  TouchLog log;
  log.objects = std::move(objects);
  log.results = std::move(results);
  return log;
}

TEST(StepRead, LeavesOutTheRegionsOfObjectsNotTouched) {
  const TouchLog none = Touched({});
  EXPECT_EQ(View(1, 2, 3, 4).StepRead(none), View(1, 7, 3, 8).StepRead(none));
  EXPECT_NE(View(1, 2, 3, 4).StepRead(none), View(9, 2, 3, 4).StepRead(none)) << "unmarked parts are always read";
  EXPECT_NE(View(1, 2, 3, 4).StepRead(none), View(1, 2, 9, 4).StepRead(none));
}

TEST(StepRead, KeepsTheRegionsOfObjectsTouched) {
  const TouchLog just_a = Touched({&a});
  EXPECT_NE(View(1, 2, 3, 4).StepRead(just_a), View(1, 7, 3, 4).StepRead(just_a));
  EXPECT_EQ(View(1, 2, 3, 4).StepRead(just_a), View(1, 2, 3, 8).StepRead(just_a));
  // A region kept for two keys is read when either is touched.
  const TouchLog just_b = Touched({&b});
  EXPECT_NE(View(1, 2, 3, 4).StepRead(just_b), View(1, 7, 3, 4).StepRead(just_b));
  EXPECT_NE(View(1, 2, 3, 4).StepRead(just_b), View(1, 2, 3, 8).StepRead(just_b));
}

TEST(StepRead, IncludesTheReportedResults) {
  EXPECT_NE(View(1, 2, 3, 4).StepRead(Touched({}, "\x01")), View(1, 2, 3, 4).StepRead(Touched({}, "\x02")));
  EXPECT_EQ(View(1, 2, 3, 4).StepRead(Touched({}, "\x01")), View(1, 5, 3, 6).StepRead(Touched({}, "\x01")));
}

// The parts are written with their lengths: a value moved across a region's
// boundary does not read the same.
TEST(StepRead, ParsesOneWayOnly) {
  StateWriter x, y;
  x.U64(1);
  x.Begin(&a);
  x.End();
  x.U64(2);
  y.U64(1);
  y.U64(2);
  y.Begin(&a);
  y.End();
  const TouchLog log = Touched({&a});
  EXPECT_NE(x.StepRead(log), y.StepRead(log));
  EXPECT_NE(x.StepRead(Touched({})), y.StepRead(Touched({})));
}

Task<void> Reads(int* touched, int* returning) {
  static int other = 0;
  co_await Access(&other, false, "other");
  Touch(touched, false, "touched");
  TouchReturning(returning, false, "returning");
  NoteResult(300);
  NoteResult(0);
}

TEST(TouchLog, LogsTouchesAndResultsNotTheObjectsOfReturningCalls) {
  int touched = 0, returning = 0;
  TouchLog log;
  std::vector<Task<void>> tasks;
  tasks.push_back(Reads(&touched, &returning));
  RunThreadsOf(std::move(tasks), StepRun{.check_discipline = false, .touch_log = &log});
  EXPECT_EQ(log.objects, std::vector<const void*>{&touched});
  EXPECT_EQ(log.results, std::string("\xac\x02\x00", 3)) << "LEB128 of 300, then 0";
}

TEST(TouchLog, IsNotWrittenWithoutALog) {
  int touched = 0, returning = 0;
  std::vector<Task<void>> tasks;
  tasks.push_back(Reads(&touched, &returning));
  EXPECT_NO_THROW(RunThreadsOf(std::move(tasks), StepRun{.check_discipline = false}));
}

}  // namespace
}  // namespace vfiosim::sim
