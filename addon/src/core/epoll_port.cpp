// epoll driven as a PROACTOR: the caller posts a recv/send with its buffers,
// a worker blocked in wait() performs the readv/sendmsg itself once the socket
// is ready, and hands back a completion, as GetQueuedCompletionStatus would.
//
// Per socket there is one FdState (indexed by the key's slot bits) holding the
// pending recv and send and a mutex private to that socket: no lock is shared
// by all sessions. The socket is registered EPOLLONESHOT, so after an event
// fires it stays disarmed until the state is re-armed under the socket's
// mutex with the mask of what is still pending. Every change of the pending
// set re-arms (a re-arm of an armed fd is harmless), so a post racing with an
// event being handled is never lost; at worst a spurious wake-up finds EAGAIN.
#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <mutex>

#include "completion_port.h"
#include "session_id.h"

namespace lanstress {
namespace {

// Never a key (op bits set), tags the eventfd that carries user completions.
constexpr uint64_t kUserTag = ~uint64_t{0};

struct alignas(64) FdState {
  std::mutex mu;
  int fd = -1;
  uint64_t key = 0;
  const iovec* recvIov = nullptr;
  int recvCnt = 0;
  bool recvPending = false;
  const iovec* sendIov = nullptr;
  int sendCnt = 0;
  bool sendPending = false;
};

class EpollPort final : public CompletionPort {
 public:
  EpollPort(int epfd, int evfd, uint32_t capacity)
      : epfd_(epfd), evfd_(evfd), capacity_(capacity), states_(new FdState[capacity]) {}

  ~EpollPort() override {
    ::close(evfd_);
    ::close(epfd_);
  }

  Backend backend() const override { return Backend::Epoll; }

  int associate(int fd, uint64_t key) override {
    FdState* st = state(key);
    if (!st) return -EINVAL;
    std::lock_guard<std::mutex> lock(st->mu);
    st->fd = fd;
    st->key = key;
    st->recvPending = st->sendPending = false;
    // Registered disarmed: nothing is asked until the first post.
    epoll_event ev{};
    ev.events = EPOLLONESHOT;
    ev.data.u64 = key;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      st->fd = -1;
      st->key = 0;
      return -errno;
    }
    return 0;
  }

  void dissociate(int fd, uint64_t key) override {
    FdState* st = state(key);
    if (!st) return;
    std::lock_guard<std::mutex> lock(st->mu);
    if (st->key != key) return;
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    st->fd = -1;
    st->key = 0;
    st->recvPending = st->sendPending = false;
  }

  int postRecv(int fd, uint64_t key, const iovec* iov, int iovcnt) override {
    return post(fd, key, iov, iovcnt, true);
  }
  int postSend(int fd, uint64_t key, const iovec* iov, int iovcnt) override {
    return post(fd, key, iov, iovcnt, false);
  }

  int postUser(uint64_t key, int64_t value) override {
    std::lock_guard<std::mutex> lock(userMu_);
    user_.push_back(Completion{key, OpType::User, value});
    uint64_t one = 1;
    if (::write(evfd_, &one, sizeof one) != sizeof one) {
      user_.pop_back();
      return -errno;
    }
    return 0;
  }

  int wait(Completion* out, int max, int timeoutMs) override {
    if (max < 2) return -EINVAL;
    epoll_event evs[64];
    int cap = max / 2 < 64 ? max / 2 : 64;  // one event can complete a recv and a send
    int n = ::epoll_wait(epfd_, evs, cap, timeoutMs);
    if (n < 0) return errno == EINTR ? 0 : -errno;
    int count = 0;
    for (int i = 0; i < n; ++i) {
      if (evs[i].data.u64 == kUserTag) {
        count += takeUser(out + count);
      } else {
        count += handle(evs[i], out + count);
      }
    }
    return count;
  }

  bool hasPendingIo(uint64_t key) const override {
    FdState* st = state(key);
    if (!st) return false;
    std::lock_guard<std::mutex> lock(st->mu);
    return st->key == key && (st->recvPending || st->sendPending);
  }

  int registerUserEvents() {
    epoll_event ev{};
    ev.events = EPOLLIN;  // level-triggered: stays readable while user completions wait
    ev.data.u64 = kUserTag;
    return ::epoll_ctl(epfd_, EPOLL_CTL_ADD, evfd_, &ev) == 0 ? 0 : -errno;
  }

 private:
  FdState* state(uint64_t key) const {
    uint32_t slot = SessionId::slot(key & kKeyMask);
    return slot < capacity_ ? &states_[slot] : nullptr;
  }

