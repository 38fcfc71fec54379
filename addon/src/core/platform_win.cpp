// platform.h on Windows: Winsock 2, errors mapped to errno values.
#ifdef _WIN32

#include <atomic>
#include <cstring>
#include <mutex>

#include "errno_name.h"
#include "platform.h"

namespace lanstress {
namespace platform {

bool netStartup(std::string* error) {
  // Once per process; never WSACleanup'd (the process exit does it), so a
  // LanServer stopped on one thread cannot pull Winsock from under another.
  static int rc = [] {
    WSADATA data;
    return ::WSAStartup(MAKEWORD(2, 2), &data);
  }();
  if (rc != 0 && error) *error = "WSAStartup failed: " + std::to_string(rc);
  return rc == 0;
}

// A Winsock (WSA*) or Win32 (ERROR_*) code as the errno value the core compares.
// GetQueuedCompletionStatusEx reports the Win32 code of a failed overlapped
// operation (a reset peer is ERROR_NETNAME_DELETED there, WSAECONNRESET from
// WSARecv), so both spellings are mapped.
int errnoFromSystem(unsigned long code) {
  switch (code) {
    case 0: return 0;
    case WSAEWOULDBLOCK: return EAGAIN;
    case WSAEINTR: return EINTR;
    case WSAECONNRESET:
    case WSAENETRESET:
    case ERROR_NETNAME_DELETED:
    case ERROR_CONNECTION_ABORTED:  // the local side aborted (closesocket with linger 0)
      return ECONNRESET;
    // Windows reports a peer's reset during a pending send as an abort by "the
    // software in your host" as often as a reset: the peer is gone either way.
    case WSAECONNABORTED: return ECONNRESET;
    case WSAESHUTDOWN:  // a send after shutdown(SD_SEND): Linux says EPIPE
      return EPIPE;
    case WSA_OPERATION_ABORTED:  // == ERROR_OPERATION_ABORTED: CancelIoEx or closesocket
      return ECANCELED;
    case WSAENOTCONN: return ENOTCONN;
    case WSAETIMEDOUT:
    case ERROR_SEM_TIMEOUT:
      return ETIMEDOUT;
    case WSAEADDRINUSE: return EADDRINUSE;
    case WSAEADDRNOTAVAIL: return EADDRNOTAVAIL;
    case WSAEACCES:
    case ERROR_ACCESS_DENIED:
      return EACCES;
    case WSAEINVAL:
    case ERROR_INVALID_PARAMETER:
      return EINVAL;
    case WSAEMFILE: return EMFILE;
    case WSAENOBUFS: return ENOBUFS;
    case WSA_NOT_ENOUGH_MEMORY:  // == ERROR_NOT_ENOUGH_MEMORY
    case ERROR_OUTOFMEMORY:
      return ENOMEM;
    case WSAENOTSOCK:
    case ERROR_INVALID_HANDLE:
      return EBADF;
    case WSAEAFNOSUPPORT: return EAFNOSUPPORT;
    case WSAECONNREFUSED: return ECONNREFUSED;
    case WSAEFAULT: return EFAULT;
    case WSAEALREADY: return EALREADY;
    case WSASYSNOTREADY:
    case WSANOTINITIALISED:
      return ENOSYS;
    default: return EIO;
  }
}

// The statuses a socket operation completes with (as the AFD driver, and
// Wine's, report them), each as the errno value the core compares.
int errnoFromNtStatus(uint32_t status) {
  switch (status) {
    case 0x00000000u: return 0;                // STATUS_SUCCESS
    case 0xC0000120u: return ECANCELED;        // STATUS_CANCELLED (CancelIoEx, closesocket)
    case 0xC000020Du:                          // STATUS_CONNECTION_RESET
    case 0xC000013Cu:                          // STATUS_REMOTE_DISCONNECT
    case 0xC000013Bu:                          // STATUS_LOCAL_DISCONNECT
    case 0xC0000241u:                          // STATUS_CONNECTION_ABORTED
    case 0xC000020Cu:                          // STATUS_CONNECTION_DISCONNECTED
    case 0xC00000C9u:                          // STATUS_NETWORK_NAME_DELETED
      return ECONNRESET;
    case 0xC00000B0u: return EPIPE;            // STATUS_PIPE_DISCONNECTED (a send after shutdown)
    case 0xC0000140u: return ENOTCONN;         // STATUS_INVALID_CONNECTION
    case 0xC00000B5u: return ETIMEDOUT;        // STATUS_IO_TIMEOUT
    case 0xC000009Au:                          // STATUS_INSUFFICIENT_RESOURCES
    case 0xC0000017u:                          // STATUS_NO_MEMORY
      return ENOMEM;
    case 0xC0000008u: return EBADF;            // STATUS_INVALID_HANDLE
    default: return EIO;
  }
}

int lastSocketError() { return errnoFromSystem(static_cast<unsigned long>(::WSAGetLastError())); }

std::string errorText(int err) {
  char buf[128];
  // The C runtime only knows the classic errno values; the socket ones
  // (ENOTCONN, ECONNRESET...) come back as "Unknown error": name them instead.
  if (::strerror_s(buf, sizeof buf, err) != 0 || std::strncmp(buf, "Unknown error", 13) == 0) return errnoName(err);
  return buf;
}

void closeSocket(SocketHandle s) { ::closesocket(s); }

void abortiveClose(SocketHandle s) {
  linger lg{};
  lg.l_onoff = 1;
  lg.l_linger = 0;
  ::setsockopt(s, SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&lg), sizeof lg);
  ::closesocket(s);
}

void shutdownBoth(SocketHandle s) { ::shutdown(s, SD_BOTH); }

void setNoDelay(SocketHandle s) {
  BOOL one = TRUE;
  ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one), sizeof one);
}

