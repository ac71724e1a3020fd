#pragma once
// An Engine.IO application that sends every message back: the server the
// official Engine.IO test suite expects at /engine.io/.
#include "gateways/client/eio_session.hpp"
#include "net/wire.hpp"

namespace sb::eio {

class EchoApp : public EioApp {
 public:
  explicit EchoApp(EioSession& s) : session_(s) {}
  void on_message(std::string_view text) override { session_.send(net::make_text_wire('4', text)); }
  void on_binary(std::string_view bytes) override { session_.send(net::make_binary_wire(bytes)); }
  void on_close(const char*) override {}

 private:
  EioSession& session_;
};

}  // namespace sb::eio
