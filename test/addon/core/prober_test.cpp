// The watch thread's detectors (prober.h) and the checks around them, on
// states built by hand: each detector counts the broken state it exists for,
// once, and stays 0 on the legitimate state that looks closest to it.
//  1. ReleasedIds keeps the newest released ids; the probe payload format.
//  2. sweep: strandedSend (queued, no send in flight, for 1 s) and
//     releaseStalled (marked 3 s ago, not released); a send in flight and a
//     fresh mark are not counted.
//  3. SessionTable::reserve counts dirtySlot for a slot released unclean.
//  4. kQueuedPacketOverhead is an upper bound of what a queued packet really
//     costs on the heap (glibc; skipped under sanitizers, which replace malloc).
#ifndef _WIN32
#include <malloc.h>
#endif

#include <chrono>
#include <thread>
#include <vector>

#include "check.h"
#include "lan_server.h"
#include "prober.h"
#include "session_table.h"

using namespace lanstress;

namespace {

// Releases with none of the LanServer's cleanup but the socket's, so a test
// decides what else the slot keeps.
class BareReleaser : public SessionReleaser {
 public:
  SessionTable* table = nullptr;
  bool forgetSocket = false;
  void releaseSession(Session* s) override {
    if (!table->beginRelease(s)) return;
    if (!forgetSocket) s->fd = -1;
    table->recycle(s);
  }
};

// Filled as the accept thread fills it (a socket number that is never used, a ring), then live.
Session* liveSession(SessionTable& table) {
  Session* s = table.reserve();
  s->fd = 1000;
  s->reason.store(0);
  s->recvRing.reset(64);
  table.publish(s);
  return s;  // holding the accept thread's count
}

void releasedIdsAndPayload() {
  ReleasedIds ids;
  uint64_t out[8];
  CHECK_EQ(ids.newest(out, 8), 0u);
  ids.record(7);
  CHECK_EQ(ids.newest(out, 8), 1u);
  CHECK_EQ(out[0], 7u);
  for (uint64_t id = 1; id <= 300; ++id) ids.record(id);
  CHECK_EQ(ids.newest(out, 8), 8u);
  for (uint64_t k = 0; k < 8; ++k) CHECK_EQ(out[k], 300 - k);

  uint8_t p[kProbeMaxPayload];
  for (uint32_t n : {0u, 1u, 48u, 49u, 1000u, 0xffffffffu}) {
    size_t len = buildProbePayload(p, n, 0x0123456789abcdefull);
    CHECK_EQ(len, 16 + n % 49);
    CHECK_EQ(p[0] & p[1] & p[2] & p[3], 0xff);
    CHECK_EQ(p[4] | (p[5] << 8) | (p[6] << 16) | (static_cast<uint32_t>(p[7]) << 24), n);
    CHECK_EQ(p[8], 0xef);
    CHECK_EQ(p[15], 0x01);
    for (size_t i = 0; i + 16 < len; ++i) CHECK_EQ(p[16 + i], static_cast<uint8_t>((n * 7 + i * 131) & 0xff));
  }
}

void sweepDetectors() {
  BareReleaser rel;
  SessionTable table(8, &rel);
  rel.table = &table;
  Session* stranded = liveSession(table);
  Session* inFlight = liveSession(table);
  Session* stalled = liveSession(table);
  Session* freshMark = liveSession(table);
  Session* idle = liveSession(table);
  PacketRef a(Packet::framed(Framing::lan(), nullptr, 0)), b(Packet::framed(Framing::lan(), nullptr, 0));
  CHECK(stranded->enqueue(a.get(), 1 << 20));  // queued, and nobody took sendFlag: stranded
  CHECK(inFlight->enqueue(b.get(), 1 << 20));
  inFlight->sendFlag.store(1);  // the holder will collect it at its send completion: fine
  CHECK(stalled->markDisconnect(DisconnectReason::Kicked));
  stalled->disconnectMarkMs.store(steadyNowMs() - kReleaseStallMs);
  CHECK(freshMark->markDisconnect(DisconnectReason::Kicked));
  freshMark->disconnectMarkMs.store(steadyNowMs());

  LanServer unused;  // probes off: the sweep never calls the server
  ReleasedIds released;
  WatchCounters counters;
  {
    Prober watch(unused, table, released, counters, ProberConfig{});
    std::this_thread::sleep_for(std::chrono::milliseconds(kStrandedMs + 4 * kSweepMs));
    CHECK_EQ(counters.strandedSend.load(), 1u);
    CHECK_EQ(counters.releaseStalled.load(), 1u);
    // Counted once per stranding and per stalled session, however long they last.
    std::this_thread::sleep_for(std::chrono::milliseconds(3 * kSweepMs));
    watch.stop();
  }
  CHECK_EQ(counters.strandedSend.load(), 1u);
  CHECK_EQ(counters.releaseStalled.load(), 1u);
  CHECK_EQ(counters.staleIdAccepted.load(), 0u);
  CHECK_EQ(counters.probeCalls.load(), 0u);
  SlotView v;
  CHECK(viewSlot(*stranded, &v) && v.stranded());
  CHECK(viewSlot(*inFlight, &v) && !v.stranded());
  CHECK(viewSlot(*idle, &v) && !v.stranded());
  for (Session* s : {stranded, inFlight, stalled, freshMark, idle}) {
    s->dropSends();
    table.decRef(s);
  }
  CHECK(!viewSlot(*idle, &v));  // released: nothing to view
}

void dirtySlot() {
  BareReleaser rel;
  SessionTable table(1, &rel);
  rel.table = &table;
  Session* s = liveSession(table);
  table.decRef(s);  // released clean
  s = liveSession(table);
  CHECK_EQ(table.anomalies.dirtySlot.load(), 0u);
  s->queuedBytes.store(2 + kQueuedPacketOverhead);  // release forgot the budget
  table.decRef(s);
  s = liveSession(table);
  CHECK_EQ(table.anomalies.dirtySlot.load(), 1u);
  s->queuedBytes.store(0);
  rel.forgetSocket = true;  // release forgot the socket
  table.decRef(s);
  s = liveSession(table);
  CHECK_EQ(table.anomalies.dirtySlot.load(), 2u);
  rel.forgetSocket = false;
  table.decRef(s);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
void queuedPacketCost() { std::printf("queuedPacketCost: skipped (the sanitizer replaces malloc)\n"); }
#elif defined(_WIN32)
void queuedPacketCost() { std::printf("queuedPacketCost: skipped (measured with glibc malloc; Windows has its own heap)\n"); }
#else
// Heap bytes per packet for n packets of this payload, queued as a burst
// behind a send in flight (the MPSC stack), then collected (the deque).
void queuedPacketCost() {
  constexpr int kPackets = 100000;
  for (size_t payload : {0u, 1u, 14u, 16u, 100u, 1000u}) {
    Session s;
    auto heap = [] { return static_cast<int64_t>(mallinfo2().uordblks); };
    int64_t before = heap();
    for (int i = 0; i < kPackets; ++i) {
      std::vector<uint8_t> bytes(payload, 1);
      PacketRef p(Packet::framed(Framing::lan(), bytes.data(), payload));
      CHECK(s.enqueue(p.get(), int64_t{1} << 40));
    }
    int64_t stacked = heap() - before;
    s.collectQueued();
    int64_t collected = heap() - before;
    int64_t wire = static_cast<int64_t>(payload + Framing::lan().headerBytes());
    int64_t worst = (stacked > collected ? stacked : collected) / kPackets;
    std::printf("queuedPacketCost: payload %zu: %lld heap bytes per packet (wire %lld, charged %lld)\n", payload,
                static_cast<long long>(worst), static_cast<long long>(wire),
                static_cast<long long>(wire + kQueuedPacketOverhead));
    CHECK(worst <= wire + kQueuedPacketOverhead);
    CHECK_EQ(s.queuedBytes.load(), kPackets * (wire + kQueuedPacketOverhead));
    s.dropSends();
  }
}
#endif

}  // namespace

int main() {
  releasedIdsAndPayload();
  sweepDetectors();
  dirtySlot();
  queuedPacketCost();
  return check::finish("prober_test");
}
