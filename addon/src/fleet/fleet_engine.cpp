#include "fleet_engine.h"

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace lanstress::fleet {

namespace {

// epoll data of the wake eventfd; connection ids are below it.
constexpr uint64_t kWakeTag = ~uint64_t{0};
// Most bytes read from one socket per poll(): one flooded socket cannot fill the whole batch.
constexpr size_t kReadChunk = 64 * 1024;
// A read is not started with less room than this: it would come back short and look drained.
constexpr size_t kMinRoom = 2048;
// Events taken per epoll_wait; poll() waits again while a wait comes back full and room is left.
// A worker with 2500 connections at 10 msg/s has 25k events a second: taken 512 per loop turn,
// a slow turn let them queue up in the ready list for 100 ms and more (bench:fleet, p50 1.1 s).
constexpr int kMaxEvents = 1024;

constexpr uint32_t kReading = EPOLLIN | EPOLLRDHUP | EPOLLOUT | EPOLLET;
// Paused: no read interest; writes still complete (a stalled or slow reader keeps sending).
constexpr uint32_t kNotReading = EPOLLOUT | EPOLLET;

}  // namespace

Engine::Engine(uint8_t* batch, size_t batchBytes, Record* records, size_t maxRecords)
    : batch_(batch), batchBytes_(batchBytes), records_(records), maxRecords_(maxRecords) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw std::runtime_error(std::string("epoll_create1: errno ") + std::to_string(errno));
  wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakefd_ < 0) {
    const int err = errno;
    ::close(epfd_);
    throw std::runtime_error(std::string("eventfd: errno ") + std::to_string(err));
  }
  // Level-triggered: the epoll fd stays readable until poll() drains the counter.
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
}

Engine::~Engine() {
  for (Conn& c : conns_)
    if (c.fd >= 0) ::close(c.fd);
  ::close(wakefd_);
  ::close(epfd_);
}

Engine::Conn* Engine::get(int id) {
  if (id < 0 || static_cast<size_t>(id) >= conns_.size()) return nullptr;
  Conn* c = &conns_[static_cast<size_t>(id)];
  return c->fd >= 0 ? c : nullptr;
}

int Engine::allocId() {
  if (!free_.empty()) {
    const int id = free_.back();
    free_.pop_back();
    return id;
  }
  conns_.emplace_back();
  return static_cast<int>(conns_.size() - 1);
}

void Engine::freeId(int id) { quarantine_.push_back(id); }

void Engine::wake() {
  if (woken_) return;
  woken_ = true;
  const uint64_t one = 1;
  // Fails only when the counter would overflow, which one pending wake never reaches.
  (void)!::write(wakefd_, &one, sizeof one);
}

void Engine::defer(int id, int32_t err) {
  deferred_.emplace_back(id, err);
  wake();
}

int Engine::connect(const sockaddr* dst, socklen_t dstLen, const sockaddr* src, socklen_t srcLen) {
  const int fd = ::socket(dst->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const int id = allocId();
  Conn& c = conns_[static_cast<size_t>(id)];
  c = Conn{};
  c.fd = fd;
  c.connecting = true;
  ++open_;
  int err = 0;
  if (srcLen > 0 && ::bind(fd, src, srcLen) != 0) err = errno;
  if (err == 0 && ::connect(fd, dst, dstLen) != 0 && errno != EINPROGRESS) err = errno;
  if (err == 0) {
    epoll_event ev{};
    ev.events = kReading;
    ev.data.u64 = static_cast<uint64_t>(id);
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) err = errno;
  }
  // Reported later, as `net` does: the caller has no handler on the id before this returns.
  if (err != 0) {
    closeConn(id, false);
    defer(id, -err);
  }
  return id;
}

void Engine::setInterest(Conn& c, bool reading) {
  epoll_event ev{};
  ev.events = reading ? kReading : kNotReading;
  ev.data.u64 = static_cast<uint64_t>(&c - conns_.data());
  // MOD re-polls the socket: data that came while paused is reported at once on resume.
  epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
}

