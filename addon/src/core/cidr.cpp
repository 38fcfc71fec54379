#include "cidr.h"

#include "platform.h"  // inet_pton

#include <cstdlib>

namespace lanstress {

bool parseCidr(const std::string& text, Cidr* out) {
  std::string addr = text;
  int bits = 32;
  size_t slash = text.find('/');
  if (slash != std::string::npos) {
    addr = text.substr(0, slash);
    std::string len = text.substr(slash + 1);
    if (len.empty() || len.size() > 2) return false;
    for (char c : len) {
      if (c < '0' || c > '9') return false;
    }
    bits = std::atoi(len.c_str());
    if (bits > 32) return false;
  }
  in_addr a;
  if (::inet_pton(AF_INET, addr.c_str(), &a) != 1) return false;
  uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  out->mask = mask;
  out->network = ntohl(a.s_addr) & mask;
  return true;
}

bool cidrContains(const Cidr& c, uint32_t ip) { return (ip & c.mask) == c.network; }

bool AccessList::permits(uint32_t ip) const {
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
