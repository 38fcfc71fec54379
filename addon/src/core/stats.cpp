#include "stats.h"

#include "session_table.h"

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
  o += ",\"probeCalls\":" + num(s.probeCalls);
  o += ",\"anomalies\":{\"doubleRelease\":" + num(s.doubleRelease) + ",\"ioCountUnderflow\":" +
       num(s.ioCountUnderflow) + ",\"releaseWithPendingIo\":" + num(s.releaseWithPendingIo) +
       ",\"staleIdAccepted\":" + num(s.staleIdAccepted) + ",\"strandedSend\":" + num(s.strandedSend) +
       ",\"releaseStalled\":" + num(s.releaseStalled) + ",\"dirtySlot\":" + num(s.dirtySlot) + "}";
  o += ",\"pendingIoSessions\":" + num(s.pendingIoSessions);
  o += ",\"disconnectingSessions\":" + num(s.disconnectingSessions);
  o += ",\"strandedSessions\":" + num(s.strandedSessions);
  o += ",\"livePackets\":" + num(s.livePackets);
  o += ",\"freeSlots\":" + num(s.freeSlots);
  o += ",\"zombies\":[";
  for (size_t i = 0; i < s.zombies.size(); ++i) {
    const Zombie& z = s.zombies[i];
    if (i) o += ",";
    // The id as a string: 64 bits do not survive a JSON number (a double).
    o += "{\"id\":\"" + num(z.id) + "\",\"ioCount\":" + num(z.ioCount) +
         ",\"disconnecting\":" + (z.disconnecting ? "true" : "false") + ",\"sendFlag\":" + (z.sendFlag ? "true" : "false") +
         ",\"reason\":" + (z.reason == DisconnectReason::None ? std::string("null") : "\"" + std::string(reasonName(z.reason)) + "\"") + "}";
  }
  o += "]";
  return o;
}

void collectZombies(const SessionTable& table, ServerStats* st) {
  st->zombies.clear();
  uint32_t hw = table.highWater();
  for (uint32_t slot = 0; slot < hw && st->zombies.size() < kMaxZombies; ++slot) {
    const Session& s = table.at(slot);
    if (s.slotState.load(std::memory_order_relaxed) != SlotState::Live) continue;
    uint32_t word = s.ioState.load(std::memory_order_relaxed);
    if ((word & kReleaseFlag) || (word & kCountMask) == 0) continue;
    uint8_t reason = s.reason.load(std::memory_order_relaxed);
    if (reason == 0) continue;
    Zombie z;
    z.id = s.id.load(std::memory_order_relaxed);
    z.ioCount = word & kCountMask;
    z.disconnecting = true;
    z.sendFlag = s.sendFlag.load(std::memory_order_relaxed) != 0;
    z.reason = static_cast<DisconnectReason>(reason);
    st->zombies.push_back(z);
  }
}

}  // namespace lanstress