long Engine::write(int id, const uint8_t* data, size_t len) {
  Conn* c = get(id);
  if (c == nullptr) return -1;
  if (c->connecting || c->outOff < c->out.size()) {
    // Order: behind what is queued already (or until the connect completes).
    c->out.insert(c->out.end(), data, data + len);
    return static_cast<long>(c->out.size() - c->outOff);
  }
  size_t sent = 0;
  while (sent < len) {
    const ssize_t n = ::send(c->fd, data + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    // The peer reset or the socket broke: closed now, reported by the next poll() (net: 'error', 'close').
    const int err = n < 0 ? errno : EPIPE;
    closeConn(id, false);
    defer(id, -err);
    return -1;
  }
  if (sent == len) return 0;
  c->out.assign(data + sent, data + len);
  c->outOff = 0;
  return static_cast<long>(len - sent);
}

void Engine::end(int id) {
  Conn* c = get(id);
  if (c == nullptr) return;
  if (c->connecting || c->outOff < c->out.size()) {
    c->endPending = true;
    return;
  }
  ::shutdown(c->fd, SHUT_WR);
}

void Engine::pause(int id) {
  Conn* c = get(id);
  if (c == nullptr || c->paused) return;
  c->paused = true;
  if (!c->connecting) setInterest(*c, false);
}

void Engine::resume(int id) {
  Conn* c = get(id);
  if (c == nullptr || !c->paused) return;
  c->paused = false;
  if (!c->connecting) setInterest(*c, true);
}

void Engine::destroy(int id, bool abortive) {
  if (get(id) == nullptr) return;
  closeConn(id, abortive);
}

void Engine::closeConn(int id, bool abortive) {
  Conn& c = conns_[static_cast<size_t>(id)];
  if (abortive) {
    // Linger 0: close() sends an RST and drops what is unsent (chaos rstMidBurst).
    const linger lg{1, 0};
    setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  // close() removes the fd from the epoll set (it is the only reference to the file).
  ::close(c.fd);
  c.fd = -1;
  c.out.clear();
  c.out.shrink_to_fit();
  c.outOff = 0;
  --open_;
  freeId(id);
}

bool Engine::push(int id, EventKind kind, int32_t offset, int32_t value) {
  if (count_ >= maxRecords_) return false;
  records_[count_++] = Record{id, static_cast<int32_t>(kind), offset, value};
  return true;
}

void Engine::onConnectDone(int id, Conn& c) {
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    closeConn(id, false);
    push(id, EventKind::Closed, 0, -err);
    return;
  }
  c.connecting = false;
  push(id, EventKind::Connected, 0, 0);
  if (c.paused) setInterest(c, false);
}

void Engine::onWritable(int id, Conn& c) {
  if (c.outOff >= c.out.size()) {
    // end() while connecting with nothing queued: the FIN goes now.
    if (c.endPending) {
      c.endPending = false;
      ::shutdown(c.fd, SHUT_WR);
    }
    return;
  }
  while (c.outOff < c.out.size()) {
    const ssize_t n = ::send(c.fd, c.out.data() + c.outOff, c.out.size() - c.outOff, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.outOff += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    const int err = n < 0 ? errno : EPIPE;
    closeConn(id, false);
    push(id, EventKind::Closed, 0, -err);
    return;
  }
  c.out.clear();
  c.outOff = 0;
  if (c.endPending) {
    c.endPending = false;
    ::shutdown(c.fd, SHUT_WR);
  }
  push(id, EventKind::Drain, 0, 0);
}

bool Engine::readInto(int id, Conn& c, bool drainFully) {
  for (;;) {
    if (count_ >= maxRecords_ || batchBytes_ - batchUsed_ < kMinRoom) {
      if (!c.carry) {
        c.carry = true;
        carry_.push_back(id);
      }
      return false;
    }
    const size_t want = std::min(kReadChunk, batchBytes_ - batchUsed_);
    const ssize_t n = ::recv(c.fd, batch_ + batchUsed_, want, MSG_DONTWAIT);
    if (n > 0) {
      push(id, EventKind::Data, static_cast<int32_t>(batchUsed_), static_cast<int32_t>(n));
      batchUsed_ += static_cast<size_t>(n);
      if (static_cast<size_t>(n) == want) {
        // Maybe more: read again after the other sockets had their turn.
        if (!c.carry) {
          c.carry = true;
          carry_.push_back(id);
        }
        return true;
      }
      // A short TCP read emptied the receive queue; data or a FIN arriving later is a new edge,
      // except a FIN already reported with this event (drainFully): then read on to the 0.
      if (!drainFully) return true;
      continue;
    }
    if (n == 0) {
      closeConn(id, false);
      push(id, EventKind::Closed, 0, 0);
      return true;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return true;
    const int err = errno;
    closeConn(id, false);
    push(id, EventKind::Closed, 0, -err);
    return true;
  }
}

size_t Engine::poll() {
  count_ = 0;
  batchUsed_ = 0;
  // The batch JS walked is done with: ids freed during it may be reused now.
  free_.insert(free_.end(), quarantine_.begin(), quarantine_.end());
  quarantine_.clear();
  if (woken_) {
    uint64_t v;
    (void)!::read(wakefd_, &v, sizeof v);
    woken_ = false;
  }
  while (!deferred_.empty() && count_ < maxRecords_) {
    push(deferred_.back().first, EventKind::Closed, 0, deferred_.back().second);
    deferred_.pop_back();
  }
  // Sockets whose last read filled its share go first, so none waits behind newer events forever.
  std::vector<int> carried;
  carried.swap(carry_);
  size_t i = 0;
  for (; i < carried.size(); ++i) {
    const int id = carried[i];
    Conn* c = get(id);
    if (c == nullptr) continue;
    c->carry = false;
    if (c->paused) continue;
    // drainFully: a FIN reported with the event that put it here must not be missed.
    if (!readInto(id, *c, true)) break;
  }
  for (; i < carried.size(); ++i) {
    Conn* c = get(carried[i]);
    if (c != nullptr && c->carry == false && !c->paused) {
      c->carry = true;
      carry_.push_back(carried[i]);
    }
  }
  epoll_event events[kMaxEvents];
  for (;;) {
    // Room for every event's records (a connect, a drain and a read each at most): the events
    // epoll_wait hands over are gone from the ready list and must all be handled in this call.
    const size_t roomFor = std::min((maxRecords_ - count_) / 3, (batchBytes_ - batchUsed_) / kMinRoom);
    const int max = static_cast<int>(std::min<size_t>(kMaxEvents, roomFor));
    if (max == 0) break;
    const int n = epoll_wait(epfd_, events, max, 0);
    handle(events, n);
    if (n < max) break;
  }
  if (!carry_.empty() || !deferred_.empty()) wake();
  return count_;
}

void Engine::handle(const epoll_event* events, int n) {
  for (int k = 0; k < n; ++k) {
    const uint64_t tag = events[k].data.u64;
    if (tag == kWakeTag) continue;
    const int id = static_cast<int>(tag);
    Conn* c = get(id);
    if (c == nullptr) continue;
    const uint32_t ev = events[k].events;
    if (c->connecting) {
      if ((ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) continue;
      onConnectDone(id, *c);
      if ((c = get(id)) == nullptr) continue;
    }
    if (ev & EPOLLOUT) {
      onWritable(id, *c);
      if ((c = get(id)) == nullptr) continue;
    }
    if (c->paused || c->carry) continue;
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      // Out of room: the read waits in carry_ (readInto put it there).
      readInto(id, *c, (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
    }
  }
}

}  // namespace lanstress::fleet
