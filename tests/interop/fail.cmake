# Used by tests that must fail with a message, e.g. when node is missing: cmake -DMSG=... -P fail.cmake
message(FATAL_ERROR "${MSG}")
