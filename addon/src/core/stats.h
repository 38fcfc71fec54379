// ServerStats of server/types.ts, field for field.
#pragma once

#include <cstdint>
#include <string>

#include "session.h"

namespace lanstress {

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
  uint64_t doubleRelease = 0;
  uint64_t ioCountUnderflow = 0;
  uint64_t releaseWithPendingIo = 0;
  uint64_t pendingIoSessions = 0;
  uint64_t disconnectingSessions = 0;
  uint64_t freeSlots = 0;
};

// The members of the JSON object (no braces), in the order of server/types.ts.
std::string statsJsonMembers(const ServerStats& s);

}  // namespace lanstress
