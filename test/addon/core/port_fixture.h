// Helpers for the tests that drive one CompletionPort directly (no LanServer):
// a connected loopback pair, and waits that say what came back. Shared by
// iocp_port_test (Windows, under Wine) and uring_recv_test (Linux).
#pragma once

#include <cerrno>
#include <chrono>
#include <thread>

#include "check.h"
#include "completion_port.h"
#include "ip_address.h"
#include "loopback_client.h"

namespace lanstress {
namespace test {

// Waits up to about 2 s for exactly one completion (more in the same wait is a failure).
inline bool waitOne(CompletionPort& port, Completion* out) {
  Completion cs[4];
  for (int i = 0; i < 20; ++i) {
    int n = port.wait(cs, 4, 100);
    if (n < 0) return false;
    if (n == 0) continue;
    CHECK_EQ(n, 1);
    *out = cs[0];
    return true;
  }
  return false;
}

// A connected pair on loopback: the server side (accepted, as the accept
// thread hands it to associate()) and a blocking client (loopback_client.h).
inline bool pair(SocketHandle* server, SocketHandle* client) {
  in_addr lo{};
  lo.s_addr = htonl(INADDR_LOOPBACK);
  sockaddr_storage addr{};
  int addrLen = toSockaddr(IpAddress::fromV4(lo), 0, &addr);
  SocketHandle listener = kInvalidSocket;
  sockaddr_storage bound{};
  const char* what = nullptr;
  if (platform::listenTcp(addr, addrLen, 4, &listener, &bound, &what) != 0) return false;
  *client = connectLoopback(ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port), timeval{2, 0});
  sockaddr_storage peer{};
  int rc = EAGAIN;
  for (int i = 0; i < 100 && rc == EAGAIN; ++i) {
    rc = platform::acceptOne(listener, server, &peer);
    if (rc == EAGAIN) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  platform::closeSocket(listener);
  return rc == 0 && *client != kInvalidSocket;
}

}  // namespace test
}  // namespace lanstress
