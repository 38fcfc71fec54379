// The io_uring port's multishot receive (io_uring_port.cpp) on the paths that
// ordinary traffic reaches only by chance, each driven on purpose through the
// port alone, one thread being both the ring's worker and the "session":
//  1. held limit: a socket whose session posts no recv holds kMaxHeld (8)
//     buffers, then its multishot is cancelled (what comes next waits in the
//     socket). When the session reads again it gets the held data, then the
//     socket's, then a new multishot's, every byte once and in order, and then
//     the end of the stream once; the buffers are back in the ring (a ring of
//     16 takes 8 chunks from each of two sockets again).
//  2. a dry ring: one socket holds every buffer of a ring of 8, so another
//     socket's posted recv meets ENOBUFS and becomes a plain RECV into its own
//     iovecs; its stream stays whole and in order, and once buffers are back
//     its multishot is too.
//  3. plain receive (recvBuffers 0, --uring-buffers 0): the rings as the EINVAL
//     fallback leaves them (a kernel with buffer rings but no multishot recv),
//     every recv a plain RECV. The fallback's own trigger, a -EINVAL CQE to
//     the multishot, cannot be had from a kernel that has multishot recv.
//  4. recvBuffers outside 0 or a power of two from 8 to 32768 is refused.
// The port's state is seen from outside: what a recv completes with, and
// FIONREAD on the server's socket (bytes the kernel still holds: no multishot
// is taking them). Bounded: every wait has a timeout, and a watchdog ends a hang.
// FAULT=URING_CANCEL_DROPS_HELD fails part 1, FAULT=URING_ENOBUFS_REARMS part 2.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "completion_port.h"
#include "port_fixture.h"
#include "session_id.h"

using namespace lanstress;

#ifndef _WIN32
#include <sys/ioctl.h>
#include <sys/socket.h>

