// epoll driven as a PROACTOR: the caller posts a recv/send with its buffers,
// a worker performs the readv/sendmsg itself once the socket is ready, and
// hands back a completion, as GetQueuedCompletionStatus would.
//
// Registration: once, at associate, edge-triggered for everything
// (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET), never re-armed per operation.
// Per socket there is one FdState (indexed by the key's slot bits) with a
// mutex private to that socket (no lock is shared by all sessions), the
// pending recv and send, and two readiness flags:
//   readable  set by an input edge; cleared when a read finds the socket
//             drained (EAGAIN, or fewer bytes than asked for, unless the
//             peer's end was seen: hup);
//   writable  set by an output edge; cleared when a write finds no room
//             (EAGAIN, or a short write);
//   hup       an edge reported the peer's end (RDHUP, HUP, ERR): sticky, since
//             no further edge reports an end already reported, a read that
//             came back short must not wait for one.
// The kernel queues a new edge whenever the state changes after that (data
// arrives, room frees up), and the edge's handler takes the same mutex, so a
// flag cleared under the mutex is set again by the next edge: no wake-up is
// lost, and a post that finds its flag clear simply waits for that edge.
//
// Inline completion: a post made by a worker thread of this port (one that
// waits on it) whose socket is known ready does the I/O at once and queues the
// completion on that worker's own list, delivered by its next wait() without a
// syscall. A post from any other thread (accept, sendPacket from the host)
// with the socket known ready asks the kernel to report the readiness again
// (EPOLL_CTL_MOD re-evaluates an edge-triggered fd and queues an event when it
// is ready), so some worker handles it. Either way each posted op produces
// exactly one completion, delivered by wait().
#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <mutex>
#include <vector>

#include "completion_port.h"
#include "session_id.h"

