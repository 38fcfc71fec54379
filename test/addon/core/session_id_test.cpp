// Session id packing, generation wrap (slot retirement), stale ids rejected.
#include <set>
#include <vector>

#include "check.h"
#include "session_table.h"

using namespace lanstress;

namespace {

// Releases the way LanServer does (beginRelease ... recycle) and counts.
class CountingReleaser : public SessionReleaser {
 public:
  SessionTable* table = nullptr;
  std::vector<uint64_t> released;
  void releaseSession(Session* s) override {
    if (!table->beginRelease(s)) return;
    released.push_back(s->id.load());
    table->recycle(s);
  }
};

uint64_t open(SessionTable& t) {
  Session* s = t.reserve();
  if (!s) return 0;
  t.publish(s);
  return s->id.load();
}

void close(SessionTable& t, uint64_t id) {
  Session* s = t.acquire(id);
  CHECK(s != nullptr);
  if (!s) return;
  t.decRef(s);  // our acquire
  t.decRef(s);  // the accept count from reserve(): this one releases
}

}  // namespace

static void packing() {
  CHECK_EQ(SessionId::make(5, 1), (uint64_t{1} << 24) | 5);
  CHECK_EQ(SessionId::slot(SessionId::make(SessionId::kMaxSlots - 1, 7)), SessionId::kMaxSlots - 1);
  CHECK_EQ(SessionId::generation(SessionId::make(3, SessionId::kMaxGeneration)), SessionId::kMaxGeneration);
  CHECK(SessionId::wellFormed(SessionId::make(0, 1)));
  CHECK(!SessionId::wellFormed(0));                           // id 0 is never valid
  CHECK(!SessionId::wellFormed(SessionId::make(9, 0)));       // generation 0 is never issued
  CHECK(!SessionId::wellFormed(SessionId::make(0, 1) | (uint64_t{1} << 62)));  // op bits set
  CHECK_EQ(SessionId::make(0, SessionId::kMaxGeneration) >> 62, 0u);  // the top two bits stay free
}

static void staleIdsAndWrap() {
  CountingReleaser rel;
  SessionTable t(2, &rel, 3);  // generations 1..3, then the slot retires
  rel.table = &t;
  std::set<uint64_t> seen;

  uint64_t a = open(t);
  CHECK_EQ(SessionId::slot(a), 0u);
  CHECK_EQ(SessionId::generation(a), 1u);
  seen.insert(a);
  close(t, a);
  CHECK_EQ(rel.released.size(), 1u);
  CHECK(t.acquire(a) == nullptr);  // released: the flag keeps it out

  uint64_t b = open(t);  // same slot, next generation
  CHECK_EQ(SessionId::slot(b), 0u);
  CHECK_EQ(SessionId::generation(b), 2u);
  CHECK(seen.insert(b).second);
  CHECK(t.acquire(a) == nullptr);  // stale id of a live slot: rejected ...
  CHECK_EQ(rel.released.size(), 1u);  // ... without touching the live session
  Session* live = t.acquire(b);
  CHECK(live != nullptr);
  if (live) t.decRef(live);
  close(t, b);

  uint64_t c = open(t);
  CHECK_EQ(SessionId::generation(c), 3u);
  CHECK(seen.insert(c).second);
  close(t, c);
  // Slot 0 used its last generation: retired, never handed out again.
  CHECK_EQ(t.retiredSlots(), 1u);
  CHECK_EQ(t.freeSlots(), 1u);

  for (int i = 0; i < 3; ++i) {
    uint64_t d = open(t);
    CHECK_EQ(SessionId::slot(d), 1u);
    CHECK(seen.insert(d).second);
    close(t, d);
  }
  CHECK_EQ(t.retiredSlots(), 2u);
  CHECK(t.reserve() == nullptr);  // every slot retired: the table refuses rather than reuse an id
  CHECK_EQ(seen.size(), 6u);
  CHECK_EQ(rel.released.size(), 6u);

  // Malformed ids and slots past capacity are stale, not crashes.
  CHECK(t.acquire(0) == nullptr);
  CHECK(t.acquire(SessionId::make(1000, 1)) == nullptr);
  CHECK(t.acquire(~uint64_t{0}) == nullptr);
  CHECK_EQ(t.anomalies.doubleRelease.load(), 0u);
  CHECK_EQ(t.anomalies.ioCountUnderflow.load(), 0u);
  CHECK_EQ(t.anomalies.releaseWithPendingIo.load(), 0u);
}

static void manyCyclesUnique() {
  CountingReleaser rel;
  SessionTable t(4, &rel);
  rel.table = &t;
  std::set<uint64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    uint64_t id = open(t);
    CHECK(seen.insert(id).second);
    if (i % 3 == 0) close(t, id);  // some stay open a while: slots interleave
    else {
      uint64_t other = open(t);
      CHECK(seen.insert(other).second);
      close(t, id);
      close(t, other);
    }
  }
  CHECK_EQ(t.freeSlots(), 4u);
  CHECK_EQ(rel.released.size(), seen.size());
}

int main() {
  packing();
  staleIdsAndWrap();
  manyCyclesUnique();
  return check::finish("session_id_test");
}
