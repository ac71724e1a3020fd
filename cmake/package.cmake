# cpack -G DEB: two packages, as Debian splits a server and its library:
#   switchboard          the binary, the systemd unit, the example config
#   libswitchboard-dev   the static library, headers, CMake and pkg-config files
set(CPACK_PACKAGE_NAME switchboard)
set(CPACK_PACKAGE_VENDOR "Switchboard")
set(CPACK_PACKAGE_CONTACT "Switchboard maintainers <maintainers@switchboard.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Real-time gateway: Socket.IO v4 server, broker bridges, SSE, notification inbox")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/switchboard/switchboard")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME switchboard)
# Depends: from the shared libraries the binary links (dpkg-shlibdeps): on
# Debian 12 libssl3, libfmt9, libspdlog1.10-fmt9, libjwt0, libhiredis0.14,
# libnats3.4, librdkafka1, libsqlite3-0, libtomlplusplus3; adduser for the postinst.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SUGGESTS "redis-server, nats-server")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
  ${PROJECT_SOURCE_DIR}/packaging/deb/prerm
  ${PROJECT_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libswitchboard-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# A static library: what it links, the program using it links too (the -dev
# packages of scripts/install-deps.sh); Boost.JSON's headers are in its API.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libboost1.81-dev, libssl-dev, libfmt-dev, libspdlog-dev, libtomlplusplus-dev, libjwt-dev, libhiredis-dev, libnats-dev, librdkafka-dev, libsqlite3-dev, libmsgpuck-dev, pkg-config")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
  "Switchboard real-time gateway server (Socket.IO v4, SSE, Redis/NATS/Kafka bridges)")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "Switchboard C++ library: embed the gateway and add handlers (find_package(Switchboard))")
include(CPack)
