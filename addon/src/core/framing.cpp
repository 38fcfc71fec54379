#include "framing.h"

namespace lanstress {

LanScan scanLan(const RingBuffer& rb, uint32_t maxPayload) {
  if (rb.size() < kLanHeaderBytes) return {LanScan::NeedMore, 0};
  uint32_t len = uint32_t{rb.at(0)} | (uint32_t{rb.at(1)} << 8);
#ifdef LANSTRESS_FAULT_MAX_PAYLOAD_IS_VIOLATION
  if (len >= maxPayload) return {LanScan::Violation, len};  // fault: a packet of exactly maxPayload is refused
#else
  if (len > maxPayload) return {LanScan::Violation, len};
#endif
#ifdef LANSTRESS_FAULT_FRAMER_EARLY
  if (rb.size() + 1 < kLanHeaderBytes + len) return {LanScan::NeedMore, len};  // fault: complete one byte early
#else
  if (rb.size() < kLanHeaderBytes + len) return {LanScan::NeedMore, len};
#endif
  return {LanScan::Packet, len};
}

size_t minRingCapacity(Framing framing, uint32_t maxPayload) {
  // raw drains the whole ring at every receive, so any size works; 16 KiB keeps reads large.
  if (framing == Framing::Raw) return 16384;
  size_t need = kLanHeaderBytes + maxPayload;
  // Room for one whole packet plus slack so small packets gather many per read.
  return need + (need < 8192 ? 8192 : need / 2);
}

}  // namespace lanstress
