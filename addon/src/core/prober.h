// The watch thread: one extra thread (not a worker) for the life of a
// LanServer, started by start() and joined by stop() before any session is
// force-disconnected, so it never races teardown. It has two jobs:
//
//  SWEEP (always, every kSweepMs): reads every slot and counts what no
//  completion ever reports (the invariants are in session.h):
//   - strandedSend: a live, not-disconnecting session with packets queued
//     (sendHead non-null) and sendFlag clear, unchanged (same id, same head
//     pointer) at every sweep for >= kStrandedMs: a push that nobody will send
//     (I4 broken). Counted once per stranding.
//   - releaseStalled: a session marked for disconnect (and shut down) still
//     not released kReleaseStallMs later. The shutdown makes every pending I/O
//     complete within moments, so a correct server releases it at once (I3).
//   - not a count but an action: a deferred protocol disconnect
//     (Session::closeWhenSent) whose answer the peer has not taken within
//     kCloseWhenSentMaxMs is made now (LanServer::expireCloseWhenSent).
//
//  PROBES (LanServerOptions::probes only), at a bounded rate:
//   - stale ids: the ids of the last ReleasedIds::kSize released sessions get
//     LanServer::sendPacket and LanServer::disconnect, from this thread, racing
//     the slots' reuse. Each must return false: the id was released, so a true
//     return means a stale id reached a live session (staleIdAccepted).
//   - live sessions: random slots are picked as broadcast picks them; in echo
//     mode with a length-prefixed framing each gets a burst of probe packets (format below;
//     the framing's extra header bytes, if any, are zero)
//     through the public sendPacket, racing the workers' own sends, send
//     completions and releases (cross-session sends racing the sendFlag). In
//     other modes the session is only acquired and released again, so clients
//     that do not know probe packets never see one.
//
// PROBE PACKET (payload; the framing adds its length field and extra bytes), little-endian:
//   offset 0  u32 0xFFFFFFFF (kProbeSerial: no fleet connection has it)
//   offset 4  u32 n          (a per-server counter)
//   offset 8  u64 the target session id
//   offset 16 byte i = (n * 7 + i * 131) & 0xff, for i = 0 .. L-17
//   L = 16 + n % 49
//
// Slots are read without holding a count (SessionTable::forEachView,
// session_table.h), and a finding must persist across sweeps before it counts.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "framing.h"
#include "session_table.h"

namespace lanstress {

class LanServer;

constexpr int64_t kSweepMs = 100;
constexpr int64_t kStrandedMs = 1000;
constexpr int64_t kReleaseStallMs = 3000;
// How long a peer that sent a bad header may take to read the answer to what it sent before.
constexpr int64_t kCloseWhenSentMaxMs = 1000;
constexpr uint32_t kProbeSerial = 0xffffffffu;
constexpr size_t kProbeMaxPayload = 16 + 48;
// Probe budget: packets (live) and ids (stale) per second, spread over kProbeTickMs ticks.
constexpr int64_t kProbeTickMs = 10;
constexpr uint32_t kProbePacketsPerSec = 4000;
constexpr uint32_t kProbeBurst = 8;
// A burst's packets are spread by a random pause of up to this (a spin: a few
// ms of CPU per second at most), so they land while the workers complete the
// burst's earlier sends, not all before the first completion.
constexpr int64_t kProbeSpacingMaxNs = 2000;
constexpr uint32_t kStaleIdsPerTick = 8;
// Kicks per second from this thread, and how long each one then races the session's release.
constexpr uint32_t kProbeKicksPerSec = 20;
constexpr int64_t kKickRaceMaxUs = 5000;

inline int64_t steadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Counters of the watch thread (ServerStats), owned by the LanServer so they
// outlive the thread. Relaxed: independent counters read by stats().
struct WatchCounters {
  std::atomic<uint64_t> staleIdAccepted{0};
  std::atomic<uint64_t> strandedSend{0};
  std::atomic<uint64_t> releaseStalled{0};
  std::atomic<uint64_t> probeCalls{0};
};

// The ids of the last kSize released sessions. record() runs in every release
// (a hot path): one fetch_add and one store, no lock. Relaxed is enough: an
// entry is only ever a released id (or 0), and whether acquire() refuses it is
// decided by the slot's own ioState/id atomics, not by this ring.
class ReleasedIds {
 public:
  static constexpr uint32_t kSize = 256;  // a power of two: the index wraps with the u32 counter
  void record(uint64_t id) {
    uint32_t i = next_.fetch_add(1, std::memory_order_relaxed);
    ids_[i % kSize].store(id, std::memory_order_relaxed);
  }
  // Up to max of the most recently recorded ids, newest first (never-written entries skipped).
  uint32_t newest(uint64_t* out, uint32_t max) const;

 private:
  std::atomic<uint32_t> next_{0};
  std::atomic<uint64_t> ids_[kSize] = {};
};

// Fills a probe payload for counter n and target id; returns its length.
size_t buildProbePayload(uint8_t* out, uint32_t n, uint64_t target);
// What sendPacket takes for probe n: `extraBytes` zero header bytes (the
// framing's, framing.h), then the probe payload. Returns its length.
size_t buildProbeBody(uint8_t* out, uint8_t extraBytes, uint32_t n, uint64_t target);
// Room for the longest probe body.
constexpr size_t kProbeMaxBody = kMaxExtraHeaderBytes + kProbeMaxPayload;

struct ProberConfig {
  bool probes = false;            // run the probes (the sweep always runs)
  bool sendProbePackets = false;  // live probes send probe packets (echo mode, a length-prefixed framing)
  uint8_t probeHeaderBytes = 0;   // the framing's extra header bytes, sent as zeros before each probe
  int64_t strandedMs = kStrandedMs;
  uint64_t seed = 1;
};

// RAII: the constructor starts the thread, stop() (or the destructor) joins it.
class Prober {
 public:
  Prober(LanServer& server, SessionTable& table, const ReleasedIds& released, WatchCounters& counters,
         ProberConfig config);
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;
  void stop();

 private:
  struct SlotMark {
    uint64_t strandId = 0;  // 0 = not stranded at the last sweep
    const void* strandHead = nullptr;
    int64_t strandSinceMs = 0;
    bool strandCounted = false;
    uint64_t stalledId = 0;  // the last session counted as releaseStalled
  };

  void run();
  void sweep(int64_t nowMs);
  void probeStale();
  void probeLive();
  void probeKick();
  void pause();
  uint64_t random();

  LanServer& server_;
  SessionTable& table_;
  const ReleasedIds& released_;
  WatchCounters& counters_;
  const ProberConfig config_;
  std::vector<SlotMark> marks_;  // watch thread only
  uint64_t rng_;
  uint32_t probeSeq_ = 0;
  uint32_t ticks_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  bool quit_ = false;  // under mu_
  std::thread thread_;
};

}  // namespace lanstress