namespace {

// A chunk the client writes in one send: it fits one 4 KiB provided buffer,
// so each chunk the multishot takes while nobody reads is one held buffer.
constexpr size_t kChunk = 1000;
// What a session's recv offers: not a multiple of the chunk, so reads cut
// held buffers in the middle, and in two iovecs (RECVMSG, and the copy from
// held buffers across iovecs).
constexpr size_t kRecvSize = 1500;

// Byte i of a stream: depends on i beyond its low byte, so a chunk served
// twice, skipped or out of place does not match.
uint8_t streamByte(uint32_t seed, size_t i) {
  uint64_t x = (static_cast<uint64_t>(i) + 1) * 0x9e3779b97f4a7c15ull ^ seed;
  return static_cast<uint8_t>(x >> 29);
}

// One connection: the server side on the port under key, and its client.
struct Peer {
  SocketHandle srv = kInvalidSocket;
  SocketHandle cli = kInvalidSocket;
  uint64_t key = 0;
  uint32_t seed = 0;
  size_t sent = 0;             // stream bytes the client has written
  std::vector<uint8_t> got;    // stream bytes the port's recvs have completed with
  std::vector<uint8_t> buf = std::vector<uint8_t>(kRecvSize);  // the posted recv's memory
  iovec iov[2] = {};
};

bool openPeer(CompletionPort& port, uint32_t slot, Peer* p) {
  p->key = SessionId::make(slot, 1);
  p->seed = slot * 7919u;
  if (!test::pair(&p->srv, &p->cli)) return false;
  return port.associate(p->srv, p->key) == 0;
}

void closePeer(CompletionPort& port, Peer* p) {
  port.dissociate(p->srv, p->key);
  platform::closeSocket(p->srv);
  test::closeClient(p->cli);
}

void sendChunk(Peer& p, size_t n) {
  std::vector<uint8_t> bytes(n);
  for (size_t i = 0; i < n; ++i) bytes[i] = streamByte(p.seed, p.sent + i);
  CHECK_EQ(test::sendBytes(p.cli, bytes.data(), n), static_cast<long>(n));
  p.sent += n;
}

// Bytes in the server socket's receive queue: what no recv has taken yet.
int unread(const Peer& p) {
  int n = -1;
  CHECK_EQ(::ioctl(p.srv, FIONREAD, &n), 0);
  return n;
}

// The worker's turn with nobody's recv posted: the kernel's completions for
// data already in the sockets are reaped (held), none is the caller's.
void settle(CompletionPort& port) {
  Completion cs[4];
  CHECK_EQ(port.wait(cs, 4, 50), 0);
}

int postRecv(CompletionPort& port, Peer& p) {
  p.iov[0] = iovec{p.buf.data(), 600};
  p.iov[1] = iovec{p.buf.data() + 600, kRecvSize - 600};
  return port.postRecv(p.srv, p.key, p.iov, 2);
}

// The completion of p's posted recv: its bytes join p.got. The result (bytes, 0 or -errno), or -ETIME.
int64_t completeRecv(CompletionPort& port, Peer& p) {
  Completion c{};
  if (!test::waitOne(port, &c)) return -ETIME;
  CHECK_EQ(c.key, p.key);
  CHECK(c.op == OpType::Recv);
  if (c.result > 0) p.got.insert(p.got.end(), p.buf.begin(), p.buf.begin() + c.result);
  return c.result;
}

// The session reads until it has every byte sent (each recv completing with data).
void readAll(CompletionPort& port, Peer& p) {
  for (int i = 0; i < 1000 && p.got.size() < p.sent; ++i) {
    CHECK_EQ(postRecv(port, p), 0);
    int64_t r = completeRecv(port, p);
    if (r <= 0) {
      std::fprintf(stderr, "recv of key %llx completed with %lld after %zu of %zu bytes\n",
                   static_cast<unsigned long long>(p.key), static_cast<long long>(r), p.got.size(), p.sent);
      CHECK(r > 0);
      return;
    }
  }
}

// Every byte the client sent came back once, in order.
void checkStream(const Peer& p, const char* what) {
  CHECK_EQ(p.got.size(), p.sent);
  size_t n = p.got.size() < p.sent ? p.got.size() : p.sent;
  for (size_t i = 0; i < n; ++i) {
    if (p.got[i] != streamByte(p.seed, i)) {
      std::fprintf(stderr, "%s: byte %zu of %zu differs\n", what, i, p.sent);
      CHECK(false);
      return;
    }
  }
}

// The client ends its stream: the session's next recv completes with 0, once.
void checkEnd(CompletionPort& port, Peer& p) {
  ::shutdown(p.cli, SHUT_WR);
  CHECK_EQ(postRecv(port, p), 0);
  CHECK_EQ(completeRecv(port, p), 0);
  Completion cs[4];
  CHECK_EQ(port.wait(cs, 4, 100), 0);
  CHECK(!port.hasPendingIo(p.key));
}

// The first recv arms the socket's multishot; the session then posts no more.
void arm(CompletionPort& port, Peer& p) {
  CHECK_EQ(postRecv(port, p), 0);
  sendChunk(p, 100);
  CHECK_EQ(completeRecv(port, p), 100);
}

// p's session stops reading while n chunks arrive: each is taken into a buffer of the ring.
void hold(CompletionPort& port, Peer& p, int n) {
  for (int k = 0; k < n; ++k) {
    sendChunk(p, kChunk);
    settle(port);
    CHECK_EQ(unread(p), 0);
  }
}

std::unique_ptr<CompletionPort> makePort(uint32_t recvBuffers, const char* mode) {
  std::string err;
  std::unique_ptr<CompletionPort> port = createIoUringPort(8, 1, &err, recvBuffers);
  if (!port) {
    std::fprintf(stderr, "io_uring port with %u buffers: %s\n", recvBuffers, err.c_str());
    CHECK(false);
    return nullptr;
  }
  std::string tuning = port->tuning();
  if (tuning.find(mode) == std::string::npos) {
    std::fprintf(stderr, "tuning '%s' does not say '%s'\n", tuning.c_str(), mode);
    CHECK(false);
  }
  return port;
}

void heldLimit() {
  std::unique_ptr<CompletionPort> port = makePort(16, "multishot recv into 16 x 4 KiB");
  if (!port) return;
  Peer a, b;
  CHECK(openPeer(*port, 1, &a));
  CHECK(openPeer(*port, 2, &b));
  arm(*port, a);
  hold(*port, a, 8);
  // The eighth held buffer cancelled the multishot: what comes now stays in the socket.
  for (int k = 0; k < 4; ++k) {
    sendChunk(a, kChunk);
    settle(*port);
  }
  CHECK_EQ(unread(a), static_cast<int>(4 * kChunk));
  // Reading again: the held buffers, then the socket's data through a new multishot.
  readAll(*port, a);
  // And further data, while a recv is posted and while none is.
  CHECK_EQ(postRecv(*port, a), 0);
  sendChunk(a, 700);
  CHECK(completeRecv(*port, a) > 0);
  sendChunk(a, 2 * kChunk);
  readAll(*port, a);
  checkStream(a, "held limit: the socket that stopped reading");

  // Every buffer is back: a ring of 16 takes 8 chunks from each of two sockets.
  arm(*port, b);
  for (int k = 0; k < 8; ++k) {
    hold(*port, a, 1);
    hold(*port, b, 1);
  }
  // Both at the held limit; a's stream ends behind its held data.
  sendChunk(a, kChunk);
  readAll(*port, a);
  readAll(*port, b);
  checkStream(a, "held limit, second round: a");
  checkStream(b, "held limit, second round: b");
  checkEnd(*port, a);
  checkEnd(*port, b);
  closePeer(*port, &a);
  closePeer(*port, &b);
  std::printf("held limit: %zu + %zu bytes through cancel and re-arm\n", a.sent, b.sent);
}

void dryRing() {
  std::unique_ptr<CompletionPort> port = makePort(8, "multishot recv into 8 x 4 KiB");
  if (!port) return;
  Peer a, b;
  CHECK(openPeer(*port, 1, &a));
  CHECK(openPeer(*port, 2, &b));
  arm(*port, a);
  arm(*port, b);
  CHECK_EQ(postRecv(*port, b), 0);  // b's session waits for data
  hold(*port, a, 8);                // a's session does not read: it has every buffer of the ring
  // b's multishot finds no buffer: its recv is a plain RECV, completed with b's data.
  sendChunk(b, 3 * kChunk / 2);
  int64_t r = completeRecv(*port, b);
  if (r <= 0) std::fprintf(stderr, "b's recv on a dry ring completed with %lld\n", static_cast<long long>(r));
  CHECK(r > 0);
  // Still dry: b's next recvs too.
  sendChunk(b, 2 * kChunk);
  readAll(*port, b);
  // a reads: its buffers go back. b's next recv gets a multishot again, which
  // takes data nobody has asked for into the ring.
  readAll(*port, a);
  CHECK_EQ(postRecv(*port, b), 0);
  sendChunk(b, 500);
  CHECK_EQ(completeRecv(*port, b), 500);
  hold(*port, b, 1);
  readAll(*port, b);
  checkStream(a, "dry ring: the socket holding every buffer");
  checkStream(b, "dry ring: the socket that met ENOBUFS");
  checkEnd(*port, a);
  checkEnd(*port, b);
  closePeer(*port, &a);
  closePeer(*port, &b);
  std::printf("dry ring: %zu bytes through the plain RECV fallback\n", b.sent);
}

void plainRecv() {
  std::unique_ptr<CompletionPort> port = makePort(0, "plain recv (asked for");
  if (!port) return;
  Peer a;
  CHECK(openPeer(*port, 3, &a));
  arm(*port, a);
  // No multishot: what arrives while no recv is posted stays in the socket.
  sendChunk(a, 3 * kChunk);
  settle(*port);
  CHECK_EQ(unread(a), static_cast<int>(3 * kChunk));
  readAll(*port, a);
  CHECK_EQ(postRecv(*port, a), 0);
  sendChunk(a, 500);
  CHECK_EQ(completeRecv(*port, a), 500);
  checkStream(a, "plain recv");
  checkEnd(*port, a);
  closePeer(*port, &a);
  std::printf("plain recv: %zu bytes, no multishot\n", a.sent);
}

void refusedCounts() {
  for (uint32_t n : {1u, 3u, 4u, 1000u, 65536u}) {
    std::string err;
    CHECK(createIoUringPort(1, 1, &err, n) == nullptr);
    CHECK(err.find("power of two") != std::string::npos);
  }
}

}  // namespace

int main() {
  test::ignoreSigpipe();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string why;
  if (!createIoUringPort(1, 1, &why)) {
    std::printf("uring_recv_test: skipped (io_uring unavailable: %s)\n", why.c_str());
    return check::finish("uring_recv_test");
  }
  check::watchdog("uring_recv_test", 60, "a completion lost?");
  refusedCounts();
  heldLimit();
  dryRing();
  plainRecv();
  return check::finish("uring_recv_test");
}
#else
int main() {
  std::printf("uring_recv_test: skipped (io_uring is Linux only)\n");
  return check::finish("uring_recv_test");
}
#endif
