# asyncc_target_sources(<target> [PRIVATE|PUBLIC|INTERFACE] <source>...)
#
# Adds sources written in the asyncc dialect to an existing target: each
# source is transpiled by asyncc as a build step into the build tree
# (<current binary dir>/<target>.dir/<stem>.async.c, never the source
# tree), the outputs become the target's sources (with the given scope,
# PRIVATE by default) and the target links the runtime (asyncc::runtime,
# or ASYNCC_RUNTIME_TARGET if set).  asyncc parses each file as the
# compiler will see it: it gets the target's include directories (-I),
# compile definitions (-D) and C standard as CMake gives it to the
# compiler (-std=gnu<C_STANDARD> while C_EXTENSIONS is on, as it is by
# default, -std=c<C_STANDARD> when it is off, nothing without a
# standard), then the runtime's include directory, and the target's
# warning options (its COMPILE_OPTIONS that start with -W, and -w and
# -pedantic), after -Wno-unknown-warning-option so that gcc's own
# options do not trouble libclang: asyncc reports the warnings they ask
# for in async code at the user's lines (as errors under -Werror), as
# the compiler would for the untranspiled source.  The input is named by
# its absolute path, as CMake names sources to the compiler, so the
# output's #line directives and __FILE__ are what a build of the
# untranspiled source would have.  Call it in the directory that creates
# the target.
#
# asyncc_add_executable(<name> <source>...)
#
# add_executable(<name>) followed by asyncc_target_sources(<name> PRIVATE
# <source>...).
#
# The tool is the asyncc::asyncc target: the built `asyncc` when this
# repository is part of the build (add_subdirectory), the installed one
# with find_package(asyncc).  ASYNCC_DEPFILE (option) makes asyncc write
# a Make-style depfile per source (-MD -MF <out>.d) so that changes to
# included headers re-run it; it defaults to ON when the installed
# asyncc's --help mentions -MF, and for the tool built from this source
# tree, which writes them.

if(CMAKE_VERSION VERSION_LESS 3.15)
  message(FATAL_ERROR "AsynccTranspile.cmake needs CMake 3.15 or newer")
endif()

# Functions keep the policies in effect where they are defined: DEPFILE
# paths are taken relative to the current binary directory (CMP0116).
if(POLICY CMP0116)
  cmake_policy(SET CMP0116 NEW)
endif()

if(NOT DEFINED ASYNCC_DEPFILE)
  set(_asyncc_depfile_default OFF)
  if(DEFINED ASYNCC_EXECUTABLE AND EXISTS "${ASYNCC_EXECUTABLE}")
    execute_process(COMMAND "${ASYNCC_EXECUTABLE}" --help
                    OUTPUT_VARIABLE _asyncc_help ERROR_VARIABLE _asyncc_help
                    RESULT_VARIABLE _asyncc_rc)
    if(_asyncc_help MATCHES "-MF")
      set(_asyncc_depfile_default ON)
    endif()
  elseif(TARGET asyncc)
    # The tool built from this source tree, which writes depfiles.
    get_target_property(_asyncc_imported asyncc IMPORTED)
    if(NOT _asyncc_imported)
      set(_asyncc_depfile_default ON)
    endif()
  endif()
  option(ASYNCC_DEPFILE
         "Let asyncc write depfiles (-MD -MF) for header dependencies"
         ${_asyncc_depfile_default})
endif()
if(ASYNCC_DEPFILE AND CMAKE_VERSION VERSION_LESS 3.20
   AND NOT CMAKE_GENERATOR MATCHES "Ninja")
  message(STATUS "asyncc: depfiles need CMake >= 3.20 with ${CMAKE_GENERATOR}; not used")
  set(ASYNCC_DEPFILE OFF)
endif()

# The target behind a name that may be an ALIAS.
function(_asyncc_real_target out name)
  get_target_property(_aliased ${name} ALIASED_TARGET)
  if(_aliased)
    set(${out} ${_aliased} PARENT_SCOPE)
  else()
    set(${out} ${name} PARENT_SCOPE)
  endif()
endfunction()

