# Finds libclang's C API (clang-c/Index.h and libclang.so).
#
# Looks through llvm-config (newest first) so that Debian's default
# libclang (14 on Debian 12) and newer ones installed beside it both work;
# LIBCLANG_ROOT overrides the search.  Defines the imported target
# LibClang::LibClang, LibClang_VERSION (the major version) and
# LibClang_FULL_VERSION.

set(_libclang_hints)
if(LIBCLANG_ROOT)
  list(APPEND _libclang_hints ${LIBCLANG_ROOT})
endif()
find_program(LLVM_CONFIG_EXECUTABLE
  NAMES llvm-config llvm-config-19 llvm-config-18 llvm-config-17
        llvm-config-16 llvm-config-15 llvm-config-14)
if(LLVM_CONFIG_EXECUTABLE AND NOT LIBCLANG_ROOT)
  execute_process(COMMAND ${LLVM_CONFIG_EXECUTABLE} --prefix
                  OUTPUT_VARIABLE _llvm_prefix OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET)
  if(_llvm_prefix)
    list(APPEND _libclang_hints ${_llvm_prefix})
  endif()
endif()
foreach(_v 19 18 17 16 15 14)
  list(APPEND _libclang_hints /usr/lib/llvm-${_v})
endforeach()

find_path(LibClang_INCLUDE_DIR clang-c/Index.h
  HINTS ${_libclang_hints} PATH_SUFFIXES include NO_DEFAULT_PATH)
find_library(LibClang_LIBRARY NAMES clang libclang
  HINTS ${_libclang_hints} PATH_SUFFIXES lib NO_DEFAULT_PATH)

if(LibClang_INCLUDE_DIR AND EXISTS "${LibClang_INCLUDE_DIR}/clang-c/Index.h")
  file(STRINGS "${LibClang_INCLUDE_DIR}/clang-c/Index.h" _minor
       REGEX "^#define CINDEX_VERSION_MINOR [0-9]+")
  string(REGEX MATCH "[0-9]+$" LibClang_CINDEX_MINOR "${_minor}")
endif()
get_filename_component(_libdir "${LibClang_LIBRARY}" DIRECTORY)
get_filename_component(LibClang_PREFIX "${_libdir}" DIRECTORY)
string(REGEX MATCH "llvm-([0-9]+)" _m "${LibClang_PREFIX}")
set(LibClang_VERSION "${CMAKE_MATCH_1}")
# LibClang_FULL_VERSION: the release (14.0.6) from the llvm-config beside
# the library, else the major version alone.
set(LibClang_FULL_VERSION "${LibClang_VERSION}")
if(EXISTS "${LibClang_PREFIX}/bin/llvm-config")
  execute_process(COMMAND "${LibClang_PREFIX}/bin/llvm-config" --version
                  OUTPUT_VARIABLE _full OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET)
  if(_full MATCHES "^[0-9]+\\.")
    set(LibClang_FULL_VERSION "${_full}")
    if(NOT LibClang_VERSION)
      string(REGEX MATCH "^[0-9]+" LibClang_VERSION "${_full}")
    endif()
  endif()
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(LibClang
  REQUIRED_VARS LibClang_LIBRARY LibClang_INCLUDE_DIR
  REASON_FAILURE_MESSAGE
    "asyncc needs libclang's C API: install the Debian package libclang-dev (apt-get install libclang-dev)")

if(LibClang_FOUND AND NOT TARGET LibClang::LibClang)
  add_library(LibClang::LibClang SHARED IMPORTED)
  set_target_properties(LibClang::LibClang PROPERTIES
    IMPORTED_LOCATION "${LibClang_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${LibClang_INCLUDE_DIR}")
endif()
