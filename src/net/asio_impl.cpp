// Asio's compiled part (io_context, reactor, socket ops, SSL engine), once for
// the whole program. Everything that links switchboard_core is built with
// BOOST_ASIO_SEPARATE_COMPILATION (CMakeLists.txt), so the other translation
// units only declare these functions instead of compiling them again: a
// quarter less CPU on an Asio-heavy file.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
