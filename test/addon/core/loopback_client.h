// A blocking TCP client socket connected to 127.0.0.1:port, for the core tests
// that talk to a real LanServer. Reads and writes time out after `timeout`, so
// a server that never answers fails a test instead of hanging it.
// The same calls on Linux and on Windows (the tests built with TARGET=windows
// run under Wine): the socket is the core's SocketHandle, errors are not looked at.
#pragma once

#include "platform.h"

#ifndef _WIN32
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#endif

#include <cstddef>
#include <cstdint>

namespace lanstress {
namespace test {

// The connected socket, or kInvalidSocket.
inline SocketHandle connectLoopback(uint16_t port, timeval timeout) {
  if (!platform::netStartup(nullptr)) return kInvalidSocket;
#ifdef _WIN32
  SocketHandle fd = ::socket(AF_INET, SOCK_STREAM, 0);
#else
  SocketHandle fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
#endif
  if (fd == kInvalidSocket) return kInvalidSocket;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    platform::closeSocket(fd);
    return kInvalidSocket;
  }
#ifdef _WIN32
  DWORD ms = static_cast<DWORD>(timeout.tv_sec * 1000 + timeout.tv_usec / 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char*>(&ms), sizeof ms);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, reinterpret_cast<const char*>(&ms), sizeof ms);
#else
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
#endif
  return fd;
}

// send() and recv() as the tests use them: blocking (up to the timeout) or
// without waiting (MSG_DONTWAIT; on Windows the socket is switched to
// non-blocking for the call). Never SIGPIPE. Return what send/recv return.
inline long sendBytes(SocketHandle fd, const void* buf, size_t len, bool wait = true) {
#ifdef _WIN32
  u_long nb = wait ? 0 : 1;
  ::ioctlsocket(fd, FIONBIO, &nb);
  return ::send(fd, static_cast<const char*>(buf), static_cast<int>(len), 0);
#else
  return ::send(fd, buf, len, MSG_NOSIGNAL | (wait ? 0 : MSG_DONTWAIT));
#endif
}

inline long recvBytes(SocketHandle fd, void* buf, size_t len, bool wait = true) {
#ifdef _WIN32
  u_long nb = wait ? 0 : 1;
  ::ioctlsocket(fd, FIONBIO, &nb);
  return ::recv(fd, static_cast<char*>(buf), static_cast<int>(len), 0);
#else
  return ::recv(fd, buf, len, wait ? 0 : MSG_DONTWAIT);
#endif
}

// close() with FIN, or with RST (linger {1, 0}).
inline void closeClient(SocketHandle fd, bool reset = false) {
  if (reset) platform::abortiveClose(fd);
  else platform::closeSocket(fd);
}

// A write to a reset peer must fail, not kill the test (no SIGPIPE on Windows).
inline void ignoreSigpipe() {
#ifndef _WIN32
  ::signal(SIGPIPE, SIG_IGN);
#endif
}

}  // namespace test
}  // namespace lanstress
