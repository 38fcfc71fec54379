// The fleet's socket engine (addon/src/fleet/fleet_engine.h) against plain blocking sockets on
// loopback: connect, batched reads, writes queued past a full kernel buffer and their drain,
// pause and resume, graceful and abortive close, a refused connect, and ids not reused within a
// batch. Linux only (the engine is epoll).
#include "check.h"

#ifdef _WIN32
int main() {
  std::printf("fleet_engine_test: skipped (the fleet engine is Linux only)\n");
  return 0;
}
#else

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "fleet_engine.h"

using lanstress::fleet::Engine;
using lanstress::fleet::EventKind;
using lanstress::fleet::Record;

namespace {

struct Listener {
  int fd = -1;
  sockaddr_in addr{};
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::listen(fd, 16);
  }
  ~Listener() { ::close(fd); }
  // The next accepted socket, with 2 s read timeouts so a test fails instead of hanging.
  int accept() const {
    const int s = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    timeval tv{2, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return s;
  }
};

struct Harness {
  std::vector<uint8_t> batch = std::vector<uint8_t>(64 * 1024);
  std::vector<Record> records = std::vector<Record>(256);
  Engine engine{batch.data(), batch.size(), records.data(), records.size()};
  std::vector<Record> seen;  // every record so far
  std::string data;          // every Data byte so far, in order

  // One poll of the engine after waiting up to waitMs for its fd; the records are kept.
  void pollOnce(int waitMs) {
    pollfd p{engine.fd(), POLLIN, 0};
    ::poll(&p, 1, waitMs);
    const size_t n = engine.poll();
    for (size_t i = 0; i < n; ++i) {
      seen.push_back(records[i]);
      if (records[i].kind == static_cast<int32_t>(EventKind::Data))
        data.append(reinterpret_cast<const char*>(batch.data()) + records[i].offset, static_cast<size_t>(records[i].value));
    }
  }

  // Polls until pred() holds or 2 s pass.
  bool until(const std::function<bool()>& pred) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > end) return false;
      pollOnce(50);
    }
    return true;
  }

  bool has(int id, EventKind kind, int32_t value = 0) const {
    for (const Record& r : seen)
      if (r.id == id && r.kind == static_cast<int32_t>(kind) && (kind == EventKind::Data || r.value == value)) return true;
    return false;
  }

  int connect(const Listener& l) { return engine.connect(reinterpret_cast<const sockaddr*>(&l.addr), sizeof l.addr, nullptr, 0); }
};

void echoRoundTripAndGracefulClose() {
  Listener l;
  Harness h;
  const int id = h.connect(l);
  CHECK(id >= 0);
  CHECK(h.until([&] { return h.has(id, EventKind::Connected); }));
  const int peer = l.accept();
  const std::string hello = "hello";
  CHECK_EQ(h.engine.write(id, reinterpret_cast<const uint8_t*>(hello.data()), hello.size()), 0L);
  char buf[64];
  CHECK_EQ(::recv(peer, buf, sizeof buf, 0), 5L);
  ::send(peer, "world", 5, 0);
  CHECK(h.until([&] { return h.data == "world"; }));
  // end(): the peer reads its FIN, and the engine still reads until the peer closes too.
  h.engine.end(id);
  CHECK_EQ(::recv(peer, buf, sizeof buf, 0), 0L);
  ::send(peer, "late", 4, 0);
  ::close(peer);
  CHECK(h.until([&] { return h.has(id, EventKind::Closed, 0); }));
  CHECK_EQ(h.data, std::string("worldlate"));
  CHECK_EQ(h.engine.open(), size_t{0});
}

