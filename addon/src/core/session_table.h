// Fixed array of maxSessions Session slots plus a free list, and the ioCount
// protocol that decides when a session is released (invariants I1, I2, I5 in
// session.h).
//
// Memory is touched only as slots are used: the slots (and their receive
// rings, when the table lends them) live in anonymous mappings whose pages
// the kernel provides on first touch. A slot is constructed the first time
// reserve() hands it out; highWater counts the constructed slots, so nothing
// at or above it is ever read.
//
// No lock is shared by all sessions: acquire/addRef/decRef touch one slot's
// atomic word. The free list is a lock-free stack with a SINGLE popper (the
// accept thread calls reserve); pushes (recycle) come from any thread. With
// one popper the classic ABA cannot happen: between reading the head and the
// CAS only pushes can run, and a slot on the list cannot be pushed again.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>

#include "race_windows.h"
#include "session.h"
#include "session_id.h"

namespace lanstress {

// One slot as a scan sees it without holding a count (SessionTable::forEachView).
struct SlotView {
  uint64_t id = 0;
  uint32_t ioCount = 0;
  uint8_t reason = 0;  // DisconnectReason; 0 = not disconnecting
  int64_t disconnectMarkMs = 0;
  const void* sendHead = nullptr;  // compared only, never dereferenced
  bool sendFlag = false;
  int64_t closeWhenSentMs = 0;  // 0 = no deferred disconnect
  // Live, not disconnecting, packets queued and no send in flight.
  bool stranded() const { return reason == 0 && sendHead != nullptr && !sendFlag; }
};
// Reads a slot without holding a count. It only loads atomics of the fixed
// slot array (which outlives every session) and never dereferences sendHead
// nor touches the queues. A value may belong to a session released a moment
// ago, so the view is re-validated (same id, still not released) after it is
// read: false when the slot holds no live session or changed meanwhile. Each
// field is true at some instant, not one transaction: enough for a diagnostic
// (stats, the watch thread's sweep), never for a decision.
bool viewSlot(const Session& s, SlotView* out);

class SessionReleaser {
 public:
  virtual ~SessionReleaser() = default;
  // Called exactly once per session, by the thread that won the release swap;
  // it must end by calling SessionTable::recycle().
  virtual void releaseSession(Session* s) = 0;
};

struct TableAnomalies {
  std::atomic<uint64_t> doubleRelease{0};
  std::atomic<uint64_t> ioCountUnderflow{0};
  std::atomic<uint64_t> releaseWithPendingIo{0};
  // A slot changed hands in a bad state: reserve() found it not clean (release
  // left a socket, queued packets, queued bytes or a taken sendFlag behind for
  // the slot's next session), or publish() made an id live before its session
  // was filled (no socket yet, the last session's disconnect reason, no ring).
  std::atomic<uint64_t> dirtySlot{0};
};

class SessionTable {
 public:
  // raceWindows (may be null): decRef holds the release swap's window open now and then.
  // ringBytes > 0: each slot's recvRing is lent that many bytes from the table's
  // ring mapping (page-aligned per slot); 0 leaves the rings to the caller.
  SessionTable(uint32_t capacity, SessionReleaser* releaser, uint64_t maxGeneration = SessionId::kMaxGeneration,
               const RaceWindows* raceWindows = nullptr, size_t ringBytes = 0);
  ~SessionTable();
  SessionTable(const SessionTable&) = delete;
  SessionTable& operator=(const SessionTable&) = delete;

  uint32_t capacity() const { return capacity_; }
  Session& at(uint32_t slot) { return slots_[slot]; }
  const Session& at(uint32_t slot) const { return slots_[slot]; }

  // Accept side, single thread. reserve() takes a free slot, gives it its next
  // generation and raises its ioCount to 1 for the caller while the release
  // flag still keeps everyone else out; the caller fills the session, then
  // publish() sets the id and clears the flag: the slot is live. Counts
  // dirtySlot when release did not leave the slot clean.
  Session* reserve();
  void publish(Session* s);

  // Raises ioCount of the live session with this id, or returns nullptr (stale,
  // released, malformed). The caller must decRef() when done.
  Session* acquire(uint64_t id);
  // One more count for a session the caller already holds (posting an I/O).
  void addRef(Session* s);
  // Drops one count; the thread that brings it to 0 releases the session.
  void decRef(Session* s);
  // End of release: the slot goes back on the free list (or retires, I5).
  void recycle(Session* s);
  // Marks the start of release; false (and counts doubleRelease) when the slot was
  // not live. Counts releaseWithPendingIo when ioCount is not 0.
  bool beginRelease(Session* s);

  uint32_t freeSlots() const { return freeCount_.load(std::memory_order_relaxed); }
  uint32_t retiredSlots() const { return retired_.load(std::memory_order_relaxed); }
  // One past the highest slot ever handed out (= the slots constructed): scans stop there.
  uint32_t highWater() const { return highWater_.load(std::memory_order_acquire); }
  // The id a slot holds now (live, or released and not yet reused: I5), to acquire by.
  uint64_t idAt(uint32_t slot) const { return slots_[slot].id.load(std::memory_order_acquire); }

  // Every scan over the slots is one of these two; both stop at highWater.
  //
  // forEachLive: f(Session&) for each session of [first, last) that acquire()
  // takes by its slot's current id, holding that count (I1) during the call,
  // so f may queue, send or disconnect. A session released meanwhile is
  // refused by acquire (I2) and skipped.
  template <typename F>
  void forEachLive(F&& f, uint32_t first = 0, uint32_t last = UINT32_MAX) {
    uint32_t hw = highWater();
    if (last > hw) last = hw;
    for (uint32_t slot = first; slot < last; ++slot) {
      Session* s = acquire(idAt(slot));
      if (!s) continue;
      f(*s);
      decRef(s);
    }
  }
  // forEachView: f(slot, const SlotView*) for every slot, holding no count
  // (viewSlot); the view is null when the slot holds no live session.
  template <typename F>
  void forEachView(F&& f) const {
    uint32_t hw = highWater();
    for (uint32_t slot = 0; slot < hw; ++slot) {
      SlotView v;
      f(slot, viewSlot(slots_[slot], &v) ? &v : nullptr);
    }
  }

  TableAnomalies anomalies;

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  void push(uint32_t slot);

  // An anonymous private mapping: zero pages, resident only once touched.
  class Mapping {
   public:
    explicit Mapping(size_t bytes);
    ~Mapping();
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    uint8_t* data() const { return data_; }

   private:
    uint8_t* data_;
    size_t bytes_;
  };

  uint32_t capacity_;
  uint64_t maxGeneration_;
  SessionReleaser* releaser_;
  const RaceWindows* raceWindows_;
  size_t ringBytes_;
  size_t ringStride_;  // ringBytes_ rounded up to whole pages
  Mapping slotMem_;    // capacity_ Sessions, constructed up to highWater_
  Mapping ringMem_;    // capacity_ rings of ringStride_ bytes (empty when ringBytes_ is 0)
  Session* slots_;
  std::unique_ptr<uint32_t[]> next_;  // free-list links, written only by push (never initialised in bulk)
  std::atomic<uint32_t> freeHead_{kNone};
  std::atomic<uint32_t> freeCount_{0};
  std::atomic<uint32_t> retired_{0};
  std::atomic<uint32_t> highWater_{0};
};

}  // namespace lanstress
