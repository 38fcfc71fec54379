// A protocol violation in echo mode: the answer to every valid packet before the
// bad header goes out through the completion port (many short sends with a small
// SO_SNDBUF), and only then is the session disconnected (reason protocol) and
// released. On every backend the kernel offers.
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "check.h"
#include "loopback_client.h"
#include "lan_server.h"

using namespace lanstress;

namespace {

constexpr uint32_t kMaxPayload = 100;
constexpr int kPackets = 400;  // 40 KB of answers: far more than the 4 KB send buffer takes at once

// Valid packets of kMaxPayload bytes, then a header announcing one byte more.
std::vector<uint8_t> validThenBad(int packets = kPackets) {
  std::vector<uint8_t> out;
  for (int i = 0; i < packets; ++i) {
    out.push_back(kMaxPayload & 0xff);
    out.push_back(0);
    for (uint32_t k = 0; k < kMaxPayload; ++k) out.push_back(static_cast<uint8_t>(i + k));
  }
  out.push_back((kMaxPayload + 1) & 0xff);
  out.push_back(0);
  return out;
}

// Everything the server sends until it closes (EOF) or the read times out.
std::vector<uint8_t> readToEnd(SocketHandle fd, bool* closed) {
  std::vector<uint8_t> got;
  uint8_t buf[8192];
  for (;;) {
    long n = test::recvBytes(fd, buf, sizeof buf);
    if (n <= 0) {
      *closed = n == 0;
      return got;
    }
    got.insert(got.end(), buf, buf + n);
  }
}

// An echo server with a small send buffer, so every answer goes out in many short sends.
LanServerOptions echoOptions(Backend backend) {
  LanServerOptions o;
  o.workers = 2;
  o.maxPayload = kMaxPayload;
  o.sendBuffer = 4096;
  o.backend = backend;
  return o;
}

// Starts the server and connects one client: its socket, or kInvalidSocket (a failed check).
SocketHandle startAndConnect(LanServer& server, const LanServerOptions& o) {
  ListenInfo info;
  ServerError err;
  if (!server.start(o, &info, &err)) {
    std::fprintf(stderr, "start: %s %s\n", err.code.c_str(), err.message.c_str());
    CHECK(false);
    return kInvalidSocket;
  }
  SocketHandle fd = test::connectLoopback(info.port, timeval{5, 0});
  CHECK(fd != kInvalidSocket);
  return fd;
}

void violationAnswered(Backend backend) {
  LanServer server;
  SocketHandle fd = startAndConnect(server, echoOptions(backend));
  if (fd == kInvalidSocket) return;
  std::vector<uint8_t> sent = validThenBad();
  // The reader must run while writing: the answers fill both socket buffers long before the last byte is written.
  bool closed = false;
  std::vector<uint8_t> got;
  std::thread reader([&] { got = readToEnd(fd, &closed); });
  CHECK_EQ(test::sendBytes(fd, sent.data(), sent.size()), static_cast<long>(sent.size()));
  reader.join();
  test::closeClient(fd);

  CHECK(closed);
  CHECK_EQ(got.size(), sent.size() - 2);
  CHECK(std::equal(got.begin(), got.end(), sent.begin()));
  for (int i = 0; i < 200; ++i) {
    if (server.stats().sessions == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ServerStats st = server.stats();
  CHECK_EQ(st.sessions, 0u);
  CHECK_EQ(st.disconnects[static_cast<int>(DisconnectReason::Protocol) - 1], 1u);
  CHECK_EQ(st.sendPackets, static_cast<uint64_t>(kPackets));
  CHECK_EQ(st.livePackets, 0u);
  server.stop();
  std::printf("%s: %zu bytes answered before the protocol disconnect\n", backendName(backend), got.size());
}

// A peer that sends a bad header after more than the socket buffers can hold
// of answers, and then never reads: the deferred disconnect must not wait for
// it for ever (kCloseWhenSentMaxMs), or such a peer holds a session open.
void violationNotReadIsCut(Backend backend) {
  LanServer server;
  LanServerOptions o = echoOptions(backend);
  o.sendQueueLimit = 64u << 20;  // the limit must not be what cuts it
  SocketHandle fd = startAndConnect(server, o);
  if (fd == kInvalidSocket) return;
  std::vector<uint8_t> sent = validThenBad(20000);  // 2 MB of answers nobody reads
  CHECK_EQ(test::sendBytes(fd, sent.data(), sent.size()), static_cast<long>(sent.size()));
  // Waits for the release itself: the 2 MB can sit in the kernel's buffers before the accept
  // thread has published the session, when "no session" would be true too early.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server.stats().released == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ServerStats st = server.stats();
  CHECK_EQ(st.released, 1u);
  CHECK_EQ(st.sessions, 0u);
  CHECK_EQ(st.disconnects[static_cast<int>(DisconnectReason::Protocol) - 1], 1u);
  if (st.disconnects[static_cast<int>(DisconnectReason::Protocol) - 1] != 1) {
    for (int i = 0; i < kReasonCount; ++i) {
      if (st.disconnects[i]) std::fprintf(stderr, "  released as %s: %llu\n", reasonName(static_cast<DisconnectReason>(i + 1)), static_cast<unsigned long long>(st.disconnects[i]));
    }
  }
  test::closeClient(fd);
  server.stop();
}

}  // namespace

int main() {
  test::ignoreSigpipe();
  for (Backend b : availableBackends()) {
    violationAnswered(b);
    violationNotReadIsCut(b);
  }
  return check::finish("violation_test");
}
