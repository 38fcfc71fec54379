// The platform layer: the few things the shared core (lan_server, session,
// completion_port.h, ...) needs from the operating system, so that it builds
// unchanged on Linux (platform_posix.cpp) and on Windows (platform_win.cpp).
// The completion ports are the other platform-specific part: epoll_port.cpp
// and io_uring_port.cpp on Linux, iocp_port.cpp on Windows (completion_port.h).
//
// What it gives:
//   SocketHandle / kInvalidSocket   int and -1 on POSIX, SOCKET and INVALID_SOCKET on Windows
//   iovec                           <sys/uio.h> on POSIX; on Windows the same two members,
//                                   copied into WSABUFs by iocp_port.cpp at post time
//                                   (WSABUF puts its ULONG length first, so it cannot be
//                                   the core's type without changing every user)
//   error codes                     errno values everywhere: a Winsock or Win32 error is
//                                   mapped to its errno twin (WSAECONNRESET -> ECONNRESET),
//                                   so the core compares -ECONNRESET on every platform
//   socket calls                    close, abortive close (linger {1, 0}), shutdown both ways,
//                                   TCP_NODELAY, SO_SNDBUF, the listener and accept
//   AcceptWaiter                    what the accept thread blocks on: "a connection waits"
//                                   or "stop" (poll on the listener and an eventfd on Linux;
//                                   WSAPoll with a short timeout and a flag on Windows)
#pragma once

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#else
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/uio.h>
#endif

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#ifdef _WIN32
// POSIX's scatter/gather element, for the core's ring and send queue.
struct iovec {
  void* iov_base;
  size_t iov_len;
};
#endif

namespace lanstress {

#ifdef _WIN32
using SocketHandle = SOCKET;  // UINT_PTR: a kernel handle
constexpr SocketHandle kInvalidSocket = INVALID_SOCKET;
#else
using SocketHandle = int;
constexpr SocketHandle kInvalidSocket = -1;
#endif

namespace platform {

// WSAStartup once per process (nothing on POSIX). Any thread, any number of
// times; true when sockets can be used. Called by resolveHost and LanServer::start.
bool netStartup(std::string* error);

// The error of the last failed socket call on this thread, as an errno value.
int lastSocketError();
#ifdef _WIN32
// A Winsock (WSA*) or Win32 (ERROR_*) code as its errno value (EIO when it has none).
int errnoFromSystem(unsigned long code);
// A completion packet's NTSTATUS (OVERLAPPED_ENTRY::Internal) as its errno value.
int errnoFromNtStatus(uint32_t status);
#endif
// strerror for an errno value, thread-safe.
std::string errorText(int err);

void closeSocket(SocketHandle s);
// The seed's linger {1, 0}: close with RST, unsent data dropped, no TIME_WAIT left behind.
void abortiveClose(SocketHandle s);
// shutdown(SHUT_RDWR / SD_BOTH): the peer sees the end, our pending recv completes.
void shutdownBoth(SocketHandle s);
void setNoDelay(SocketHandle s);
// SO_SNDBUF = bytes (0 included: on Windows the seed's "every send goes straight
// from our buffer to the stack"; Linux raises 0 to its minimum, about 4.6 KB).
void setSendBuffer(SocketHandle s, int bytes);

// A listening TCP socket on the address `addr` (an AF_INET or AF_INET6
// sockaddr of addrLen bytes; IPv6 sockets are IPV6_V6ONLY, so ::1 never takes
// IPv4 peers), non-blocking, SO_REUSEADDR on POSIX, SO_EXCLUSIVEADDRUSE on
// Windows (where SO_REUSEADDR would let another process steal the port). 0,
// *out and the bound address (the port resolved), or an errno value (*what
// names the failed call).
int listenTcp(const sockaddr_storage& addr, int addrLen, int backlog, SocketHandle* out, sockaddr_storage* bound,
              const char** what);

// One pending connection from a non-blocking listener. 0 and *out (a
// non-blocking socket; the port may change its mode at associate), EAGAIN when
// none waits, or another errno value.
int acceptOne(SocketHandle listener, SocketHandle* out, sockaddr_storage* peer);

// Memory the kernel hands out a page at a time, on first touch (mmap
// MAP_NORESERVE; VirtualAlloc on Windows). nullptr when it cannot be had.
void* mapAnonymous(size_t bytes);
void unmapAnonymous(void* p, size_t bytes);
// The pages may be dropped: their contents are gone (they read as zeros on
// Linux, are undefined on Windows) and they cost nothing until touched again.
void discardPages(void* p, size_t bytes);
size_t pageSize();

// What the accept thread waits on. wake() is async-signal-unsafe but thread-safe.
class AcceptWaiter {
 public:
  enum class Result { Ready, Woken, Error };
  virtual ~AcceptWaiter() = default;
  // Blocks until the listener has a connection waiting (Ready), wake() was
  // called (Woken, for good), or the wait fails (Error, *err an errno value).
  virtual Result wait(SocketHandle listener, int* err) = 0;
  // Blocks up to ms or until woken; true when woken. (The back-off after EMFILE.)
  virtual bool sleep(int ms) = 0;
  virtual void wake() = 0;
};
// nullptr and *err (an errno value) when it cannot be made.
std::unique_ptr<AcceptWaiter> createAcceptWaiter(int* err);

}  // namespace platform
}  // namespace lanstress
