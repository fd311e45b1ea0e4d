# Scenario regression tests (included at the end of tests/CMakeLists.txt).
#
#  scenario/<path>              vfiosim run --jobs=2 --keep-going scenarios/<path>: exit 0 and the verdict
#                               line + Outcomes count equal tests/golden/scenarios.txt
#  scenario-determinism/<path>  stdout identical with --jobs=1 and --jobs=2
#  bug/<name>/clean             scenarios/bugs/<name>.scn passes without the bug
#                               (scenarios/history/<name>.scn likewise: a bug the kernel
#                               really had and fixed, docs/history.md; ctest label `history`)
#  bug/<name>/caught            ... and fails with --bug=<name>, reason from tests/golden/bugs.txt
#  bug/<name>/random, /pct      ... also with --explore=random|pct --schedules=2000 --seed=1
#                               (where bugs.txt says that strategy catches it)
#  bug/<name>/replay            --replay=<printed schedule id> fails with the same violation
#  diff/<path>                  vfiosim diff scenarios/<path> (legacy against dmabuf): the last
#                               line equals tests/golden/diff.txt, every witness replays on its
#                               side, and stdout does not depend on --jobs (tests/check_diff.sh)
#  bug-catalogue/coverage       every `vfiosim list bugs` mutant has a scenario and a bugs.txt line
#
# Everything under scenarios/ is registered. tests/update_golden.sh
# regenerates the golden file.
set(VFIOSIM_SCN_ROOT ${CMAKE_SOURCE_DIR}/scenarios)
set(VFIOSIM_SCN_CHECK ${CMAKE_CURRENT_SOURCE_DIR}/check_scenario.sh)
set(VFIOSIM_SCN_GOLDEN ${CMAKE_CURRENT_SOURCE_DIR}/golden/scenarios.txt)
set(VFIOSIM_BUGS_TXT ${CMAKE_CURRENT_SOURCE_DIR}/golden/bugs.txt)
# Generous: a busy machine. (tests/sanitizers.sh leaves out the three whole-space
# tests of three-thread-fault-mem-pm, 101,902 schedules each, many minutes under ASan.)
set(VFIOSIM_SCN_TIMEOUT 1200)

file(GLOB_RECURSE VFIOSIM_SCENARIO_FILES CONFIGURE_DEPENDS RELATIVE ${VFIOSIM_SCN_ROOT}
     ${VFIOSIM_SCN_ROOT}/*.scn)
list(SORT VFIOSIM_SCENARIO_FILES)
# bugs.txt decides which random/pct tests exist: re-configure when it changes.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${VFIOSIM_BUGS_TXT})
file(STRINGS ${VFIOSIM_BUGS_TXT} _vfiosim_bug_lines REGEX "^[a-z0-9]")

foreach(rel IN LISTS VFIOSIM_SCENARIO_FILES)
  add_test(NAME scenario/${rel}
           COMMAND ${VFIOSIM_SCN_CHECK} golden $<TARGET_FILE:vfiosim> ${VFIOSIM_SCN_ROOT} ${rel}
                   ${VFIOSIM_SCN_GOLDEN})
  add_test(NAME scenario-determinism/${rel}
           COMMAND ${VFIOSIM_SCN_CHECK} determinism $<TARGET_FILE:vfiosim> ${VFIOSIM_SCN_ROOT} ${rel})
  add_test(NAME diff/${rel}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_diff.sh $<TARGET_FILE:vfiosim> ${VFIOSIM_SCN_ROOT} ${rel}
                   ${CMAKE_CURRENT_SOURCE_DIR}/golden/diff.txt)
  # VFIOSIM_CHECK_DISCIPLINE=1: every step's touches of shared model state are
  # checked against its declared op (sim/core/discipline.h); a missing
  # scheduling point exits 70 and fails the test.
  set_tests_properties(scenario/${rel} scenario-determinism/${rel} diff/${rel} PROPERTIES
                       ENVIRONMENT VFIOSIM_CHECK_DISCIPLINE=1
                       TIMEOUT ${VFIOSIM_SCN_TIMEOUT} LABELS "scenario")
  # The long ones first (a fresh tree has no CTestCostData.txt): started last,
  # they would run alone at the end of `ctest -j2`.
  if(rel STREQUAL "three-thread-fault-mem-pm.scn")
    set_tests_properties(scenario/${rel} scenario-determinism/${rel} diff/${rel} PROPERTIES COST 1000)
  endif()

  if(rel MATCHES "^(bugs|history)/([^/]+)\\.scn$")
    set(bug ${CMAKE_MATCH_2})
    set(_labels "scenario;bug")
    if(CMAKE_MATCH_1 STREQUAL "history")
      set(_labels "scenario;bug;history")
    endif()
    add_test(NAME bug/${bug}/clean
             COMMAND ${VFIOSIM_SCN_CHECK} bug-clean $<TARGET_FILE:vfiosim> ${VFIOSIM_SCN_ROOT} ${rel})
    add_test(NAME bug/${bug}/caught
             COMMAND ${VFIOSIM_SCN_CHECK} bug-caught $<TARGET_FILE:vfiosim> ${VFIOSIM_SCN_ROOT} ${rel}
                     ${VFIOSIM_BUGS_TXT})
    add_test(NAME bug/${bug}/replay
             COMMAND ${VFIOSIM_SCN_CHECK} bug-replay $<TARGET_FILE:vfiosim> ${VFIOSIM_SCN_ROOT} ${rel})
    set(_tests bug/${bug}/clean bug/${bug}/caught bug/${bug}/replay)
    # "<bug> <reasons> <random yes|no> <pct yes|no>"
    set(_random no)
    set(_pct no)
    foreach(line IN LISTS _vfiosim_bug_lines)
      string(REGEX REPLACE "[ \t]+" ";" fields "${line}")
      list(GET fields 0 name)
      if(name STREQUAL bug)
        list(LENGTH fields nf)
        if(nf GREATER 3)
          list(GET fields 2 _random)
          list(GET fields 3 _pct)
        endif()
      endif()
    endforeach()
    foreach(strategy random pct)
      if(_${strategy} STREQUAL "yes")
        add_test(NAME bug/${bug}/${strategy}
                 COMMAND ${VFIOSIM_SCN_CHECK} bug-caught $<TARGET_FILE:vfiosim> ${VFIOSIM_SCN_ROOT} ${rel}
                         ${VFIOSIM_BUGS_TXT} --explore=${strategy} --schedules=2000 --seed=1)
        list(APPEND _tests bug/${bug}/${strategy})
      endif()
    endforeach()
    set_tests_properties(${_tests} PROPERTIES TIMEOUT ${VFIOSIM_SCN_TIMEOUT} LABELS "${_labels}"
                         ENVIRONMENT VFIOSIM_CHECK_DISCIPLINE=1)
  endif()
endforeach()

# Every catalogued mutant has scenarios/bugs/<name>.scn (or history/) and a line in bugs.txt.
add_test(NAME bug-catalogue/coverage
         COMMAND ${VFIOSIM_SCN_CHECK} coverage $<TARGET_FILE:vfiosim> ${VFIOSIM_SCN_ROOT} ${VFIOSIM_BUGS_TXT})
set_tests_properties(bug-catalogue/coverage PROPERTIES TIMEOUT 60 LABELS "scenario;bug")
