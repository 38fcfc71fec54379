#include "cidr.h"

#include <cstdlib>

namespace lanstress {
namespace {

// The first `bits` bits of a kept, the rest cleared.
IpAddress masked(const IpAddress& a, int bits) {
  IpAddress m = a;
  for (int i = 0; i < 16; ++i) {
    int keep = bits - i * 8;
    m.bytes[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - keep));
  }
  return m;
}

}  // namespace

bool parseCidr(const std::string& text, Cidr* out) {
  std::string addr = text;
  int bits = -1;
  size_t slash = text.find('/');
  if (slash != std::string::npos) {
    addr = text.substr(0, slash);
    std::string len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3) return false;
    for (char c : len) {
      if (c < '0' || c > '9') return false;
    }
    bits = std::atoi(len.c_str());
  }
  IpAddress ip;
  if (!parseIpAddress(addr, &ip)) return false;
  // By the spelling, not the address: ::ffff:127.0.0.0/104 is an IPv6 prefix over the mapped range.
  bool dotted = addr.find(':') == std::string::npos;
  int length = dotted ? 32 : 128;
  if (bits > length) return false;
  if (bits < 0) bits = length;
  out->bits = dotted ? 96 + bits : bits;
  out->network = masked(ip, out->bits);
  return true;
}

bool cidrContains(const Cidr& c, const IpAddress& ip) { return masked(ip, c.bits) == c.network; }

bool AccessList::permits(const IpAddress& ip) const {
  for (const Cidr& c : deny) {
    if (cidrContains(c, ip)) return false;
  }
  if (allow.empty()) return true;
  for (const Cidr& c : allow) {
    if (cidrContains(c, ip)) return true;
  }
  return false;
}

}  // namespace lanstress
