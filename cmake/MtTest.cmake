# Test registration helpers.
#
# mt_add_unit_test(NAME SOURCE DEPENDS targets... [LABELS labels...] [TIMEOUT seconds])
# builds one cmocka executable and registers each case in it as its own CTest
# test.  Cases are found by scanning SOURCE for cmocka_unit_test(case_name);
# the executable runs a single case when given its name as the argument.
# Case names start with test_; a file may wrap cmocka_unit_test_setup_teardown
# in a macro named MT_CASE.

function(mt_add_unit_test name source)
    cmake_parse_arguments(ARG "" "TIMEOUT" "DEPENDS;LABELS" ${ARGN})
    add_executable(${name} ${source} ${PROJECT_SOURCE_DIR}/tests/harness/harness.c)
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/harness
                                               ${PROJECT_SOURCE_DIR}/lib)
    target_compile_options(${name} PRIVATE ${MT_WARNINGS} -Wno-missing-prototypes)
    target_compile_definitions(${name} PRIVATE
        MT_FIXTURES="${PROJECT_SOURCE_DIR}/tests/fixtures")
    target_link_libraries(${name} PRIVATE ${ARG_DEPENDS} PkgConfig::CMOCKA)
    if(NOT ARG_LABELS)
        set(ARG_LABELS unit)
    endif()

    file(READ ${source} text)
    string(REGEX MATCHALL "(cmocka_unit_test(_setup_teardown)?|MT_CASE)\\((test_[a-z0-9_]+)"
           calls "${text}")
    foreach(call IN LISTS calls)
        string(REGEX REPLACE ".*\\(" "" case "${call}")
        add_test(NAME ${case} COMMAND ${name} ${case})
        set_tests_properties(${case} PROPERTIES LABELS "${ARG_LABELS}")
        if(ARG_TIMEOUT)
            set_tests_properties(${case} PROPERTIES TIMEOUT ${ARG_TIMEOUT})
        endif()
    endforeach()
endfunction()
