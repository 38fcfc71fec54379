// Wire framing (docs/protocol.md, Framing): one description, the C++ twin of
// dummy-client/framing.ts.
//   length-prefixed: a length field of 1, 2 or 4 bytes (little- or big-endian),
//        then `extraBytes` fixed header bytes (a packet id, say) that an echo
//        re-emits unchanged, then the payload. The length counts what follows
//        the length field (extra bytes and payload), or, with
//        lengthIncludesHeader, the whole frame (length field included).
//        A payload longer than maxPayload, or a length smaller than the header
//        it must count, is a protocol violation.
//        lan (the default) = 2 bytes, little-endian, no extra bytes, counts the payload.
//   raw: no framing; whatever arrived is one chunk.
// Spelling: lan | servercore | raw | len:SIZE[:le|be][:incl][:hdrN] (parseFraming).
// The reassembly loop is pure: it only looks at the ring and calls back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ring_buffer.h"

namespace lanstress {

// The largest payload any server option may allow (its receive ring holds one whole packet).
constexpr uint32_t kLanMaxPayload = 65535;
// The most extra header bytes a framing may declare.
constexpr uint8_t kMaxExtraHeaderBytes = 16;

struct Framing {
  uint8_t lengthBytes = 2;  // 0 = raw; else 1, 2 or 4
  bool bigEndian = false;
  bool lengthIncludesHeader = false;
  uint8_t extraBytes = 0;

  static Framing lan() { return Framing{}; }
  static Framing raw() { return Framing{0, false, false, 0}; }
  // seed 003's ServerCore: {u16 LE size of the whole packet, u16 id}, then the payload.
  static Framing serverCore() { return Framing{2, false, true, 2}; }

  bool isRaw() const { return lengthBytes == 0; }
  // The length field and the extra bytes: what precedes the payload.
  size_t headerBytes() const { return size_t{lengthBytes} + extraBytes; }
  // What the length counts beyond the payload.
  size_t countedHeader() const { return lengthIncludesHeader ? headerBytes() : extraBytes; }
  // The largest payload the length field can announce (0 for raw: no such limit).
  uint64_t maxPayload() const;
  bool operator==(const Framing& o) const {
    return lengthBytes == o.lengthBytes && bigEndian == o.bigEndian && lengthIncludesHeader == o.lengthIncludesHeader &&
           extraBytes == o.extraBytes;
  }
  bool operator!=(const Framing& o) const { return !(*this == o); }
};

// A preset's name, or the len:... spelling.
std::string framingText(const Framing& f);
// Every accepted spelling, for --help and error messages.
const char* framingGrammar();
// From its spelling; false with *error saying what is wrong (worded to follow "--framing 'x': ").
bool parseFraming(const std::string& s, Framing* out, std::string* error);

// Writes the length field for a frame whose length field is followed by bodyLen
// bytes (extra header bytes and payload); out holds f.lengthBytes bytes.
void encodeLength(const Framing& f, uint8_t* out, size_t bodyLen);

struct FrameScan {
  enum Status { NeedMore, Packet, Violation } status;
  uint64_t payloadLen;  // meaningful for Packet and Violation (for a length below its header: 0)
};

// Looks at the frame at the head of the ring without consuming it (length-prefixed framings).
FrameScan scanFrame(const RingBuffer& rb, const Framing& f, uint32_t maxPayload);

// The smallest receive ring that can always hold one whole legal packet,
// so a receive never stalls on a full ring.
size_t minRingCapacity(const Framing& f, uint32_t maxPayload);

struct DrainResult {
  size_t packets = 0;
  bool violation = false;  // a header announced a length out of bounds; the bytes stay in the ring
  bool stopped = false;    // the callback asked to stop
};

// Hands every complete packet at the head of the ring to onPacket(body, len)
// and consumes it. The body is what follows the length field (the extra header
// bytes, then the payload): an echo re-encodes the length and re-emits the body,
// so the extra bytes go back unchanged. The pointer is valid only during the
// call; it points into the ring when contiguous and into scratch when the packet
// wraps. onPacket returns false to stop early (session disconnected meanwhile).
template <class F>
DrainResult drainFrames(RingBuffer& rb, const Framing& f, uint32_t maxPayload, std::vector<uint8_t>& scratch, F&& onPacket) {
  DrainResult r;
  const size_t lenBytes = f.lengthBytes;
  for (;;) {
    FrameScan s = scanFrame(rb, f, maxPayload);
    if (s.status == FrameScan::NeedMore) return r;
    if (s.status == FrameScan::Violation) {
      r.violation = true;
      return r;
    }
    const size_t bodyLen = f.extraBytes + static_cast<size_t>(s.payloadLen);
#ifdef LANSTRESS_FAULT_ZERO_LENGTH_DROPPED
    if (s.payloadLen == 0) {  // fault: an empty packet is consumed but never handed out
      rb.consume(lenBytes + bodyLen);
      continue;
    }
#endif
    const uint8_t* body = nullptr;
    size_t handed = bodyLen;
    iovec seg[2];
    int n = rb.readableIov(seg);
    if (n >= 1 && seg[0].iov_len >= lenBytes + bodyLen) {
      body = static_cast<const uint8_t*>(seg[0].iov_base) + lenBytes;
    } else {
      scratch.resize(bodyLen);
      if (bodyLen) rb.peek(lenBytes, scratch.data(), bodyLen);
      body = scratch.data();
#ifdef LANSTRESS_FAULT_RING_WRAP_SHORT
      if (handed > 0) --handed;  // fault: a packet that wraps the ring is handed out one byte short
#endif
    }
    bool more = onPacket(body, handed);
    rb.consume(lenBytes + bodyLen);
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