void endWhileConnectingSendsFinOnceConnected() {
  Listener l;
  Harness h;
  const int id = h.connect(l);
  const std::string early = "early";
  h.engine.write(id, reinterpret_cast<const uint8_t*>(early.data()), early.size());
  h.engine.end(id);
  CHECK(h.until([&] { return h.has(id, EventKind::Connected); }));
  const int peer = l.accept();
  char buf[64];
  CHECK_EQ(::recv(peer, buf, sizeof buf, MSG_WAITALL), 5L);
  CHECK_EQ(::recv(peer, buf, sizeof buf, 0), 0L);
  ::close(peer);
  CHECK(h.until([&] { return h.has(id, EventKind::Closed, 0); }));
  // With nothing queued, too.
  const int bare = h.connect(l);
  h.engine.end(bare);
  CHECK(h.until([&] { return h.has(bare, EventKind::Connected); }));
  const int peer2 = l.accept();
  CHECK_EQ(::recv(peer2, buf, sizeof buf, 0), 0L);
  ::close(peer2);
}

void pauseHoldsDataUntilResume() {
  Listener l;
  Harness h;
  const int id = h.connect(l);
  CHECK(h.until([&] { return h.has(id, EventKind::Connected); }));
  const int peer = l.accept();
  h.engine.pause(id);
  ::send(peer, "abc", 3, 0);
  h.until([] { return false; });  // 2 s of polling: nothing may be read
  CHECK(h.data.empty());
  h.engine.resume(id);
  CHECK(h.until([&] { return h.data == "abc"; }));
  h.engine.destroy(id, false);
  ::close(peer);
}

void queuedWritesDrainInOrder() {
  Listener l;
  Harness h;
  const int id = h.connect(l);
  CHECK(h.until([&] { return h.has(id, EventKind::Connected); }));
  const int peer = l.accept();
  // Far more than loopback's socket buffers take while the peer does not read.
  std::vector<uint8_t> big(16 << 20);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7);
  const long queued = h.engine.write(id, big.data(), big.size());
  CHECK(queued > 0);
  size_t got = 0;
  bool intact = true;
  std::vector<uint8_t> buf(1 << 16);
  while (got < big.size()) {
    const ssize_t n = ::recv(peer, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) intact = intact && buf[static_cast<size_t>(i)] == big[got + static_cast<size_t>(i)];
    got += static_cast<size_t>(n);
    h.pollOnce(0);  // the engine sends more as the kernel takes it
  }
  CHECK_EQ(got, big.size());
  CHECK(intact);
  CHECK(h.until([&] { return h.has(id, EventKind::Drain); }));
  h.engine.destroy(id, false);
  ::close(peer);
}

void abortiveCloseSendsReset() {
  Listener l;
  Harness h;
  const int id = h.connect(l);
  CHECK(h.until([&] { return h.has(id, EventKind::Connected); }));
  const int peer = l.accept();
  h.engine.destroy(id, true);
  char c;
  errno = 0;
  CHECK_EQ(::recv(peer, &c, 1, 0), -1L);
  CHECK_EQ(errno, ECONNRESET);
  ::close(peer);
}

void refusedConnectIsAClosedRecord() {
  sockaddr_in addr;
  {
    Listener gone;
    addr = gone.addr;
  }
  Harness h;
  const int id = h.engine.connect(reinterpret_cast<const sockaddr*>(&addr), sizeof addr, nullptr, 0);
  CHECK(id >= 0);
  CHECK(h.until([&] { return h.has(id, EventKind::Closed, -ECONNREFUSED); }));
  CHECK(!h.has(id, EventKind::Connected));
}

void idsAreNotReusedWithinABatch() {
  Listener l;
  Harness h;
  const int a = h.connect(l);
  h.engine.destroy(a, false);
  const int b = h.connect(l);
  CHECK(a != b);
  h.pollOnce(0);
  // After a poll the freed id may come back.
  const int c = h.connect(l);
  CHECK_EQ(c, a);
  h.engine.destroy(b, false);
  h.engine.destroy(c, false);
}

}  // namespace

int main() {
  echoRoundTripAndGracefulClose();
  endWhileConnectingSendsFinOnceConnected();
  pauseHoldsDataUntilResume();
  queuedWritesDrainInOrder();
  abortiveCloseSendsReset();
  refusedConnectIsAClosedRecord();
  idsAreNotReusedWithinABatch();
  return check::finish("fleet_engine_test");
}

#endif
