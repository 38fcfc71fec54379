// The IOCP backend alone (iocp_port.cpp), on one loopback connection: the
// rules the session layer relies on, checked where Wine or Windows runs it.
//  - a receive whose data is already there (it completes at once) still
//    delivers its completion through wait(), exactly once: one path (seed 001);
//  - a gathered send of several buffers completes with every byte, in order;
//  - a pending receive completes (-ECANCELED) after shutdown + cancelIo,
//    without the peer doing anything;
//  - postUser carries a 64-bit key and value; hasPendingIo follows the posts;
//  - a receive posted after the peer's reset completes through wait() too.
// On Linux (no iocp) it says so and passes.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "check.h"
#include "completion_port.h"
#include "port_fixture.h"
#include "session_id.h"

using namespace lanstress;

#ifdef _WIN32
namespace {

using test::pair;
using test::waitOne;

void run() {
  std::string err;
  std::unique_ptr<CompletionPort> port = createIocpPort(4, 1, &err);
  CHECK(port != nullptr);
  if (!port) return;
  SocketHandle srv = kInvalidSocket, cli = kInvalidSocket;
  CHECK(pair(&srv, &cli));
  const uint64_t key = SessionId::make(2, 7);
  CHECK_EQ(port->associate(srv, key), 0);

  // 1. Data first, then the receive: it completes at once, and still only through wait().
  const char hello[] = "hello, port";
  CHECK_EQ(test::sendBytes(cli, hello, sizeof hello), static_cast<long>(sizeof hello));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  char ring[16] = {0};
  iovec rv[2] = {{ring + 10, 6}, {ring, 10}};  // the ring's free space, wrapped: two WSABUFs
  CHECK_EQ(port->postRecv(srv, key, rv, 2), 0);
  Completion c{};
  CHECK(waitOne(*port, &c));
  CHECK_EQ(c.key, key);
  CHECK(c.op == OpType::Recv);
  CHECK_EQ(c.result, static_cast<int64_t>(sizeof hello));
  CHECK(std::memcmp(ring + 10, hello, 6) == 0 && std::memcmp(ring, hello + 6, sizeof hello - 6) == 0);
  Completion extra[4];
  CHECK_EQ(port->wait(extra, 4, 200), 0);  // exactly once
  CHECK(!port->hasPendingIo(key));

  // 2. A gathered send: three buffers, one WSASend, every byte in order.
  char a[] = "one-", b[] = "two-", d[] = "three";
  iovec sv[3] = {{a, 4}, {b, 4}, {d, 5}};
  CHECK_EQ(port->postSend(srv, key, sv, 3), 0);
  CHECK(waitOne(*port, &c));
  CHECK(c.op == OpType::Send);
  CHECK_EQ(c.result, 13);
  char got[32] = {0};
  long n = 0;
  while (n < 13) {
    long r = test::recvBytes(cli, got + n, sizeof got - static_cast<size_t>(n));
    if (r <= 0) break;
    n += r;
  }
  CHECK_EQ(n, 13L);
  CHECK(std::memcmp(got, "one-two-three", 13) == 0);

  // 3. A receive nobody will feed: shutdown + cancelIo complete it now.
  CHECK_EQ(port->postRecv(srv, key, rv, 2), 0);
  CHECK(port->hasPendingIo(key));
  CHECK_EQ(port->postRecv(srv, key, rv, 2), -EBUSY);  // one receive per socket
  CHECK_EQ(port->wait(extra, 4, 100), 0);
  platform::shutdownBoth(srv);
  port->cancelIo(srv, key);
  CHECK(waitOne(*port, &c));
  CHECK(c.op == OpType::Recv);
  std::printf("pending receive after shutdown + CancelIoEx: %lld\n", static_cast<long long>(c.result));
  CHECK(c.result == -ECANCELED || c.result == 0);
  CHECK(!port->hasPendingIo(key));

  // 4. User completions: 64-bit key and value, one per post.
  CHECK_EQ(port->postUser(0, 1), 0);
  CHECK(waitOne(*port, &c));
  CHECK(c.op == OpType::User && c.key == 0 && c.result == 1);
  CHECK_EQ(port->postUser(~uint64_t{0} >> 2, INT64_MIN + 5), 0);
  CHECK(waitOne(*port, &c));
  CHECK(c.op == OpType::User && c.key == (~uint64_t{0} >> 2) && c.result == INT64_MIN + 5);

  port->dissociate(srv, key);
  platform::closeSocket(srv);
  test::closeClient(cli);

  // 5. A receive posted after the peer reset: whether Winsock fails it at once or
  //    later, post returns 0 and the failure arrives through wait() (one path).
  CHECK(pair(&srv, &cli));
  const uint64_t key2 = SessionId::make(3, 1);
  CHECK_EQ(port->associate(srv, key2), 0);
  test::closeClient(cli, true);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK_EQ(port->postRecv(srv, key2, rv, 2), 0);
  CHECK(waitOne(*port, &c));
  CHECK(c.op == OpType::Recv && c.key == key2);
  std::printf("receive posted after the peer's reset: %lld\n", static_cast<long long>(c.result));
  CHECK(c.result == -ECONNRESET || c.result == 0);
  CHECK(!port->hasPendingIo(key2));
  port->dissociate(srv, key2);
  platform::closeSocket(srv);
  std::printf("iocp port: sync completion once, gathered send, cancel, user posts\n");
}

}  // namespace

int main() {
  run();
  return check::finish("iocp_port_test");
}
#else
int main() {
  std::printf("iocp_port_test: skipped (iocp is the Windows backend: make TARGET=windows test)\n");
  return check::finish("iocp_port_test");
}
#endif