  int post(int fd, uint64_t key, const iovec* iov, int iovcnt, bool recv) {
    FdState* st = state(key);
    if (!st) return -EINVAL;
    std::lock_guard<std::mutex> lock(st->mu);
    if (st->key != key || st->fd != fd) return -EBADF;
    bool& pending = recv ? st->recvPending : st->sendPending;
    if (pending) return -EBUSY;
    pending = true;
    if (recv) {
      st->recvIov = iov;
      st->recvCnt = iovcnt;
    } else {
      st->sendIov = iov;
      st->sendCnt = iovcnt;
    }
#ifdef LANSTRESS_FAULT_EPOLL_REARM_DROPS_OUT
    int rc = rearm(st, !recv);  // fault: the mask is built from the op posted, not from all that is pending
#else
    int rc = rearm(st);
#endif
    if (rc != 0) pending = false;
    return rc;
  }

  // Caller holds st->mu. withOut is false only in a fault build.
  int rearm(FdState* st, bool withOut = true) {
    epoll_event ev{};
    ev.events = EPOLLONESHOT;
    if (st->recvPending) ev.events |= EPOLLIN | EPOLLRDHUP;
    if (st->sendPending && withOut) ev.events |= EPOLLOUT;
    ev.data.u64 = st->key;
    return ::epoll_ctl(epfd_, EPOLL_CTL_MOD, st->fd, &ev) == 0 ? 0 : -errno;
  }

  int handle(const epoll_event& ev, Completion* out) {
    FdState* st = state(ev.data.u64);
    if (!st) return 0;
    std::lock_guard<std::mutex> lock(st->mu);
    // A stale event (the session was released and the slot reused) is dropped here.
    if (st->key != ev.data.u64 || st->fd < 0) return 0;
    int count = 0;
    uint32_t e = ev.events;
    if (st->recvPending && (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
      ssize_t r;
      do {
        r = ::readv(st->fd, st->recvIov, st->recvCnt);
      } while (r < 0 && errno == EINTR);
      if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        st->recvPending = false;
        out[count++] = Completion{st->key, OpType::Recv, r >= 0 ? r : -errno};
      }
    }
    if (st->sendPending && (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))) {
      msghdr msg{};
      msg.msg_iov = const_cast<iovec*>(st->sendIov);
      msg.msg_iovlen = static_cast<size_t>(st->sendCnt);
      ssize_t r;
      do {
        r = ::sendmsg(st->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      } while (r < 0 && errno == EINTR);
      if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        st->sendPending = false;
        out[count++] = Completion{st->key, OpType::Send, r >= 0 ? r : -errno};
      }
    }
    if (st->recvPending || st->sendPending) {
      int rc = rearm(st);
      if (rc != 0) {
        // Cannot wait any longer: fail what is pending so the session still sees every completion.
        if (st->recvPending) {
          st->recvPending = false;
          out[count++] = Completion{st->key, OpType::Recv, rc};
        }
        if (st->sendPending) {
          st->sendPending = false;
          out[count++] = Completion{st->key, OpType::Send, rc};
        }
      }
    }
    return count;
  }

  // One user completion per wake-up, as GetQueuedCompletionStatus hands each
  // posted packet to one waiter: a waiter that took them all would leave the
  // others asleep (N "quit" posts must reach N workers).
  int takeUser(Completion* out) {
    std::lock_guard<std::mutex> lock(userMu_);
    if (user_.empty()) return 0;
    out[0] = user_.front();
    user_.pop_front();
    uint64_t drained;
    ssize_t ignored = ::read(evfd_, &drained, sizeof drained);
    (void)ignored;  // EAGAIN when another waiter already drained it: nothing to do
    if (!user_.empty()) {
      // Pass the wake-up on: epoll wakes one exclusive waiter per eventfd
      // signal, so without a fresh signal the completions still queued could
      // sit behind waiters that never wake (a lost "quit" hung stop()).
      uint64_t one = 1;
      ignored = ::write(evfd_, &one, sizeof one);
    }
    return 1;
  }

  int epfd_;
  int evfd_;
  uint32_t capacity_;
  std::unique_ptr<FdState[]> states_;
  std::mutex userMu_;
  std::deque<Completion> user_;
};

}  // namespace

std::unique_ptr<CompletionPort> createEpollPort(uint32_t capacity, std::string* error) {
  int epfd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    if (error) *error = std::string("epoll_create1: ") + std::strerror(errno);
    return nullptr;
  }
  int evfd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (evfd < 0) {
    if (error) *error = std::string("eventfd: ") + std::strerror(errno);
    ::close(epfd);
    return nullptr;
  }
  std::unique_ptr<EpollPort> port(new EpollPort(epfd, evfd, capacity));
  int rc = port->registerUserEvents();
  if (rc != 0) {
    if (error) *error = std::string("epoll_ctl(eventfd): ") + std::strerror(-rc);
    return nullptr;
  }
  return port;
}

}  // namespace lanstress
