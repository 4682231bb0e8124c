# asyncc_add_executable(<name> <source>...)
#
# Builds an executable from sources written in the asyncc dialect: each
# source is transpiled by asyncc into the build tree (never the source
# tree) as a build step, the outputs are compiled as the target's sources
# and the target links the asyncrt runtime.  The target's include
# directories are passed to asyncc so that its parse sees what the
# compiler will see.
function(asyncc_add_executable name)
  set(_outs)
  set(_incs "$<TARGET_PROPERTY:${name},INCLUDE_DIRECTORIES>")
  foreach(_src IN LISTS ARGN)
    get_filename_component(_abs "${_src}" ABSOLUTE)
    get_filename_component(_stem "${_src}" NAME_WE)
    set(_out "${CMAKE_CURRENT_BINARY_DIR}/${name}.dir/${_stem}.async.c")
    add_custom_command(
      OUTPUT "${_out}"
      COMMAND ${CMAKE_COMMAND} -E make_directory "${CMAKE_CURRENT_BINARY_DIR}/${name}.dir"
      COMMAND $<TARGET_FILE:asyncc> "${_abs}" -o "${_out}" --
              "$<$<BOOL:${_incs}>:-I$<JOIN:${_incs},;-I>>"
              -std=c11
      DEPENDS asyncc "${_abs}" ${ASYNCC_RUNTIME_HEADER}
      COMMENT "asyncc ${_src}"
      COMMAND_EXPAND_LISTS
      VERBATIM)
    list(APPEND _outs "${_out}")
  endforeach()
  add_executable(${name} ${_outs})
  target_link_libraries(${name} PRIVATE asyncrt)
endfunction()
