#include "ip_address.h"

#include <cstring>

namespace lanstress {
namespace {

// ::ffff:0:0/96, the v4-mapped prefix.
constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

IpAddress IpAddress::fromV4(const in_addr& a) {
  IpAddress ip;
  std::memcpy(ip.bytes, kMappedPrefix, sizeof kMappedPrefix);
  std::memcpy(ip.bytes + 12, &a, 4);
  return ip;
}

IpAddress IpAddress::fromV6(const in6_addr& a) {
  IpAddress ip;
  std::memcpy(ip.bytes, &a, 16);
  return ip;
}

bool IpAddress::isV4() const { return std::memcmp(bytes, kMappedPrefix, sizeof kMappedPrefix) == 0; }

bool IpAddress::isLoopback() const {
  if (isV4()) return bytes[12] == 127;
  for (int i = 0; i < 15; ++i) {
    if (bytes[i] != 0) return false;
  }
  return bytes[15] == 1;
}

std::string IpAddress::text() const {
  char buf[INET6_ADDRSTRLEN];
  if (isV4()) {
    in_addr a;
    std::memcpy(&a, bytes + 12, 4);
    ::inet_ntop(AF_INET, &a, buf, sizeof buf);
  } else {
    in6_addr a;
    std::memcpy(&a, bytes, 16);
    ::inet_ntop(AF_INET6, &a, buf, sizeof buf);
  }
  return buf;
}

std::string IpAddress::textWithPort(uint16_t port) const {
  return isV4() ? text() + ":" + std::to_string(port) : "[" + text() + "]:" + std::to_string(port);
}

bool IpAddress::operator==(const IpAddress& o) const { return std::memcmp(bytes, o.bytes, 16) == 0; }

bool parseIpAddress(const std::string& text, IpAddress* out) {
  in_addr a4;
  if (::inet_pton(AF_INET, text.c_str(), &a4) == 1) {
    *out = IpAddress::fromV4(a4);
    return true;
  }
  in6_addr a6;
  if (::inet_pton(AF_INET6, text.c_str(), &a6) == 1) {
    *out = IpAddress::fromV6(a6);
    return true;
  }
  return false;
}

int toSockaddr(const IpAddress& ip, uint16_t port, sockaddr_storage* out) {
  std::memset(out, 0, sizeof *out);
  if (ip.isV4()) {
    sockaddr_in* sa = reinterpret_cast<sockaddr_in*>(out);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    std::memcpy(&sa->sin_addr, ip.bytes + 12, 4);
    return static_cast<int>(sizeof *sa);
  }
  sockaddr_in6* sa = reinterpret_cast<sockaddr_in6*>(out);
  sa->sin6_family = AF_INET6;
  sa->sin6_port = htons(port);
  std::memcpy(&sa->sin6_addr, ip.bytes, 16);
  return static_cast<int>(sizeof *sa);
}

bool fromSockaddr(const sockaddr_storage& sa, IpAddress* ip, uint16_t* port) {
  if (sa.ss_family == AF_INET) {
    const sockaddr_in* v4 = reinterpret_cast<const sockaddr_in*>(&sa);
    *ip = IpAddress::fromV4(v4->sin_addr);
    *port = ntohs(v4->sin_port);
    return true;
  }
  if (sa.ss_family == AF_INET6) {
    const sockaddr_in6* v6 = reinterpret_cast<const sockaddr_in6*>(&sa);
    *ip = IpAddress::fromV6(v6->sin6_addr);
    *port = ntohs(v6->sin6_port);
    return true;
  }
  return false;
}

}  // namespace lanstress