namespace lanstress {
namespace {

// Never a key (op bits set), tags the eventfd that carries user completions.
constexpr uint64_t kUserTag = ~uint64_t{0};
constexpr uint32_t kEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

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
  bool readable = false;
  bool writable = false;
  bool hup = false;
};

size_t totalLength(const iovec* iov, int cnt) {
  size_t n = 0;
  for (int i = 0; i < cnt; ++i) n += iov[i].iov_len;
  return n;
}

class EpollPort;

// The completions a worker produced inline, for its own next wait(). Keyed by
// port: a thread waits on one port, but a later server in the same process
// may reuse the thread-local of a thread that waited on an earlier one.
// A worker that quits leaves this list undelivered. That is safe only because
// LanServer::stop() posts the quits after every session is released (its step
// 3), when no I/O is left to complete inline; a new shutdown order must keep that.
struct LocalCompletions {
  const EpollPort* port = nullptr;
  std::vector<Completion> list;
  // True when this thread's last wait() asked the kernel: the next may then
  // hand out inline completions alone, without an epoll_wait.
  bool polled = false;
};
thread_local LocalCompletions tlsLocal;

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
    // Not ready until an edge says so: the registration reports the current
    // state at once (a connected socket is writable, data may be waiting).
    st->readable = st->writable = st->hup = false;
    epoll_event ev{};
    ev.events = kEvents;
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
    LocalCompletions& local = tlsLocal;
    if (local.port != this) {
      local.port = this;
      local.list.clear();
      local.polled = false;
    }
    int count = 0;
    if (!local.list.empty()) {
      // Our own inline completions first. Right after a wait() that asked the
      // kernel they go out alone: an echo's send done inline would otherwise
      // cost an empty epoll_wait(0) of its own. Every other time the kernel is
      // asked too, without blocking, so a session whose I/O keeps completing
      // inline cannot starve the others for more than one round.
      size_t take = local.list.size() < static_cast<size_t>(max) ? local.list.size() : static_cast<size_t>(max);
      std::memcpy(out, local.list.data(), take * sizeof(Completion));
      local.list.erase(local.list.begin(), local.list.begin() + static_cast<std::ptrdiff_t>(take));
      count = static_cast<int>(take);
      timeoutMs = 0;
      if (local.polled) {
        local.polled = false;
        return count;
      }
    }
    int room = (max - count) / 2;  // one event can complete a recv and a send
    if (room == 0) return count;
    local.polled = true;
    epoll_event evs[64];
    int n = ::epoll_wait(epfd_, evs, room < 64 ? room : 64, timeoutMs);
    if (n < 0) return count > 0 || errno == EINTR ? count : -errno;
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
    if (!(recv ? st->readable : st->writable)) return 0;  // the next edge does it
    if (tlsLocal.port == this) {
      Completion c;
      if (recv ? tryRecv(st, &c) : trySend(st, &c)) tlsLocal.list.push_back(c);
      return 0;
    }
    // Not a worker: have the kernel report the readiness again to one.
    epoll_event ev{};
    ev.events = kEvents;
    ev.data.u64 = key;
    if (::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) != 0) {
      pending = false;
      return -errno;
    }
    return 0;
  }

  // Caller holds st->mu and st->recvPending. True (and *out) when the recv completed.
  bool tryRecv(FdState* st, Completion* out) {
    ssize_t r;
    do {
      // One buffer (the usual case: the ring rewinds when it drains) is a recv():
      // the socket call skips readv's iovec copy-in and the VFS read path.
      r = st->recvCnt == 1 ? ::recv(st->fd, st->recvIov[0].iov_base, st->recvIov[0].iov_len, MSG_DONTWAIT)
                           : ::readv(st->fd, st->recvIov, st->recvCnt);
    } while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      st->readable = false;
      return false;
    }
    // A read that did not fill the buffers drained the socket: data arriving
    // after it raises a new edge. An end already reported raises none, so
    // after hup the next read is tried (it finds the end: 0 or an error).
    if (r > 0 && !st->hup && static_cast<size_t>(r) < totalLength(st->recvIov, st->recvCnt)) st->readable = false;
    st->recvPending = false;
    *out = Completion{st->key, OpType::Recv, r >= 0 ? r : -errno};
    return true;
  }

  // Caller holds st->mu and st->sendPending. True (and *out) when the send completed.
  bool trySend(FdState* st, Completion* out) {
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(st->sendIov);
    msg.msg_iovlen = static_cast<size_t>(st->sendCnt);
    ssize_t r;
    do {
      // One packet (an echo's usual send) is a send(): no msghdr and iovec copy-in.
      r = st->sendCnt == 1 ? ::send(st->fd, st->sendIov[0].iov_base, st->sendIov[0].iov_len, MSG_NOSIGNAL | MSG_DONTWAIT)
                           : ::sendmsg(st->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // No room: the send waits, still pending, for the output edge.
      st->writable = false;
#ifdef LANSTRESS_FAULT_EPOLL_REARM_DROPS_OUT
      st->sendPending = false;  // fault: the send is forgotten instead of waiting for the edge; it never completes
#endif
      return false;
    }
    // A short write filled the socket's buffer: the room that frees up raises a new edge.
    if (r >= 0 && static_cast<size_t>(r) < totalLength(st->sendIov, st->sendCnt)) st->writable = false;
    st->sendPending = false;
    *out = Completion{st->key, OpType::Send, r >= 0 ? r : -errno};
    return true;
  }

  int handle(const epoll_event& ev, Completion* out) {
    FdState* st = state(ev.data.u64);
    if (!st) return 0;
    std::lock_guard<std::mutex> lock(st->mu);
    // A stale event (the session was released and the slot reused) is dropped here.
    if (st->key != ev.data.u64 || st->fd < 0) return 0;
    uint32_t e = ev.events;
    // Hang-up and error count as both: the pending op finds out by trying.
    if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) st->readable = true;
    if (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) st->hup = true;
    if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) st->writable = true;
    int count = 0;
    if (st->recvPending && st->readable && tryRecv(st, &out[count])) ++count;
    if (st->sendPending && st->writable && trySend(st, &out[count])) ++count;
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
