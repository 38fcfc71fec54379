// IPv4 CIDR lists behind onConnectionRequest (deny checked first, then allow).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lanstress {

struct Cidr {
  uint32_t network;  // host byte order, already masked
  uint32_t mask;
};

// "a.b.c.d/n" (0 <= n <= 32) or a bare "a.b.c.d" (= /32).
bool parseCidr(const std::string& text, Cidr* out);
bool cidrContains(const Cidr& c, uint32_t ip);

struct AccessList {
  std::vector<Cidr> allow;
  std::vector<Cidr> deny;
  // Denied when a deny entry matches; else allowed when allow is empty or an entry matches.
  bool permits(uint32_t ip) const;
};

}  // namespace lanstress