void setSendBuffer(SocketHandle s, int bytes) {
  ::setsockopt(s, SOL_SOCKET, SO_SNDBUF, reinterpret_cast<const char*>(&bytes), sizeof bytes);
}

void* mapAnonymous(size_t bytes) {
  // Committed but demand-zero: a page is backed only once touched (it counts
  // against the commit limit, which Windows has and Linux overcommits away).
  return ::VirtualAlloc(nullptr, bytes, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}

void unmapAnonymous(void* p, size_t) { ::VirtualFree(p, 0, MEM_RELEASE); }

// MEM_RESET: the pages' contents are no longer of interest; Windows drops them
// instead of paging them out, and the range stays usable.
void discardPages(void* p, size_t bytes) { ::VirtualAlloc(p, bytes, MEM_RESET, PAGE_READWRITE); }

size_t pageSize() {
  SYSTEM_INFO si;
  ::GetSystemInfo(&si);
  return si.dwPageSize;
}

namespace {

int setNonBlocking(SocketHandle s) {
  u_long on = 1;
  return ::ioctlsocket(s, FIONBIO, &on) == 0 ? 0 : lastSocketError();
}

}  // namespace

int listenTcp(const sockaddr_storage& addr, int addrLen, int backlog, SocketHandle* out, sockaddr_storage* bound,
              const char** what) {
  std::string ignored;
  if (!netStartup(&ignored)) {
    *what = "WSAStartup";
    return ENOSYS;
  }
  // WSA_FLAG_OVERLAPPED: the accepted sockets inherit it, and IOCP needs it.
  // NO_HANDLE_INHERIT: a child process must not keep our sockets open.
  SocketHandle s = ::WSASocketW(addr.ss_family, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                                WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET) {
    *what = "socket";
    return lastSocketError();
  }
  BOOL one = TRUE;
  ::setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<const char*>(&one), sizeof one);
  // Windows defaults to V6ONLY already; said here so both platforms read the same.
  if (addr.ss_family == AF_INET6) ::setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, reinterpret_cast<const char*>(&one), sizeof one);
  if (::bind(s, reinterpret_cast<const sockaddr*>(&addr), addrLen) != 0 || ::listen(s, backlog) != 0) {
    int e = lastSocketError();
    ::closesocket(s);
    *what = "listen";
    return e;
  }
  int e = setNonBlocking(s);
  if (e != 0) {
    ::closesocket(s);
    *what = "ioctlsocket(FIONBIO)";
    return e;
  }
  int len = sizeof *bound;
  ::getsockname(s, reinterpret_cast<sockaddr*>(bound), &len);
  *out = s;
  return 0;
}

int acceptOne(SocketHandle listener, SocketHandle* out, sockaddr_storage* peer) {
  for (;;) {
    int len = sizeof *peer;
    SocketHandle s = ::accept(listener, reinterpret_cast<sockaddr*>(peer), &len);
    if (s != INVALID_SOCKET) {
      *out = s;
      return 0;
    }
    int e = lastSocketError();
    // A peer gone before we took it. Wine reports a connection reset while it
    // waited in the listen queue as WSAENOTCONN rather than WSAECONNRESET.
    if (e == EINTR || e == ECONNABORTED || e == ECONNRESET || e == ENOTCONN) continue;
    return e;
  }
}

namespace {

// Winsock has no eventfd to poll next to the listener: WSAPoll wakes every
// kWakeCheckMs to look at the flag. It only delays stop() by that much; a
// connection is taken as soon as it arrives.
constexpr int kWakeCheckMs = 50;

class WsaPollWaiter final : public AcceptWaiter {
 public:
  Result wait(SocketHandle listener, int* err) override {
    for (;;) {
      // Relaxed throughout: the flag publishes no data (stop() joins this
      // thread afterwards, which orders everything); it only has to be seen
      // by the next check, at most kWakeCheckMs later.
      if (woken_.load(std::memory_order_relaxed)) return Result::Woken;
      WSAPOLLFD pfd{};
      pfd.fd = listener;
      pfd.events = POLLRDNORM;
      int n = ::WSAPoll(&pfd, 1, kWakeCheckMs);
      if (n < 0) {
        *err = lastSocketError();
        return Result::Error;
      }
      if (woken_.load(std::memory_order_relaxed)) return Result::Woken;
      if (n > 0 && (pfd.revents & (POLLRDNORM | POLLERR | POLLHUP))) return Result::Ready;
    }
  }

  bool sleep(int ms) override {
    for (int slept = 0; slept < ms; slept += 10) {
      if (woken_.load(std::memory_order_relaxed)) return true;
      ::Sleep(10);
    }
    return woken_.load(std::memory_order_relaxed);
  }

  void wake() override { woken_.store(true, std::memory_order_relaxed); }

 private:
  std::atomic<bool> woken_{false};
};

}  // namespace

std::unique_ptr<AcceptWaiter> createAcceptWaiter(int*) { return std::unique_ptr<AcceptWaiter>(new WsaPollWaiter); }

}  // namespace platform
}  // namespace lanstress

#endif  // _WIN32
