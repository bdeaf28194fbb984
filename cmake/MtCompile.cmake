# Warning flags and sanitizer settings shared by every target of the project.

set(MT_WARNINGS
    -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Wstrict-prototypes
    -Wmissing-prototypes -Wvla -Wnull-dereference -Wundef -Wcast-qual)
if(MT_WERROR)
    list(APPEND MT_WARNINGS -Werror)
endif()

add_compile_definitions(_POSIX_C_SOURCE=200809L _DEFAULT_SOURCE)

if(MT_SANITIZE)
    add_compile_options(-fsanitize=${MT_SANITIZE} -fno-omit-frame-pointer
                        -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${MT_SANITIZE})
endif()

# A fuzzing build instruments every library for coverage and checks it with
# the sanitizers: libFuzzer is guided only by code built this way.
if(MT_FUZZ)
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                        -fno-sanitize-recover=all)
    add_link_options(-fsanitize=address,undefined)
endif()

# mt_add_library(NAME SOURCES... DEPENDS targets...)
# Builds the static library mt_NAME from lib/NAME with the project's warnings.
function(mt_add_library name)
    cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
    add_library(mt_${name} STATIC ${ARG_SOURCES})
    target_include_directories(mt_${name}
        PUBLIC ${PROJECT_SOURCE_DIR}/include
        PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
    target_compile_options(mt_${name} PRIVATE ${MT_WARNINGS})
    set_target_properties(mt_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    if(ARG_DEPENDS)
        target_link_libraries(mt_${name} PUBLIC ${ARG_DEPENDS})
    endif()
endfunction()
