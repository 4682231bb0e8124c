# A Debian package of everything `cmake --install` installs: the asyncc
# tool, the runtime (static and shared), the headers, the CMake package,
# the pkg-config files and whatever else has install() rules (asyncrt_tls
# when OpenSSL was found).  In the build directory:
#
#   cpack -G DEB            # asyncc_<version>_<arch>.deb, prefix /usr
#
# Dependencies: the shared libraries the files link (libclang's runtime
# package, libc) come from dpkg-shlibdeps when it is installed (Debian's
# dpkg-dev), else they are named here; libclang's built-in headers
# (stddef.h, ...), which asyncc needs to parse any file, are in
# libclang-common-<version>-dev, named explicitly.
# Included by the top-level CMakeLists.txt only when asyncc is the main
# project, not when it is a subdirectory of another.

set(CPACK_PACKAGE_NAME asyncc)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "async/await for C: the asyncc transpiler and the asyncrt runtime")
set(CPACK_PACKAGE_DESCRIPTION
    "asyncc rewrites C functions marked async, with await expressions, into state machines in plain C11 that link against asyncrt, an event loop with timers, tasks, epoll I/O and worker threads.  The package holds the asyncc tool, the runtime as static and shared libraries, its headers, a CMake package (find_package(asyncc)) and pkg-config files.")
set(ASYNCC_PACKAGE_CONTACT "asyncc developers <asyncc@localhost>"
    CACHE STRING "The Maintainer field of the Debian package")
set(CPACK_PACKAGE_CONTACT "${ASYNCC_PACKAGE_CONTACT}")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# libasyncrt.so.0: a shlibs file and the ldconfig trigger.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)

set(_deps)
if(LibClang_VERSION)
  list(APPEND _deps "libclang-common-${LibClang_VERSION}-dev")
endif()
find_program(ASYNCC_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(ASYNCC_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  message(STATUS "dpkg-shlibdeps not found (Debian's dpkg-dev): the .deb "
                 "names libc6 and libclang's package itself")
  list(APPEND _deps libc6)
  if(LibClang_VERSION)
    list(APPEND _deps "libclang1-${LibClang_VERSION}")
  endif()
endif()
list(JOIN _deps ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
# What building a program with the package takes: a C compiler and the C
# library's headers (asyncc parses with them too), and pkg-config for the
# Make recipe; with asyncrt_tls, OpenSSL's headers (asyncrt-tls.pc
# requires libssl and libcrypto).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gcc | c-compiler, libc6-dev, pkg-config")
if(ASYNCC_HAVE_TLS)
  string(APPEND CPACK_DEBIAN_PACKAGE_RECOMMENDS ", libssl-dev")
endif()

include(CPack)