function(asyncc_target_sources target)
  if(NOT TARGET ${target})
    message(FATAL_ERROR "asyncc_target_sources: no target '${target}'")
  endif()
  set(_scope PRIVATE)
  set(_srcs ${ARGN})
  list(GET _srcs 0 _first)
  if(_first MATCHES "^(PRIVATE|PUBLIC|INTERFACE)$")
    set(_scope ${_first})
    list(REMOVE_AT _srcs 0)
  endif()
  if(NOT _srcs)
    message(FATAL_ERROR "asyncc_target_sources(${target}): no sources")
  endif()

  if(NOT TARGET asyncc::asyncc)
    message(FATAL_ERROR "asyncc_target_sources: the asyncc::asyncc target is "
                        "missing: find_package(asyncc) or add_subdirectory "
                        "asyncc first")
  endif()
  _asyncc_real_target(_tool asyncc::asyncc)
  get_target_property(_tool_imported ${_tool} IMPORTED)
  if(_tool_imported)
    set(_tool_dep "$<TARGET_FILE:${_tool}>") # a file, not a target to build
  else()
    set(_tool_dep ${_tool})
  endif()
  if(DEFINED ASYNCC_RUNTIME_TARGET)
    set(_runtime ${ASYNCC_RUNTIME_TARGET})
  else()
    set(_runtime asyncc::runtime)
  endif()
  _asyncc_real_target(_runtime_real ${_runtime})

  set(_incs "$<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>")
  set(_defs "$<TARGET_PROPERTY:${target},COMPILE_DEFINITIONS>")
  # The -std= CMake passes: C_STANDARD and C_EXTENSIONS are evaluated at
  # generation time, so properties set after this call count; both start
  # from CMAKE_C_STANDARD and CMAKE_C_EXTENSIONS, and extensions are on
  # unless set off.  Without a standard, CMake passes none (the
  # compiler's default, as libclang's), or, with extensions off, the
  # compiler's default standard without them.
  set(_std "$<TARGET_PROPERTY:${target},C_STANDARD>")
  set(_ext "$<TARGET_PROPERTY:${target},C_EXTENSIONS>")
  set(_gnu "$<OR:$<STREQUAL:${_ext},>,$<BOOL:${_ext}>>")
  set(_std_name "$<IF:$<STREQUAL:${_std},23>,2x,${_std}>")
  set(_std_default "")
  if(CMAKE_C_STANDARD_DEFAULT)
    set(_std_default "-std=c${CMAKE_C_STANDARD_DEFAULT}")
  endif()
  set(_std_flag "$<IF:$<BOOL:${_std}>,-std=$<IF:${_gnu},gnu,c>${_std_name},$<$<NOT:${_gnu}>:${_std_default}>>")
  # The runtime's include directory comes with the target's own (through
  # the link to it) and is named again in case the target's include
  # directories are overridden.
  set(_rt_incs "$<TARGET_PROPERTY:${_runtime_real},INTERFACE_INCLUDE_DIRECTORIES>")
  set(_all_incs "$<REMOVE_DUPLICATES:${_incs};${_rt_incs}>")

  # The warnings the compiler is asked for, so that asyncc reports the
  # same about async code (which the compiler only sees transpiled).
  set(_warn "$<FILTER:$<TARGET_PROPERTY:${target},COMPILE_OPTIONS>,INCLUDE,^-W|^-w$|^-pedantic$>")

  set(_dir "${CMAKE_CURRENT_BINARY_DIR}/${target}.dir")
  set(_outs)
  foreach(_src IN LISTS _srcs)
    get_filename_component(_abs "${_src}" ABSOLUTE)
    get_filename_component(_stem "${_src}" NAME_WE)
    set(_out "${_dir}/${_stem}.async.c")
    set(_dep_args)
    set(_dep_opt)
    if(ASYNCC_DEPFILE)
      set(_dep_args -MD -MF "${_out}.d")
      set(_dep_opt DEPFILE "${_out}.d")
    endif()
    add_custom_command(
      OUTPUT "${_out}"
      COMMAND ${CMAKE_COMMAND} -E make_directory "${_dir}"
      COMMAND $<TARGET_FILE:${_tool}> "${_abs}" -o "${_out}" ${_dep_args}
              --
              "$<$<BOOL:${_all_incs}>:-I$<JOIN:${_all_incs},;-I>>"
              "$<$<BOOL:${_defs}>:-D$<JOIN:${_defs},;-D>>"
              "${_std_flag}"
              -Wno-unknown-warning-option
              "${_warn}"
      DEPENDS ${_tool_dep} "${_abs}"
      ${_dep_opt}
      COMMENT "asyncc ${_src}"
      COMMAND_EXPAND_LISTS
      VERBATIM)
    # The generated file lives in the build tree: its #include "x.h" must
    # still find x.h next to the original source, as the compiler would.
    get_filename_component(_src_dir "${_abs}" DIRECTORY)
    set_property(SOURCE "${_out}" APPEND PROPERTY COMPILE_OPTIONS
                 "-iquote" "${_src_dir}")
    list(APPEND _outs "${_out}")
  endforeach()
  target_sources(${target} ${_scope} ${_outs})
  target_link_libraries(${target} ${_scope} ${_runtime})

  # For editors: compile_commands.json lists the generated files, whose
  # #line directives point at the originals, and, through this target
  # that is never built by default, the original sources themselves with
  # __ASYNCC__ defined, as asyncc parses them, so clangd and the like
  # check the dialect with the target's flags instead of guessing.
  set(_edit ${target}_asyncc_sources)
  if(NOT TARGET ${_edit})
    add_library(${_edit} OBJECT EXCLUDE_FROM_ALL)
    target_compile_definitions(${_edit} PRIVATE __ASYNCC__=1 ${_defs})
    target_include_directories(${_edit} PRIVATE ${_all_incs})
    target_compile_options(${_edit} PRIVATE "${_std_flag}")
  endif()
  foreach(_src IN LISTS _srcs)
    get_filename_component(_abs "${_src}" ABSOLUTE)
    target_sources(${_edit} PRIVATE "${_abs}")
  endforeach()
endfunction()

function(asyncc_add_executable name)
  add_executable(${name})
  asyncc_target_sources(${name} PRIVATE ${ARGN})
endfunction()
