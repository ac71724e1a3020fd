# cmake --install: the binary, the static library with its public headers, a
# CMake package (find_package(Switchboard) -> Switchboard::switchboard), a
# pkg-config file, the systemd unit and the example config.
include(CMakePackageConfigHelpers)

install(TARGETS switchboard RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(TARGETS switchboard_core EXPORT SwitchboardTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/switchboard
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)

set(SB_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Switchboard)
install(EXPORT SwitchboardTargets NAMESPACE Switchboard::
  DESTINATION ${SB_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/SwitchboardConfig.cmake.in
  ${CMAKE_BINARY_DIR}/SwitchboardConfig.cmake INSTALL_DESTINATION ${SB_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/SwitchboardConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/SwitchboardConfig.cmake
  ${CMAKE_BINARY_DIR}/SwitchboardConfigVersion.cmake
  DESTINATION ${SB_CMAKE_DIR} COMPONENT dev)

file(RELATIVE_PATH SB_PC_RELPREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
configure_file(${PROJECT_SOURCE_DIR}/cmake/switchboard.pc.in
  ${CMAKE_BINARY_DIR}/switchboard.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/switchboard.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# Relative to the prefix, so that `cmake --install --prefix /tmp/x` works
# unprivileged; the .deb (prefix /usr) puts it in /usr/lib/systemd/system.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/switchboard.service
  DESTINATION lib/systemd/system COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/config/switchboard.example.toml
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/switchboard COMPONENT runtime)

# `cmake --install --strip` (and the .deb) strip the binary; the static
# library keeps its symbols and loses only its debug info (~200 MB of it).
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug
      \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/libswitchboard.a\")
  endif()" COMPONENT dev)
