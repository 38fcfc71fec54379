#include "framing.h"

#include <cstdlib>

namespace lanstress {
namespace {

struct Preset {
  const char* name;
  Framing framing;
};
const Preset kPresets[] = {{"lan", Framing::lan()}, {"servercore", Framing::serverCore()}, {"raw", Framing::raw()}};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

bool parseSmallInt(const std::string& s, unsigned max, unsigned* out) {
  if (s.empty() || s.size() > 3 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  *out = static_cast<unsigned>(std::strtoul(s.c_str(), nullptr, 10));
  return *out <= max;
}

// The length field as written: lengthBytes bytes in the framing's byte order.
uint64_t readLength(const RingBuffer& rb, const Framing& f) {
  uint64_t v = 0;
  for (size_t i = 0; i < f.lengthBytes; ++i) {
    uint64_t b = rb.at(i);
    v |= f.bigEndian ? b << (8 * (f.lengthBytes - 1 - i)) : b << (8 * i);
  }
  return v;
}

}  // namespace

uint64_t Framing::maxPayload() const {
  if (isRaw()) return 0;
  uint64_t maxLength = (uint64_t{1} << (8 * lengthBytes)) - 1;
  return maxLength - countedHeader();
}

std::string framingText(const Framing& f) {
  for (const Preset& p : kPresets) {
    if (p.framing == f) return p.name;
  }
  std::string s = "len:" + std::to_string(f.lengthBytes) + (f.bigEndian ? ":be" : ":le");
  if (f.lengthIncludesHeader) s += ":incl";
  if (f.extraBytes) s += ":hdr" + std::to_string(f.extraBytes);
  return s;
}

const char* framingGrammar() { return "lan, servercore, raw or len:SIZE[:le|be][:incl][:hdrN] (SIZE 1, 2 or 4; N 0..16)"; }

bool parseFraming(const std::string& s, Framing* out, std::string* error) {
  for (const Preset& p : kPresets) {
    if (s == p.name) {
      *out = p.framing;
      return true;
    }
  }
  std::vector<std::string> parts = split(s, ':');
  if (parts[0] != "len" || parts.size() < 2) {
    *error = "must be " + std::string(framingGrammar());
    return false;
  }
  Framing f;
  unsigned size = 0;
  if (!parseSmallInt(parts[1], 4, &size) || (size != 1 && size != 2 && size != 4)) {
    *error = "length size '" + parts[1] + "' is not 1, 2 or 4 bytes";
    return false;
  }
  f.lengthBytes = static_cast<uint8_t>(size);
  bool order = false, incl = false, hdr = false;
  for (size_t i = 2; i < parts.size(); ++i) {
    const std::string& t = parts[i];
    bool repeated = false;
    if (t == "le" || t == "be") {
      repeated = order;
      order = true;
      f.bigEndian = t == "be";
    } else if (t == "incl") {
      repeated = incl;
      incl = true;
      f.lengthIncludesHeader = true;
    } else if (t.compare(0, 3, "hdr") == 0) {
      unsigned n = 0;
      if (!parseSmallInt(t.substr(3), kMaxExtraHeaderBytes, &n)) {
        *error = "'" + t + "': hdrN takes N extra header bytes, 0 to " + std::to_string(kMaxExtraHeaderBytes);
        return false;
      }
      repeated = hdr;
      hdr = true;
      f.extraBytes = static_cast<uint8_t>(n);
    } else {
      *error = "'" + t + "' is not le, be, incl or hdrN; the spelling is " + framingGrammar();
      return false;
    }
    if (repeated) {
      *error = "'" + t + "' repeats a part already given";
      return false;
    }
  }
  *out = f;
  return true;
}

void encodeLength(const Framing& f, uint8_t* out, size_t bodyLen) {
  uint64_t v = bodyLen + (f.lengthIncludesHeader ? f.lengthBytes : 0);
  for (size_t i = 0; i < f.lengthBytes; ++i) {
    size_t shift = 8 * (f.bigEndian ? f.lengthBytes - 1 - i : i);
    out[i] = static_cast<uint8_t>(v >> shift);
  }
}

FrameScan scanFrame(const RingBuffer& rb, const Framing& f, uint32_t maxPayload) {
  if (rb.size() < f.lengthBytes) return {FrameScan::NeedMore, 0};
  uint64_t length = readLength(rb, f);
  // A length that cannot even count its own header announces no payload at all: a violation.
  if (length < f.countedHeader()) return {FrameScan::Violation, 0};
  uint64_t len = length - f.countedHeader();
#ifdef LANSTRESS_FAULT_MAX_PAYLOAD_IS_VIOLATION
  if (len >= maxPayload) return {FrameScan::Violation, len};  // fault: a packet of exactly maxPayload is refused
#else
  if (len > maxPayload) return {FrameScan::Violation, len};
#endif
  const uint64_t frame = f.headerBytes() + len;
#ifdef LANSTRESS_FAULT_FRAMER_EARLY
  if (rb.size() + 1 < frame) return {FrameScan::NeedMore, len};  // fault: complete one byte early
#else
  if (rb.size() < frame) return {FrameScan::NeedMore, len};
#endif
  return {FrameScan::Packet, len};
}

size_t minRingCapacity(const Framing& f, uint32_t maxPayload) {
  // raw drains the whole ring at every receive, so any size works; 16 KiB keeps reads large.
  if (f.isRaw()) return 16384;
  size_t need = f.headerBytes() + maxPayload;
  // Room for one whole packet plus slack so small packets gather many per read.
  return need + (need < 8192 ? 8192 : need / 2);
}

}  // namespace lanstress
