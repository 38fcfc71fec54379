// Addresses and CIDR lists of both families: IPv4 entries match IPv4 peers only,
// IPv6 entries see IPv4 peers in their v4-mapped form, bad lengths are refused.
#include <string>

#include "check.h"
#include "cidr.h"

using namespace lanstress;

namespace {

IpAddress ip(const std::string& text) {
  IpAddress a;
  CHECK(parseIpAddress(text, &a));
  return a;
}

bool contains(const std::string& cidr, const std::string& addr) {
  Cidr c;
  CHECK(parseCidr(cidr, &c));
  return cidrContains(c, ip(addr));
}

void addresses() {
  CHECK(ip("127.0.0.1").isV4());
  CHECK(!ip("::1").isV4());
  CHECK(ip("127.9.8.7").isLoopback());
  CHECK(ip("::1").isLoopback());
  CHECK(ip("0:0:0:0:0:0:0:1").isLoopback());
  CHECK(!ip("::2").isLoopback());
  CHECK(!ip("10.0.0.1").isLoopback());
  CHECK_EQ(ip("0:0::1").text(), std::string("::1"));
  CHECK_EQ(ip("127.0.0.1").textWithPort(9000), std::string("127.0.0.1:9000"));
  CHECK_EQ(ip("::1").textWithPort(9000), std::string("[::1]:9000"));
  CHECK_EQ(ip("fe80::1:2:3:4").text(), std::string("fe80::1:2:3:4"));
  IpAddress none;
  CHECK(!parseIpAddress("localhost", &none));
  CHECK(!parseIpAddress("1.2.3", &none));
}

void socketAddresses() {
  for (const char* text : {"127.0.0.5", "::1"}) {
    sockaddr_storage sa{};
    toSockaddr(ip(text), 4242, &sa);
    CHECK_EQ(sa.ss_family, ip(text).isV4() ? AF_INET : AF_INET6);
    IpAddress back;
    uint16_t port = 0;
    CHECK(fromSockaddr(sa, &back, &port));
    CHECK(back == ip(text));
    CHECK_EQ(port, 4242);
  }
}

void cidrs() {
  CHECK(contains("127.0.0.0/8", "127.1.2.3"));
  CHECK(!contains("127.0.0.0/8", "128.0.0.1"));
  CHECK(!contains("127.0.0.0/8", "::1"));
  CHECK(contains("0.0.0.0/0", "10.1.1.1"));
  CHECK(!contains("0.0.0.0/0", "::1"));
  CHECK(contains("::1", "::1"));
  CHECK(contains("::1/128", "::1"));
  CHECK(!contains("::1/128", "127.0.0.1"));
  CHECK(!contains("::1", "::2"));
  CHECK(contains("::/0", "::1"));
  CHECK(contains("::/0", "127.0.0.1"));
  CHECK(contains("::ffff:127.0.0.0/104", "127.0.0.9"));
  CHECK(contains("fe80::/10", "febf::1"));
  CHECK(!contains("fe80::/10", "fec0::1"));
  CHECK(contains("127.0.0.1", "127.0.0.1"));
  CHECK(!contains("127.0.0.1", "127.0.0.2"));
  Cidr c;
  CHECK(!parseCidr("127.0.0.0/33", &c));
  CHECK(!parseCidr("::1/129", &c));
  CHECK(!parseCidr("::1/", &c));
  CHECK(!parseCidr("::1/1a", &c));
  CHECK(!parseCidr("nonsense/8", &c));
}

void accessLists() {
  AccessList l;
  Cidr c;
  parseCidr("::1", &c);
  l.deny.push_back(c);
  CHECK(!l.permits(ip("::1")));
  CHECK(l.permits(ip("127.0.0.1")));
  parseCidr("127.0.0.0/8", &c);
  l.allow.push_back(c);
  CHECK(l.permits(ip("127.0.0.1")));
  CHECK(!l.permits(ip("10.0.0.1")));
}

}  // namespace

int main() {
  addresses();
  socketAddresses();
  cidrs();
  accessLists();
  return check::finish("cidr_test");
}
