// Tries to break the release invariants (session.h I1-I4) with threads:
//  1. the SessionTable alone: acquirers race the thread that drops a session's
//     last count; a session must never be seen released while held, and every
//     id is released exactly once.
//  2. a real LanServer on loopback (echo and broadcast): clients connect, send
//     and close (FIN or RST, mid-I/O) while other threads call sendPacket and
//     disconnect on live and stale ids. Every accepted id is released exactly
//     once, anomaly counters stay 0, nothing leaks.
// Bounded in time (about a second per part) and in connections.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "check.h"
#include "loopback_client.h"
#include "lan_server.h"
#include "session_table.h"

using namespace lanstress;
using Clock = std::chrono::steady_clock;

namespace {

// ---------------------------------------------------------------- part 1

class RecordingReleaser : public SessionReleaser {
 public:
  SessionTable* table = nullptr;
  std::mutex mu;
  std::map<uint64_t, int> releases;
  void releaseSession(Session* s) override {
    if (!table->beginRelease(s)) return;
    {
      std::lock_guard<std::mutex> lk(mu);
      ++releases[s->id.load()];
    }
    table->recycle(s);
  }
};

void tableRace() {
  constexpr uint32_t kSlots = 16;
  constexpr int kRecent = 64;
  RecordingReleaser rel;
  SessionTable table(kSlots, &rel);
  rel.table = &table;
  // One flag per slot stands for "a recv is posted": whoever clears it drops that count.
  std::vector<std::atomic<bool>> recvPending(kSlots);
  std::atomic<uint64_t> recent[kRecent];
  for (auto& r : recent) r.store(0);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> heldButReleased{0}, published{0}, acquired{0};

  std::thread producer([&] {  // the accept thread: the only one that reserves
    uint64_t n = 0;
    while (!done.load()) {
      Session* s = table.reserve();
      if (!s) {
        std::this_thread::yield();
        continue;
      }
      table.publish(s);
      table.addRef(s);  // the posted recv
      recvPending[s->slot].store(true);
      recent[n++ % kRecent].store(s->id.load());
      published.fetch_add(1);
      table.decRef(s);  // the accept count
    }
  });

  std::vector<std::thread> hammers;
  for (int h = 0; h < 3; ++h) {
    hammers.emplace_back([&, h] {
      std::mt19937_64 rng(static_cast<uint64_t>(h) * 7919 + 1);
      while (!done.load()) {
        uint64_t id = recent[rng() % kRecent].load();
        Session* s = table.acquire(id);
        if (!s) continue;
        acquired.fetch_add(1);
        // Held: the session cannot be released under us, nor its slot reused.
        if (s->slotState.load() != SlotState::Live || s->id.load() != id) heldButReleased.fetch_add(1);
        if (rng() % 4 == 0 && recvPending[s->slot].exchange(false)) table.decRef(s);  // "the recv completed with 0"
        if (s->slotState.load() != SlotState::Live || s->id.load() != id) heldButReleased.fetch_add(1);
        table.decRef(s);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  done.store(true);
  producer.join();
  for (auto& t : hammers) t.join();
  // Drop the counts still posted: every published session must end released.
  for (uint32_t slot = 0; slot < kSlots; ++slot) {
    if (recvPending[slot].exchange(false)) table.decRef(&table.at(slot));
  }

  CHECK(published.load() > 100);
  CHECK(acquired.load() > 100);
  CHECK_EQ(heldButReleased.load(), 0u);
  CHECK_EQ(rel.releases.size(), published.load());
  int notOnce = 0;
  for (const auto& kv : rel.releases) notOnce += kv.second != 1;
  CHECK_EQ(notOnce, 0);
  CHECK_EQ(table.freeSlots(), kSlots);
  CHECK_EQ(table.anomalies.doubleRelease.load(), 0u);
  CHECK_EQ(table.anomalies.ioCountUnderflow.load(), 0u);
  CHECK_EQ(table.anomalies.releaseWithPendingIo.load(), 0u);
  std::printf("table race: %llu sessions, %llu acquires\n", static_cast<unsigned long long>(published.load()),
              static_cast<unsigned long long>(acquired.load()));
}

// ---------------------------------------------------------------- part 2

class RecordingHooks : public LanServerHooks {
 public:
  std::mutex mu;
  std::map<uint64_t, int> accepts, releases;
  std::vector<uint64_t> ids;
  void onAccept(uint64_t id, const char*, uint16_t) override {
    std::lock_guard<std::mutex> lk(mu);
    ++accepts[id];
    ids.push_back(id);
  }
  void onRelease(uint64_t id, DisconnectReason) override {
    std::lock_guard<std::mutex> lk(mu);
    ++releases[id];
  }
  void onError(const char* code, const std::string& message) override {
    std::fprintf(stderr, "server error %s: %s\n", code, message.c_str());
  }
  uint64_t pick(std::mt19937_64& rng) {
    std::lock_guard<std::mutex> lk(mu);
    if (ids.empty()) return 0;
    // Mostly recent ids (likely live), sometimes old ones (stale).
    size_t n = ids.size();
    size_t back = rng() % 4 ? rng() % (n < 32 ? n : 32) : rng() % n;
    return ids[n - 1 - back];
  }
};

void serverRace(Mode mode, uint32_t room, Backend backend) {
  RecordingHooks hooks;
  LanServer server(&hooks);
  LanServerOptions o;
  o.port = 0;
  o.workers = 2;
  o.maxSessions = 64;
  o.maxPayload = 512;
  o.sendQueueLimit = 64 * 1024;
  o.mode = mode;
  o.room = room;
  o.backend = backend;
  ListenInfo info;
  ServerError err;
  if (!server.start(o, &info, &err)) {
    std::fprintf(stderr, "start: %s %s\n", err.code.c_str(), err.message.c_str());
    CHECK(false);
    return;
  }
  std::atomic<bool> done{false};
  std::atomic<uint64_t> sends{0}, kicks{0}, connections{0};

  std::vector<std::thread> clients;
  for (int c = 0; c < 2; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937_64 rng(static_cast<uint64_t>(c) + 100);
      std::vector<SocketHandle> open;
      char buf[4096];
      while (!done.load()) {
        if (open.size() < 24) {
          SocketHandle fd = test::connectLoopback(info.port, timeval{0, 2000});
          if (fd != kInvalidSocket) {
            open.push_back(fd);
            connections.fetch_add(1);
          }
        }
        for (SocketHandle fd : open) {
          uint8_t pkt[2 + 64];
          uint16_t len = static_cast<uint16_t>(rng() % 64);
          pkt[0] = static_cast<uint8_t>(len);
          pkt[1] = 0;
          for (int r = 0; r < 4; ++r) test::sendBytes(fd, pkt, 2u + len, false);
          if (rng() % 2) test::recvBytes(fd, buf, sizeof buf, false);
        }
        if (!open.empty() && rng() % 3 == 0) {
          size_t i = rng() % open.size();
          test::closeClient(open[i], rng() % 2);  // RST half the time, often with echoes unread: mid-I/O
          open.erase(open.begin() + static_cast<long>(i));
        }
      }
      for (SocketHandle fd : open) test::closeClient(fd);
    });
  }

  std::vector<std::thread> hammers;
  for (int h = 0; h < 2; ++h) {
    hammers.emplace_back([&, h] {
      std::mt19937_64 rng(static_cast<uint64_t>(h) + 7);
      uint8_t payload[100] = {0};
      while (!done.load()) {
        uint64_t id = hooks.pick(rng);
        if (rng() % 50 == 0) id = rng();  // garbage: must be a safe no-op
        if (rng() % 20 == 0) {
          if (server.disconnect(id)) kicks.fetch_add(1);
        } else if (server.sendPacket(id, payload, rng() % sizeof payload)) {
          sends.fetch_add(1);
        }
      }
    });
  }

  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  done.store(true);
  for (auto& t : hammers) t.join();
  for (auto& t : clients) t.join();
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    server.stop();
    stopped.store(true);
  });
  for (int i = 0; i < 200 && !stopped.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!stopped.load()) {
    ServerStats st = server.stats();
    std::fprintf(stderr,
                 "%s race: stop() did not return within 10 s: sessions %llu, disconnecting %llu, anomalies "
                 "doubleRelease %llu ioCountUnderflow %llu releaseWithPendingIo %llu\n",
                 modeName(mode), static_cast<unsigned long long>(st.sessions),
                 static_cast<unsigned long long>(st.disconnectingSessions),
                 static_cast<unsigned long long>(st.doubleRelease), static_cast<unsigned long long>(st.ioCountUnderflow),
                 static_cast<unsigned long long>(st.releaseWithPendingIo));
    std::_Exit(1);
  }
  stopper.join();

  ServerStats st = server.stats();
  CHECK(st.accepted > 20);
  CHECK_EQ(st.accepted, static_cast<uint64_t>(hooks.accepts.size()));
  CHECK_EQ(st.released, st.accepted);
  CHECK_EQ(st.sessions, 0u);
  uint64_t sum = 0;
  for (uint64_t d : st.disconnects) sum += d;
  CHECK_EQ(sum, st.released);
  CHECK_EQ(st.doubleRelease, 0u);
  CHECK_EQ(st.ioCountUnderflow, 0u);
  CHECK_EQ(st.releaseWithPendingIo, 0u);
  CHECK_EQ(st.disconnectingSessions, 0u);
  CHECK_EQ(st.freeSlots, 64u);
  int bad = 0;
  for (const auto& kv : hooks.accepts) {
    auto it = hooks.releases.find(kv.first);
    bad += kv.second != 1 || it == hooks.releases.end() || it->second != 1;
  }
  CHECK_EQ(bad, 0);
  CHECK_EQ(hooks.releases.size(), hooks.accepts.size());
  CHECK(st.staleIdCalls > 0);
  std::printf("%s/%s race: %llu sessions, %llu sendPacket ok, %llu kicked, %llu stale calls\n", modeName(mode), backendName(backend),
              static_cast<unsigned long long>(st.accepted), static_cast<unsigned long long>(sends.load()),
              static_cast<unsigned long long>(kicks.load()), static_cast<unsigned long long>(st.staleIdCalls));
}

}  // namespace

int main() {
  test::ignoreSigpipe();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  check::watchdog("concurrency_test", 45, "a session never released?");
  tableRace();
#ifdef _WIN32
  serverRace(Mode::Echo, 0, Backend::Iocp);
  serverRace(Mode::Broadcast, 4, Backend::Iocp);
#else
  serverRace(Mode::Echo, 0, Backend::Epoll);
  serverRace(Mode::Broadcast, 4, Backend::Epoll);
  std::string why;
  if (createIoUringPort(1, 1, &why)) {
    serverRace(Mode::Echo, 0, Backend::IoUring);
    serverRace(Mode::Broadcast, 4, Backend::IoUring);
  } else {
    std::printf("io_uring races skipped: %s\n", why.c_str());
  }
#endif
  return check::finish("concurrency_test");
}
