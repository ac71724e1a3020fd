#pragma once
// Real servers for integration tests: starts a program (redis-server,
// nats-server) as a child process, and kills and reaps it on destruction.
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace sb::test {

class ChildProcess {
 public:
  // Starts `program` (a path, or a name looked up in PATH, /usr/sbin, /usr/bin)
  // with `args`. Output goes to /dev/null unless SB_TEST_SERVER_LOGS is set.
  // Throws std::runtime_error when the program cannot be started.
  ChildProcess(const std::string& program, const std::vector<std::string>& args);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Sends `sig` and waits until the process is gone.
  void kill(int sig);
  // SIGSTOP, returning once every thread of it has stopped (kill() alone
  // returns before: a request in flight could still be served); resume() SIGCONTs.
  void pause();
  void resume();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// Full path of a program, or "" when not installed.
std::string find_program(const std::string& name);
// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0).
int free_tcp_port();
// Whether something accepts TCP connections on 127.0.0.1:port before the deadline.
bool wait_for_port(int port, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace sb::test
