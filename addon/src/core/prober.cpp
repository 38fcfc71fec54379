#include "prober.h"

#include <cstring>

#include "lan_server.h"
#include "session_table.h"

namespace lanstress {

uint32_t ReleasedIds::newest(uint64_t* out, uint32_t max) const {
  uint32_t end = next_.load(std::memory_order_relaxed);
  uint32_t n = 0;
  for (uint32_t k = 1; k <= kSize && n < max; ++k) {
    uint64_t id = ids_[(end - k) % kSize].load(std::memory_order_relaxed);
    if (id != 0) out[n++] = id;
  }
  return n;
}

size_t buildProbePayload(uint8_t* out, uint32_t n, uint64_t target) {
  size_t len = 16 + n % 49;
  auto put = [out](size_t at, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  put(0, kProbeSerial, 4);
  put(4, n, 4);
  put(8, target, 8);
  for (size_t i = 0; i + 16 < len; ++i) out[16 + i] = static_cast<uint8_t>((n * 7u + i * 131u) & 0xff);
  return len;
}

size_t buildProbeBody(uint8_t* out, uint8_t extraBytes, uint32_t n, uint64_t target) {
  std::memset(out, 0, extraBytes);
  return extraBytes + buildProbePayload(out + extraBytes, n, target);
}

Prober::Prober(LanServer& server, SessionTable& table, const ReleasedIds& released, WatchCounters& counters,
               ProberConfig config)
    : server_(server),
      table_(table),
      released_(released),
      counters_(counters),
      config_(config),
      rng_(config.seed * 0x2545f4914f6cdd1dull + 0x9e3779b97f4a7c15ull) {
  thread_ = std::thread(&Prober::run, this);
}

Prober::~Prober() { stop(); }

void Prober::stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t Prober::random() {
  // splitmix64, as the workers' chaos generator.
  uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void Prober::run() {
  int64_t tick = config_.probes ? kProbeTickMs : kSweepMs;
  int64_t nextSweep = steadyNowMs() + kSweepMs;
  std::unique_lock<std::mutex> lk(mu_);
  while (!cv_.wait_for(lk, std::chrono::milliseconds(tick), [this] { return quit_; })) {
    lk.unlock();
    if (config_.probes) {
      probeStale();
      probeLive();
      if (++ticks_ % (1000 / kProbeTickMs / kProbeKicksPerSec) == 0) probeKick();
    }
    int64_t now = steadyNowMs();
    if (now >= nextSweep) {
      sweep(now);
      nextSweep = now + kSweepMs;
    }
    lk.lock();
  }
}

void Prober::sweep(int64_t now) {
  uint32_t hw = table_.highWater();
  if (marks_.size() < hw) marks_.resize(hw);
  table_.forEachView([this, now](uint32_t slot, const SlotView* v) {
    // The scan reads highWater again: a slot handed out since the resize above waits for the next sweep.
    if (slot >= marks_.size()) return;
    SlotMark& m = marks_[slot];
    // A stranding counts only when every sweep of its span saw it.
    if (!v || !v->stranded()) m.strandId = 0;
    if (!v) return;
    if (v->reason == 0 && v->closeWhenSentMs != 0 && now - v->closeWhenSentMs >= kCloseWhenSentMaxMs) {
      server_.expireCloseWhenSent(v->id);
      return;
    }
    if (v->reason != 0) {
      // 0 until the marking thread stored the time: not marked long enough yet.
      if (v->disconnectMarkMs != 0 && now - v->disconnectMarkMs >= kReleaseStallMs && m.stalledId != v->id) {
        m.stalledId = v->id;
        counters_.releaseStalled.fetch_add(1, std::memory_order_relaxed);
      }
      return;
    }
    if (!v->stranded()) return;
    if (m.strandId != v->id || m.strandHead != v->sendHead) {
      m.strandId = v->id;
      m.strandHead = v->sendHead;
      m.strandSinceMs = now;
      m.strandCounted = false;
    } else if (!m.strandCounted && now - m.strandSinceMs >= config_.strandedMs) {
      m.strandCounted = true;
      counters_.strandedSend.fetch_add(1, std::memory_order_relaxed);
    }
  });
}

void Prober::probeStale() {
  uint64_t ids[kStaleIdsPerTick];
  uint32_t n = released_.newest(ids, kStaleIdsPerTick);
  uint8_t payload[kProbeMaxBody];
  for (uint32_t i = 0; i < n; ++i) {
    size_t len = buildProbeBody(payload, config_.probeHeaderBytes, probeSeq_++, ids[i]);
    bool accepted = server_.sendPacket(ids[i], payload, len);
    accepted = server_.disconnect(ids[i]) || accepted;
    counters_.probeCalls.fetch_add(2, std::memory_order_relaxed);
    if (accepted) counters_.staleIdAccepted.fetch_add(1, std::memory_order_relaxed);
  }
}

void Prober::pause() {
  auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(random() % kProbeSpacingMaxNs);
  while (std::chrono::steady_clock::now() < until) {
  }
}

void Prober::probeLive() {
  uint32_t hw = table_.highWater();
  if (hw == 0) return;
  constexpr uint32_t kBurstsPerTick = kProbePacketsPerSec * kProbeTickMs / 1000 / kProbeBurst;
  uint8_t payload[kProbeMaxBody];
  for (uint32_t b = 0; b < kBurstsPerTick; ++b) {
    uint64_t id = table_.idAt(static_cast<uint32_t>(random() % hw));
    if (id == SessionId::kInvalid) continue;
    if (!config_.sendProbePackets) {
      counters_.probeCalls.fetch_add(1, std::memory_order_relaxed);
      Session* s = table_.acquire(id);
      if (s) table_.decRef(s);
      continue;
    }
    for (uint32_t k = 0; k < kProbeBurst; ++k) {
      size_t len = buildProbeBody(payload, config_.probeHeaderBytes, probeSeq_++, id);
      counters_.probeCalls.fetch_add(1, std::memory_order_relaxed);
      if (!server_.sendPacket(id, payload, len)) break;
      pause();
    }
  }
}

// Kicks a live session from this thread (an external disconnect: only its
// shutdown wakes the pending recv, I3) and then races its release with
// acquire/decRef on its id until the id is refused: the last count drops on
// either thread, and an acquire can land between a worker's final decrement
// and its release swap (I2).
void Prober::probeKick() {
  uint32_t hw = table_.highWater();
  if (hw == 0) return;
  uint64_t id = table_.idAt(static_cast<uint32_t>(random() % hw));
  if (id == SessionId::kInvalid) return;
  counters_.probeCalls.fetch_add(1, std::memory_order_relaxed);
  if (!server_.disconnect(id)) return;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(kKickRaceMaxUs);
  while (std::chrono::steady_clock::now() < deadline) {
    Session* s = table_.acquire(id);
    if (!s) return;
    table_.decRef(s);
  }
}

}  // namespace lanstress
