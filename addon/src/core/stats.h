// ServerStats of server/types.ts, field for field.
#pragma once

#include <cstdint>
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

struct ServerStats {
  uint64_t accepted = 0;
  uint64_t rejectedFull = 0;
  uint64_t rejectedDenied = 0;
  uint64_t released = 0;
  uint64_t sessions = 0;
  uint64_t peakSessions = 0;
  uint64_t recvPackets = 0;
  uint64_t recvBytes = 0;
  uint64_t sendPackets = 0;
  uint64_t sendBytes = 0;
  uint64_t disconnects[kReasonCount] = {};  // indexed by DisconnectReason - 1
  uint64_t staleIdCalls = 0;
  uint64_t probeCalls = 0;  // calls made by the watch thread's probes (stale ones also count in staleIdCalls)
  // anomalies: each must stay 0 on a correct server
  uint64_t doubleRelease = 0;
  uint64_t ioCountUnderflow = 0;
  uint64_t releaseWithPendingIo = 0;
  uint64_t staleIdAccepted = 0;
  uint64_t strandedSend = 0;
  uint64_t releaseStalled = 0;
  uint64_t dirtySlot = 0;
  uint64_t pendingIoSessions = 0;
  uint64_t disconnectingSessions = 0;
  // Live sessions with packets queued and no send in flight, now: 0 at a quiet moment.
  uint64_t strandedSessions = 0;
  // Packets allocated and not yet freed (queued, in flight, being broadcast): 0 when no session is left.
  uint64_t livePackets = 0;
  uint64_t freeSlots = 0;
  // Disconnecting sessions with pending I/O, at most kMaxZombies (lowest slots first).
  std::vector<Zombie> zombies;
};

// The members of the JSON object (no braces), in the order of server/types.ts.
std::string statsJsonMembers(const ServerStats& s);

class SessionTable;
// Fills st->zombies from a snapshot of the table (relaxed reads: a diagnostic
// view, each field individually true at some instant, not one transaction).
void collectZombies(const SessionTable& table, ServerStats* st);

}  // namespace lanstress
