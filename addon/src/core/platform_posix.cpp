// platform.h on POSIX (Linux): thin wrappers over the BSD socket calls.
#ifndef _WIN32

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "platform.h"

namespace lanstress {
namespace platform {

bool netStartup(std::string*) { return true; }

int lastSocketError() { return errno; }

std::string errorText(int err) {
  char buf[128];
  // GNU strerror_r returns the text (maybe not in buf); XSI returns 0 and fills buf.
  auto r = ::strerror_r(err, buf, sizeof buf);
  if constexpr (std::is_same<decltype(r), char*>::value) return r;
  else return r == 0 ? buf : "error " + std::to_string(err);
}

void closeSocket(SocketHandle s) { ::close(s); }

void abortiveClose(SocketHandle s) {
  linger lg{1, 0};
  ::setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  ::close(s);
}

void shutdownBoth(SocketHandle s) { ::shutdown(s, SHUT_RDWR); }

void setNoDelay(SocketHandle s) {
  int one = 1;
  ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void setSendBuffer(SocketHandle s, int bytes) { ::setsockopt(s, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes); }

int listenTcp(const sockaddr_storage& addr, int addrLen, int backlog, SocketHandle* out, sockaddr_storage* bound,
              const char** what) {
  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *what = "socket";
    return errno;
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (addr.ss_family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), static_cast<socklen_t>(addrLen)) != 0 ||
      ::listen(fd, backlog) != 0) {
    int e = errno;
    ::close(fd);
    *what = "listen";
    return e;
  }
  socklen_t len = sizeof *bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(bound), &len);
  *out = fd;
  return 0;
}

int acceptOne(SocketHandle listener, SocketHandle* out, sockaddr_storage* peer) {
  for (;;) {
    socklen_t len = sizeof *peer;
    int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      *out = fd;
      return 0;
    }
    int e = errno;
    if (e == EINTR || e == ECONNABORTED) continue;
    return e == EWOULDBLOCK ? EAGAIN : e;
  }
}

void* mapAnonymous(size_t bytes) {
  // NORESERVE: address space only; a page costs memory once touched.
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void unmapAnonymous(void* p, size_t bytes) { ::munmap(p, bytes); }

void discardPages(void* p, size_t bytes) { ::madvise(p, bytes, MADV_DONTNEED); }

size_t pageSize() { return static_cast<size_t>(::sysconf(_SC_PAGESIZE)); }

namespace {

// poll on the listener and an eventfd: wake() makes the eventfd readable for good.
class PollWaiter final : public AcceptWaiter {
 public:
  explicit PollWaiter(int evfd) : evfd_(evfd) {}
  ~PollWaiter() override { ::close(evfd_); }

  Result wait(SocketHandle listener, int* err) override {
    pollfd fds[2] = {{listener, POLLIN, 0}, {evfd_, POLLIN, 0}};
    for (;;) {
      int n = ::poll(fds, 2, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        *err = errno;
        return Result::Error;
      }
      if (fds[1].revents) return Result::Woken;
      if (fds[0].revents & POLLIN) return Result::Ready;
    }
  }

  bool sleep(int ms) override {
    pollfd pfd{evfd_, POLLIN, 0};
    return ::poll(&pfd, 1, ms) > 0;
  }

  void wake() override {
    uint64_t one = 1;
    ssize_t w = ::write(evfd_, &one, sizeof one);
    (void)w;  // the eventfd cannot be full with one write
  }

 private:
  int evfd_;
};

}  // namespace

std::unique_ptr<AcceptWaiter> createAcceptWaiter(int* err) {
  int evfd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (evfd < 0) {
    *err = errno;
    return nullptr;
  }
  return std::unique_ptr<AcceptWaiter>(new PollWaiter(evfd));
}

}  // namespace platform
}  // namespace lanstress

#endif  // !_WIN32
