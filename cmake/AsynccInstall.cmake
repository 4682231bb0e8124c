# Installs the CMake package (lib/cmake/asyncc: asynccConfig.cmake, its
# version file, the exported targets asyncc::asyncc, asyncc::runtime,
# asyncc::runtime_shared and, when OpenSSL was found, asyncc::tls, and
# AsynccTranspile.cmake) and the pkg-config files lib/pkgconfig/asyncrt.pc
# and (with TLS) asyncrt-tls.pc.  The targets' own install rules are in
# runtime/ and transpiler/.
include(CMakePackageConfigHelpers)

set(ASYNCC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/asyncc
    CACHE STRING "Where the asyncc CMake package is installed")

install(EXPORT asynccTargets
  NAMESPACE asyncc::
  FILE asynccTargets.cmake
  DESTINATION ${ASYNCC_INSTALL_CMAKEDIR})

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/asynccConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/asynccConfig.cmake
  INSTALL_DESTINATION ${ASYNCC_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/asynccConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/asynccConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/asynccConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/AsynccTranspile.cmake
  DESTINATION ${ASYNCC_INSTALL_CMAKEDIR})

# The .pc file is relocatable: prefix is found from its own place
# (${pcfiledir}), so `cmake --install --prefix` anywhere gives a usable file.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(ASYNCC_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _rel "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" _rel "${_rel}")
  set(ASYNCC_PC_PREFIX "\${pcfiledir}/${_rel}")
endif()
foreach(_d LIBDIR INCLUDEDIR BINDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_d}}")
    set(ASYNCC_PC_${_d} "${CMAKE_INSTALL_${_d}}")
  else()
    set(ASYNCC_PC_${_d} "\${prefix}/${CMAKE_INSTALL_${_d}}")
  endif()
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/asyncrt.pc.in
               ${CMAKE_CURRENT_BINARY_DIR}/asyncrt.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/asyncrt.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(ASYNCC_HAVE_TLS)
  # asyncrt-tls.pc: the TLS library, which needs asyncrt and OpenSSL's
  # libssl and libcrypto (their own .pc files, from libssl-dev).
  configure_file(${CMAKE_CURRENT_LIST_DIR}/asyncrt-tls.pc.in
                 ${CMAKE_CURRENT_BINARY_DIR}/asyncrt-tls.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/asyncrt-tls.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()
