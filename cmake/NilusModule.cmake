# nilus_module(NAME DIR [PUBLIC_DEPS ...] [PRIVATE_DEPS ...] [TEST_DEPS ...])
#
# Every module is one static library built from the *.cc files in its folder (tests excluded),
# plus one GoogleTest executable built from the *_test.cc files beside the code. Dependencies
# are declared here, so a module that includes a header of a module it does not list fails to
# compile: the layering in DESIGN.md is enforced by the build.
function(nilus_module name)
  cmake_parse_arguments(M "" "" "PUBLIC_DEPS;PRIVATE_DEPS;TEST_DEPS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  file(GLOB_RECURSE tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  if(tests)
    list(REMOVE_ITEM srcs ${tests})
  endif()
  if(NOT srcs)
    # A module whose code has not landed yet: headers only.
    add_library(nilus_${name} INTERFACE)
    target_include_directories(nilus_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(nilus_${name} INTERFACE ${M_PUBLIC_DEPS})
    return()
  endif()
  add_library(nilus_${name} STATIC ${srcs})
  target_include_directories(nilus_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(nilus_${name} PUBLIC ${M_PUBLIC_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  if(NILUS_BUILD_TESTS AND tests)
    add_executable(nilus_${name}_test ${tests})
    target_link_libraries(nilus_${name}_test PRIVATE nilus_${name} ${M_PRIVATE_DEPS} ${M_TEST_DEPS}
                          GTest::gtest GTest::gtest_main)
    gtest_discover_tests(nilus_${name}_test TEST_PREFIX "${name}." DISCOVERY_TIMEOUT 60
                         PROPERTIES LABELS unit)
  endif()
endfunction()
