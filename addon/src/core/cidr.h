// CIDR lists behind onConnectionRequest (deny checked first, then allow), for
// both families. An IPv4 /n is held as the v4-mapped /96+n (ip_address.h): it
// matches IPv4 peers only; an IPv6 entry sees an IPv4 peer in its mapped form
// ::ffff:a.b.c.d (so ::/0 matches everyone, ::1/128 only ::1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ip_address.h"

namespace lanstress {

struct Cidr {
  IpAddress network;  // already masked
  int bits = 0;       // prefix length over the 128 bits
};

// "a.b.c.d/n" (0 <= n <= 32), "x::y/n" (0 <= n <= 128), or a bare address (the whole length).
bool parseCidr(const std::string& text, Cidr* out);
bool cidrContains(const Cidr& c, const IpAddress& ip);

struct AccessList {
  std::vector<Cidr> allow;
  std::vector<Cidr> deny;
  // Denied when a deny entry matches; else allowed when allow is empty or an entry matches.
  bool permits(const IpAddress& ip) const;
};

}  // namespace lanstress
