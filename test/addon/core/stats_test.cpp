// The stats JSON (the standalone's lines, read by server/ and stress/) stays
// byte for byte what it was before ServerStats came from one list (stats.h):
// same keys, same order, same nesting.
#include <string>

#include "check.h"
#include "stats.h"

using namespace lanstress;

namespace {

void fill(ServerStats& s) {
  uint64_t v = 1;
  s.accepted = v++; s.rejectedFull = v++; s.rejectedDenied = v++; s.released = v++; s.sessions = v++;
  s.peakSessions = v++; s.recvPackets = v++; s.recvBytes = v++; s.sendPackets = v++; s.sendBytes = v++;
  for (int i = 0; i < kReasonCount; ++i) s.disconnects[i] = v++;
  s.staleIdCalls = v++; s.probeCalls = v++; s.doubleRelease = v++; s.ioCountUnderflow = v++;
  s.releaseWithPendingIo = v++; s.staleIdAccepted = v++; s.strandedSend = v++; s.releaseStalled = v++;
  s.dirtySlot = v++; s.pendingIoSessions = v++; s.disconnectingSessions = v++; s.strandedSessions = v++;
  s.livePackets = v++; s.handlerWaits = v++; s.freeSlots = v++;
  Zombie a; a.id = 18446744073709551615ull; a.ioCount = 3; a.disconnecting = true; a.sendFlag = true; a.reason = DisconnectReason::Kicked;
  Zombie b; b.id = 42; b.ioCount = 1;
  s.zombies = {a, b};
}

}  // namespace

int main() {
  ServerStats s;
  CHECK_EQ(statsJsonMembers(s),
      std::string("\"accepted\":0,\"rejected\":{\"full\":0,\"denied\":0},\"released\":0,\"sessions\":0,\"peakSessions\":0,"
      "\"recvPackets\":0,\"recvBytes\":0,\"sendPackets\":0,\"sendBytes\":0,\"disconnects\":{\"peerClosed\":0,"
      "\"peerReset\":0,\"protocol\":0,\"sendQueueFull\":0,\"kicked\":0,\"stopping\":0,\"ioError\":0},"
      "\"staleIdCalls\":0,\"probeCalls\":0,\"anomalies\":{\"doubleRelease\":0,\"ioCountUnderflow\":0,"
      "\"releaseWithPendingIo\":0,\"staleIdAccepted\":0,\"strandedSend\":0,\"releaseStalled\":0,"
      "\"dirtySlot\":0},\"pendingIoSessions\":0,\"disconnectingSessions\":0,\"strandedSessions\":0,"
      "\"livePackets\":0,\"handlerWaits\":0,\"freeSlots\":0,\"zombies\":[]"));
  fill(s);
  CHECK_EQ(statsJsonMembers(s),
      std::string("\"accepted\":1,\"rejected\":{\"full\":2,\"denied\":3},\"released\":4,\"sessions\":5,\"peakSessions\":6,"
      "\"recvPackets\":7,\"recvBytes\":8,\"sendPackets\":9,\"sendBytes\":10,"
      "\"disconnects\":{\"peerClosed\":11,\"peerReset\":12,\"protocol\":13,\"sendQueueFull\":14,\"kicked\":15,"
      "\"stopping\":16,\"ioError\":17},\"staleIdCalls\":18,\"probeCalls\":19,"
      "\"anomalies\":{\"doubleRelease\":20,\"ioCountUnderflow\":21,\"releaseWithPendingIo\":22,"
      "\"staleIdAccepted\":23,\"strandedSend\":24,\"releaseStalled\":25,\"dirtySlot\":26},"
      "\"pendingIoSessions\":27,\"disconnectingSessions\":28,\"strandedSessions\":29,\"livePackets\":30,"
      "\"handlerWaits\":31,\"freeSlots\":32,\"zombies\":[{\"id\":\"18446744073709551615\",\"ioCount\":3,\"disconnecting\":true,"
      "\"sendFlag\":true,\"reason\":\"kicked\"},{\"id\":\"42\",\"ioCount\":1,\"disconnecting\":false,"
      "\"sendFlag\":false,\"reason\":null}]"));
  return check::finish("stats_test");
}
