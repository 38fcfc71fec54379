// Wire framing (docs/protocol.md, Framing).
//   lan: u16 little-endian payload length L, then L bytes. L = 0 is legal;
//        L > maxPayload is a protocol violation.
//   raw: no framing; whatever arrived is one chunk.
// The reassembly loop is pure: it only looks at the ring and calls back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ring_buffer.h"

namespace lanstress {

enum class Framing : uint8_t { Lan, Raw };

constexpr size_t kLanHeaderBytes = 2;
constexpr uint32_t kLanMaxPayload = 65535;

inline void encodeLanHeader(uint8_t out[kLanHeaderBytes], uint16_t len) {
  out[0] = static_cast<uint8_t>(len & 0xff);
  out[1] = static_cast<uint8_t>(len >> 8);
}

struct LanScan {
  enum Status { NeedMore, Packet, Violation } status;
  uint32_t payloadLen;  // meaningful for Packet and Violation
};

// Looks at the packet at the head of the ring without consuming it.
LanScan scanLan(const RingBuffer& rb, uint32_t maxPayload);

// The smallest receive ring that can always hold one whole legal packet,
// so a lan receive never stalls on a full ring.
size_t minRingCapacity(Framing framing, uint32_t maxPayload);

struct DrainResult {
  size_t packets = 0;
  bool violation = false;  // a header announced L > maxPayload; the bytes stay in the ring
  bool stopped = false;    // the callback asked to stop
};

// Hands every complete packet at the head of the ring to onPacket(payload, len)
// and consumes it. The payload pointer is valid only during the call; it points
// into the ring when contiguous and into scratch when the packet wraps.
// onPacket returns false to stop early (session disconnected meanwhile).
template <class F>
DrainResult drainLan(RingBuffer& rb, uint32_t maxPayload, std::vector<uint8_t>& scratch, F&& onPacket) {
  DrainResult r;
  for (;;) {
    LanScan s = scanLan(rb, maxPayload);
    if (s.status == LanScan::NeedMore) return r;
    if (s.status == LanScan::Violation) {
      r.violation = true;
      return r;
    }
#ifdef LANSTRESS_FAULT_ZERO_LENGTH_DROPPED
    if (s.payloadLen == 0) {  // fault: an empty packet is consumed but never handed out
      rb.consume(kLanHeaderBytes);
      continue;
    }
#endif
    const uint8_t* payload = nullptr;
    size_t handed = s.payloadLen;
    iovec seg[2];
    int n = rb.readableIov(seg);
    if (n >= 1 && seg[0].iov_len >= kLanHeaderBytes + s.payloadLen) {
      payload = static_cast<const uint8_t*>(seg[0].iov_base) + kLanHeaderBytes;
    } else {
      scratch.resize(s.payloadLen);
      if (s.payloadLen) rb.peek(kLanHeaderBytes, scratch.data(), s.payloadLen);
      payload = scratch.data();
#ifdef LANSTRESS_FAULT_RING_WRAP_SHORT
      if (handed > 0) --handed;  // fault: a packet that wraps the ring is handed out one byte short
#endif
    }
    bool more = onPacket(payload, handed);
    rb.consume(kLanHeaderBytes + s.payloadLen);
    ++r.packets;
    if (!more) {
      r.stopped = true;
      return r;
    }
  }
}

// raw framing: everything readable is one chunk.
template <class F>
DrainResult drainRaw(RingBuffer& rb, std::vector<uint8_t>& scratch, F&& onChunk) {
  DrainResult r;
  if (rb.empty()) return r;
  iovec seg[2];
  int n = rb.readableIov(seg);
  size_t len = rb.size();
  const uint8_t* data;
  if (n == 1) {
    data = static_cast<const uint8_t*>(seg[0].iov_base);
  } else {
    scratch.resize(len);
    rb.peek(0, scratch.data(), len);
    data = scratch.data();
  }
  bool more = onChunk(data, len);
  rb.consume(len);
  r.packets = 1;
  r.stopped = !more;
  return r;
}

}  // namespace lanstress
