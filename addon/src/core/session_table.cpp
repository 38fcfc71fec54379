#include "session_table.h"

#include <new>

#include "platform.h"  // mapAnonymous, pageSize

namespace lanstress {

bool viewSlot(const Session& s, SlotView* v) {
  // acquire on ioState and id: a clear flag read from publish() (or a later
  // count change) makes that generation's reset of reason/disconnectMarkMs
  // visible, so the fields below are never older than the session's start.
  uint32_t word = s.ioState.load(std::memory_order_acquire);
  if (word & kReleaseFlag) return false;
  v->id = s.id.load(std::memory_order_acquire);
  v->ioCount = word & kCountMask;
  v->reason = s.reason.load(std::memory_order_acquire);
  v->disconnectMarkMs = s.disconnectMarkMs.load(std::memory_order_relaxed);
  v->sendHead = s.sendHead.load(std::memory_order_relaxed);
  v->sendFlag = s.sendFlag.load(std::memory_order_relaxed) != 0;
  v->closeWhenSentMs = s.closeWhenSent.load(std::memory_order_relaxed) != 0 ? s.closeWhenSentMs.load(std::memory_order_relaxed) : 0;
  // Still the same session, still not released: the fields do not mix two sessions.
  return !(s.ioState.load(std::memory_order_acquire) & kReleaseFlag) && s.id.load(std::memory_order_acquire) == v->id;
}

SessionTable::Mapping::Mapping(size_t bytes) : data_(nullptr), bytes_(bytes) {
  if (bytes_ == 0) return;
  // Address space only; a page costs memory once touched (platform.h).
  void* p = platform::mapAnonymous(bytes_);
  if (!p) throw std::bad_alloc();
  data_ = static_cast<uint8_t*>(p);
}

SessionTable::Mapping::~Mapping() {
  if (data_) platform::unmapAnonymous(data_, bytes_);
}

namespace {
size_t pageRound(size_t n) {
  size_t page = platform::pageSize();
  return (n + page - 1) / page * page;
}
}  // namespace

SessionTable::SessionTable(uint32_t capacity, SessionReleaser* releaser, uint64_t maxGeneration,
                           const RaceWindows* raceWindows, size_t ringBytes)
    : capacity_(capacity),
      maxGeneration_(maxGeneration < SessionId::kMaxGeneration ? maxGeneration : SessionId::kMaxGeneration),
      releaser_(releaser),
      raceWindows_(raceWindows),
      ringBytes_(ringBytes),
      ringStride_(pageRound(ringBytes)),
      slotMem_(sizeof(Session) * capacity),
      ringMem_(ringStride_ * capacity),
      slots_(reinterpret_cast<Session*>(slotMem_.data())),
      next_(new uint32_t[capacity]) {
  // Empty: reserve() constructs fresh slots from the bottom, so highWater stays low.
  freeCount_.store(capacity, std::memory_order_relaxed);
}

SessionTable::~SessionTable() {
  uint32_t hw = highWater_.load(std::memory_order_acquire);
  for (uint32_t i = 0; i < hw; ++i) slots_[i].~Session();
}

void SessionTable::push(uint32_t slot) {
  uint32_t head = freeHead_.load(std::memory_order_relaxed);
  do {
    next_[slot] = head;
    // release: publishes next_[slot] and the slot's reset state to the popper.
  } while (!freeHead_.compare_exchange_weak(head, slot, std::memory_order_release, std::memory_order_relaxed));
  freeCount_.fetch_add(1, std::memory_order_relaxed);
}

Session* SessionTable::reserve() {
  uint32_t head = freeHead_.load(std::memory_order_acquire);
  for (;;) {
    if (head == kNone) break;
    if (freeHead_.compare_exchange_weak(head, next_[head], std::memory_order_acquire, std::memory_order_acquire)) break;
  }
  if (head == kNone) {
    // Nothing recycled: the next fresh slot, constructed now. Only this thread
    // (the single popper) raises highWater; the release store publishes the
    // constructed slot to every reader that stops at highWater.
    uint32_t fresh = highWater_.load(std::memory_order_relaxed);
    if (fresh >= capacity_) return nullptr;
    Session* s = new (&slots_[fresh]) Session();
    s->slot = fresh;
    if (ringBytes_) s->recvRing.attach(ringMem_.data() + ringStride_ * fresh, ringBytes_);
    highWater_.store(fresh + 1, std::memory_order_release);
    head = fresh;
  }
  freeCount_.fetch_sub(1, std::memory_order_relaxed);
  Session* s = &slots_[head];
  // Release ran to its end before the slot went back on the list (push is a
  // release, the pop above an acquire), so a plain read of its remains is safe.
  if (s->fd != kInvalidSocket || !s->sendSideClean()) anomalies.dirtySlot.fetch_add(1, std::memory_order_relaxed);
  ++s->generation;
  // The accept thread's count, raised while the flag still says "not live" (I1):
  // nobody else can raise a flagged count, so the word is exactly flag|1 here.
  s->ioState.fetch_add(1, std::memory_order_acq_rel);
  return s;
}

void SessionTable::publish(Session* s) {
  // Whoever acquires the id from here on may use the socket and the ring: they must be the new
  // session's already (a socket stored, no disconnect reason left from the slot's last session).
  if (s->fd == kInvalidSocket || s->reason.load(std::memory_order_relaxed) != 0 || s->recvRing.capacity() == 0) {
    anomalies.dirtySlot.fetch_add(1, std::memory_order_relaxed);
  }
  s->slotState.store(SlotState::Live, std::memory_order_relaxed);
  s->id.store(SessionId::make(s->slot, s->generation), std::memory_order_release);
  // release: everything the accept thread wrote into the session is visible to
  // whoever acquires it after seeing the flag clear.
  s->ioState.fetch_and(~kReleaseFlag, std::memory_order_release);
}

Session* SessionTable::acquire(uint64_t id) {
  if (!SessionId::wellFormed(id)) return nullptr;
  uint32_t slot = SessionId::slot(id);
  // Not below highWater: never constructed, nothing to acquire (acquire pairs with reserve's store).
  if (slot >= highWater_.load(std::memory_order_acquire)) return nullptr;
  Session* s = &slots_[slot];
  // I2: the count is raised only while the release flag is clear (a CAS, not a
  // blind fetch_add), so once the releasing thread has swapped 0 -> flag nobody
  // can raise it again, and release can check that the count really is 0.
  uint32_t cur = s->ioState.load(std::memory_order_acquire);
  for (;;) {
#ifndef LANSTRESS_FAULT_SKIP_RELEASE_FLAG_CHECK
    if (cur & kReleaseFlag) return nullptr;
#endif
    if (s->ioState.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel, std::memory_order_acquire)) break;
  }
#ifndef LANSTRESS_FAULT_ACQUIRE_SLOT_ONLY
  if (s->id.load(std::memory_order_acquire) != id) {
#else
  if (SessionId::slot(s->id.load(std::memory_order_acquire)) != SessionId::slot(id)) {
#endif
    // Another generation owns the slot; our count may be the last one it waits for.
    decRef(s);
    return nullptr;
  }
  return s;
}

void SessionTable::addRef(Session* s) {
  uint32_t prev = s->ioState.fetch_add(1, std::memory_order_relaxed);
  // Posting I/O on a released session: the I/O outlives the release.
  if (prev & kReleaseFlag) anomalies.releaseWithPendingIo.fetch_add(1, std::memory_order_relaxed);
}

void SessionTable::decRef(Session* s) {
  // acq_rel: the releasing thread must see every other holder's work done.
  uint32_t prev = s->ioState.fetch_sub(1, std::memory_order_acq_rel);
  if ((prev & kCountMask) == 0) {
    anomalies.ioCountUnderflow.fetch_add(1, std::memory_order_relaxed);
    s->ioState.fetch_add(1, std::memory_order_relaxed);
    return;
  }
#ifndef LANSTRESS_FAULT_SKIP_RELEASE_FLAG_CHECK
  if (prev != 1) return;
  if (raceWindows_) raceWindows_->hold(RaceWindow::ReleaseSwap);
  // I2: only the thread that swaps 0 -> flag releases. A concurrent acquire may
  // have raised the count in between; then its own decRef comes back here.
#ifdef LANSTRESS_FAULT_RELEASE_SWAP_BLIND
  s->ioState.store(kReleaseFlag, std::memory_order_release);  // fault: overwrites a count raised meanwhile
#else
  uint32_t expected = 0;
  if (!s->ioState.compare_exchange_strong(expected, kReleaseFlag, std::memory_order_acq_rel)) return;
#endif
#else
  if ((prev & kCountMask) != 1) return;
  s->ioState.fetch_or(kReleaseFlag, std::memory_order_acq_rel);
#endif
  releaser_->releaseSession(s);
}

bool SessionTable::beginRelease(Session* s) {
  SlotState expected = SlotState::Live;
  if (!s->slotState.compare_exchange_strong(expected, SlotState::Released, std::memory_order_acq_rel)) {
    anomalies.doubleRelease.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if ((s->ioState.load(std::memory_order_acquire) & kCountMask) != 0) {
    anomalies.releaseWithPendingIo.fetch_add(1, std::memory_order_relaxed);
  }
  return true;
}

void SessionTable::recycle(Session* s) {
  s->slotState.store(SlotState::Free, std::memory_order_relaxed);
  if (s->generation >= maxGeneration_) {
    // I5: the next generation would not fit; retire the slot rather than reuse an id.
    retired_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  push(s->slot);
}

}  // namespace lanstress
