# The ThreadSanitizer run (tests/tsan.sh) as a ctest, only on request: it
# builds a second tree (build-tsan), which doubles build time.
#   cmake -B build -DVFIOSIM_TSAN_TESTS=ON && ctest --test-dir build -R tsan
option(VFIOSIM_TSAN_TESTS "register the ThreadSanitizer build+run (tests/tsan.sh) as ctest 'tsan'" OFF)
if(VFIOSIM_TSAN_TESTS)
  add_test(NAME tsan COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/tsan.sh ${CMAKE_BINARY_DIR}-tsan)
  set_tests_properties(tsan PROPERTIES TIMEOUT 3600 RUN_SERIAL TRUE)
endif()
