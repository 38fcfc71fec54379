// ServerStats of server/types.ts, field for field, from one list.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "session.h"

namespace lanstress {

// A session that is going but not gone: marked for disconnect (or, at a quiet
// moment, simply still live) while its ioCount says some I/O never completed.
// Release waits for that count (I1/I2), so a zombie is a session that will
// never be released: the report names it instead of only counting a leak.
struct Zombie {
  uint64_t id = 0;
  uint32_t ioCount = 0;
  bool disconnecting = false;
  bool sendFlag = false;
  DisconnectReason reason = DisconnectReason::None;
};
constexpr size_t kMaxZombies = 16;

// THE list of ServerStats counters (ServerStats of server/types.ts, in its
// order; docs/stats.md says what each means). The struct's fields, the JSON of
// the standalone's lines and the binding's stats() object are all generated
// from it (writeStats below), so a new counter is one line here.
//   COUNTER(member, group, key): a uint64_t member, written as `key` at the
//     top level (group "") or inside the nested object `group`; the members of
//     one group are adjacent.
//   DISCONNECTS(): uint64_t disconnects[kReasonCount], indexed by reason - 1,
//     written as the object `disconnects` keyed by reasonName.
// The zombies array always comes last.
#define LANSTRESS_SERVER_STATS(COUNTER, DISCONNECTS)                                                         \
  COUNTER(accepted, "", "accepted")                                                                           \
  COUNTER(rejectedFull, "rejected", "full")                                                                   \
  COUNTER(rejectedDenied, "rejected", "denied")                                                               \
  COUNTER(released, "", "released")                                                                           \
  COUNTER(sessions, "", "sessions")                                                                           \
  COUNTER(peakSessions, "", "peakSessions")                                                                   \
  COUNTER(recvPackets, "", "recvPackets")                                                                     \
  COUNTER(recvBytes, "", "recvBytes")                                                                         \
  COUNTER(sendPackets, "", "sendPackets")                                                                     \
  COUNTER(sendBytes, "", "sendBytes")                                                                         \
  DISCONNECTS()                                                                                               \
  COUNTER(staleIdCalls, "", "staleIdCalls")                                                                   \
  /* calls made by the watch thread's probes (stale ones also count in staleIdCalls) */                      \
  COUNTER(probeCalls, "", "probeCalls")                                                                       \
  /* anomalies: each must stay 0 on a correct server */                                                      \
  COUNTER(doubleRelease, "anomalies", "doubleRelease")                                                        \
  COUNTER(ioCountUnderflow, "anomalies", "ioCountUnderflow")                                                  \
  COUNTER(releaseWithPendingIo, "anomalies", "releaseWithPendingIo")                                          \
  COUNTER(staleIdAccepted, "anomalies", "staleIdAccepted")                                                    \
  COUNTER(strandedSend, "anomalies", "strandedSend")                                                          \
  COUNTER(releaseStalled, "anomalies", "releaseStalled")                                                      \
  COUNTER(dirtySlot, "anomalies", "dirtySlot")                                                                \
  COUNTER(pendingIoSessions, "", "pendingIoSessions")                                                         \
  COUNTER(disconnectingSessions, "", "disconnectingSessions")                                                 \
  /* live sessions with packets queued and no send in flight, now: 0 at a quiet moment */                    \
  COUNTER(strandedSessions, "", "strandedSessions")                                                           \
  /* packets allocated and not yet freed (queued, in flight, being broadcast): 0 when no session is left */  \
  COUNTER(livePackets, "", "livePackets")                                                                     \
  /* times a worker stopped receiving until a slow packet handler caught up (js mode's backpressure) */      \
  COUNTER(handlerWaits, "", "handlerWaits")                                                                   \
  COUNTER(freeSlots, "", "freeSlots")

struct ServerStats {
#define LANSTRESS_STATS_FIELD(member, group, key) uint64_t member = 0;
#define LANSTRESS_STATS_DISCONNECTS_FIELD() uint64_t disconnects[kReasonCount] = {};
  LANSTRESS_SERVER_STATS(LANSTRESS_STATS_FIELD, LANSTRESS_STATS_DISCONNECTS_FIELD)
#undef LANSTRESS_STATS_FIELD
#undef LANSTRESS_STATS_DISCONNECTS_FIELD
  // Disconnecting sessions with pending I/O, at most kMaxZombies (lowest slots first).
  std::vector<Zombie> zombies;
};

// Walks ServerStats in list order for a Writer with:
//   begin(key) / end()         a nested object (key null: an element of the enclosing array)
//   beginArray(key) / endArray()
//   number(key, uint64_t), text(key, const std::string&), flag(key, bool), null(key)
// Zombie ids are text: 64 bits do not survive a JSON number (a double).
template <typename Writer>
void writeStats(const ServerStats& s, Writer& w) {
  const char* group = "";
  auto enter = [&w, &group](const char* g) {
    if (std::strcmp(g, group) == 0) return;
    if (*group) w.end();
    if (*g) w.begin(g);
    group = g;
  };
#define LANSTRESS_STATS_WRITE(member, grp, key) \
  enter(grp);                                   \
  w.number(key, s.member);
#define LANSTRESS_STATS_DISCONNECTS_WRITE()                                                        \
  enter("disconnects");                                                                            \
  for (int i = 0; i < kReasonCount; ++i) w.number(reasonName(static_cast<DisconnectReason>(i + 1)), s.disconnects[i]);
  LANSTRESS_SERVER_STATS(LANSTRESS_STATS_WRITE, LANSTRESS_STATS_DISCONNECTS_WRITE)
#undef LANSTRESS_STATS_WRITE
#undef LANSTRESS_STATS_DISCONNECTS_WRITE
  enter("");
  w.beginArray("zombies");
  for (const Zombie& z : s.zombies) {
    w.begin(nullptr);
    w.text("id", std::to_string(z.id));
    w.number("ioCount", z.ioCount);
    w.flag("disconnecting", z.disconnecting);
    w.flag("sendFlag", z.sendFlag);
    if (z.reason == DisconnectReason::None) w.null("reason");
    else w.text("reason", reasonName(z.reason));
    w.end();
  }
  w.endArray();
}

// The members of the JSON object (no braces), in list order.
std::string statsJsonMembers(const ServerStats& s);

class SessionTable;
// Fills the per-slot counts (pendingIoSessions, disconnectingSessions,
// strandedSessions) and zombies from one scan of the table's views (a
// diagnostic: each field true at some instant, not one transaction).
void tallySlots(const SessionTable& table, ServerStats* st);

}  // namespace lanstress
