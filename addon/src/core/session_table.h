// Fixed array of maxSessions Session slots plus a free list, and the ioCount
// protocol that decides when a session is released (invariants I1, I2, I5 in
// session.h).
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

#include "race_windows.h"
#include "session.h"
#include "session_id.h"

namespace lanstress {

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
  SessionTable(uint32_t capacity, SessionReleaser* releaser, uint64_t maxGeneration = SessionId::kMaxGeneration,
               const RaceWindows* raceWindows = nullptr);

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
  // One past the highest slot ever handed out: scans stop there.
  uint32_t highWater() const { return highWater_.load(std::memory_order_acquire); }

  TableAnomalies anomalies;

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  void push(uint32_t slot);

  uint32_t capacity_;
  uint64_t maxGeneration_;
  SessionReleaser* releaser_;
  const RaceWindows* raceWindows_;
  std::unique_ptr<Session[]> slots_;
  std::unique_ptr<uint32_t[]> next_;
  std::atomic<uint32_t> freeHead_{kNone};
  std::atomic<uint32_t> freeCount_{0};
  std::atomic<uint32_t> retired_{0};
  std::atomic<uint32_t> highWater_{0};
};

}  // namespace lanstress
