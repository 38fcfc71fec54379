// One address type for both families, so the listener, the peers, the access
// lists and the session slots treat 127.0.0.1 and ::1 alike.
#pragma once

#include <cstdint>
#include <string>

#include "platform.h"

namespace lanstress {

// An IPv4 or IPv6 address in 16 bytes, network order: IPv4 as its v4-mapped
// IPv6 form ::ffff:a.b.c.d, so one prefix comparison serves both (an IPv4 /n
// is the mapped /96+n). 16 bytes per session slot, and no text: the text
// (46 bytes for the longest IPv6 spelling) is made only where it is shown.
struct IpAddress {
  uint8_t bytes[16] = {};

  static IpAddress fromV4(const in_addr& a);
  static IpAddress fromV6(const in6_addr& a);
  bool isV4() const;
  bool isLoopback() const;  // 127.0.0.0/8 or ::1
  // "127.0.0.1", "::1".
  std::string text() const;
  // "127.0.0.1:9000", "[::1]:9000".
  std::string textWithPort(uint16_t port) const;
  bool operator==(const IpAddress& o) const;
};

// A literal of either family ("127.0.0.1", "::1"); no names.
bool parseIpAddress(const std::string& text, IpAddress* out);

// The socket address of a given IP and port (AF_INET for a v4-mapped address,
// else AF_INET6); returns its length.
int toSockaddr(const IpAddress& ip, uint16_t port, sockaddr_storage* out);
// The IP and port of an AF_INET or AF_INET6 socket address; false for another family.
bool fromSockaddr(const sockaddr_storage& sa, IpAddress* ip, uint16_t* port);

}  // namespace lanstress
