#include "stats.h"

namespace lanstress {

std::string statsJsonMembers(const ServerStats& s) {
  auto num = [](uint64_t v) { return std::to_string(v); };
  std::string o;
  o += "\"accepted\":" + num(s.accepted);
  o += ",\"rejected\":{\"full\":" + num(s.rejectedFull) + ",\"denied\":" + num(s.rejectedDenied) + "}";
  o += ",\"released\":" + num(s.released);
  o += ",\"sessions\":" + num(s.sessions);
  o += ",\"peakSessions\":" + num(s.peakSessions);
  o += ",\"recvPackets\":" + num(s.recvPackets);
  o += ",\"recvBytes\":" + num(s.recvBytes);
  o += ",\"sendPackets\":" + num(s.sendPackets);
  o += ",\"sendBytes\":" + num(s.sendBytes);
  o += ",\"disconnects\":{";
  for (int i = 0; i < kReasonCount; ++i) {
    if (i) o += ",";
    o += "\"";
    o += reasonName(static_cast<DisconnectReason>(i + 1));
    o += "\":" + num(s.disconnects[i]);
  }
  o += "}";
  o += ",\"staleIdCalls\":" + num(s.staleIdCalls);
  o += ",\"anomalies\":{\"doubleRelease\":" + num(s.doubleRelease) + ",\"ioCountUnderflow\":" +
       num(s.ioCountUnderflow) + ",\"releaseWithPendingIo\":" + num(s.releaseWithPendingIo) + "}";
  o += ",\"pendingIoSessions\":" + num(s.pendingIoSessions);
  o += ",\"disconnectingSessions\":" + num(s.disconnectingSessions);
  o += ",\"freeSlots\":" + num(s.freeSlots);
  return o;
}

}  // namespace lanstress
