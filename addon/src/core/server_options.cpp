#include "server_options.h"

#include <cmath>
#include <cstring>
#include <cstdlib>
#include <limits>
#include <type_traits>

#include "cidr.h"

namespace lanstress {
namespace {

template <class... Ts>
struct Overload : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overload(Ts...) -> Overload<Ts...>;

using O = LanServerOptions;

// The order of ServerOptions in server/types.ts. Ranges: docs/server.md.
const std::vector<OptionSpec> kTable = {
    {"host", "--host", &O::host},
    {"port", "--port", &O::port, 0, 65535},
    {"workers", "--workers", &O::workers, 1, 256},
    {"maxSessions", "--max-sessions", &O::maxSessions, 1, 1000000},
    {"maxPayload", "--max-payload", &O::maxPayload, 0, kLanMaxPayload},
    {"sendQueueLimit", "--send-queue-limit", &O::sendQueueLimit, 1, 1 << 30},
    {"backlog", "--backlog", &O::backlog, 1, 65535},
    {"backend", "--backend", &O::backend},
    {"mode", "--mode", &O::mode},
    {"framing", "--framing", &O::framing},
    {"allow", "--allow", &O::allow},
    {"deny", "--deny", &O::deny},
    {"room", "--room", &O::room, 0, 1000000},
    {"kick", "--kick", &O::kick, 0, 1},
    {"echoDelayUs", "--echo-delay-us", &O::echoDelayUs, 0, 10000000},
    {"seed", "--seed", &O::seed, 0, 0xffffffffu},
    {"sendBuffer", "--send-buffer", &O::sendBuffer, 0, 16u << 20},
    {"zeroSendBuffer", "--zero-send-buffer", &O::zeroSendBuffer},
    {"probes", "--probes", &O::probes},
    {"uringBuffers", "--uring-buffers", &O::uringBuffers, 0, kMaxUringBuffers},
};

// Every name of a choice enum, in order: "echo, broadcast or js" (sep null), or joined by sep.
template <typename E>
std::string choiceNames(E last, const char* (*name)(E), const char* sep) {
  std::string out;
  for (int i = 0; i <= static_cast<int>(last); ++i) {
    if (i) out += sep ? sep : i == static_cast<int>(last) ? " or " : ", ";
    out += name(static_cast<E>(i));
  }
  return out;
}
bool parseChoice(const std::string& s, Backend* out) { return parseBackend(s, out); }
bool parseChoice(const std::string& s, Mode* out) { return parseMode(s, out); }
const char* choiceName(Backend v) { return backendName(v); }
const char* choiceName(Mode v) { return modeName(v); }
std::string choiceName(const Framing& v) { return framingText(v); }
std::string choiceNames(const Backend*, const char* sep = nullptr) { return choiceNames(Backend::Iocp, backendName, sep); }
std::string choiceNames(const Mode*, const char* sep = nullptr) { return choiceNames(Mode::Callback, modeName, sep); }
// A framing is a preset or a spelling (framing.h): --help shows the grammar, not a list.
std::string choiceNames(const Framing*, const char* sep = nullptr) {
  return sep ? "lan|servercore|raw|len:SIZE[:le|be][:incl][:hdrN]" : framingGrammar();
}

std::string show(double v) {
  std::string s = std::to_string(v);
  // to_string prints six decimals: drop the trailing zeros (and a bare point).
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string rangeText(const OptionSpec& spec) { return show(spec.min) + ".." + show(spec.max); }

std::string notInteger(const OptionSpec& spec, const std::string& got) {
  return "must be an integer in " + rangeText(spec) + " (got " + got + ")";
}

// An integer into a u32 or u64 field; only the field's width is checked here,
// the range is validateOptions' job.
template <typename T>
std::string storeInteger(const OptionSpec& spec, T O::*field, double v, const std::string& got, O* o) {
  if (!(v >= 0 && v <= static_cast<double>(std::numeric_limits<T>::max()) && v == std::floor(v))) return notInteger(spec, got);
  o->*field = static_cast<T>(v);
  return "";
}

bool parseDecimal(const std::string& s, double* out) {
  if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  *out = static_cast<double>(std::strtoull(s.c_str(), nullptr, 10));
  return true;
}

bool parseNumber(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return *end == '\0';
}

void splitList(const std::string& s, std::vector<std::string>* out) {
  size_t start = 0;
  for (;;) {
    size_t comma = s.find(',', start);
    std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out->push_back(item);
    if (comma == std::string::npos) return;
    start = comma + 1;
  }
}

}  // namespace

const char* modeName(Mode m) {
  switch (m) {
    case Mode::Echo: return "echo";
    case Mode::Broadcast: return "broadcast";
    case Mode::Callback: return "js";
  }
  return "?";
}

bool parseMode(const std::string& s, Mode* out) {
  for (Mode m : {Mode::Echo, Mode::Broadcast, Mode::Callback}) {
    if (s == modeName(m)) {
      *out = m;
      return true;
    }
  }
  return false;
}

OptionType OptionSpec::type() const {
  return std::visit(Overload{[](uint32_t O::*) { return OptionType::Integer; },
                             [](uint64_t O::*) { return OptionType::Integer; },
                             [](double O::*) { return OptionType::Number; },
                             [](bool O::*) { return OptionType::Switch; },
                             [](std::string O::*) { return OptionType::Text; },
                             [](std::vector<std::string> O::*) { return OptionType::List; },
                             [](auto) { return OptionType::Choice; }},
                    field);
}

const std::vector<OptionSpec>& optionTable() { return kTable; }

const OptionSpec* optionByName(const std::string& name) {
  for (const OptionSpec& s : kTable) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

const OptionSpec* optionByFlag(const std::string& flag) {
  for (const OptionSpec& s : kTable) {
    if (flag == s.flag) return &s;
  }
  return nullptr;
}

std::string setOptionFromText(const OptionSpec& spec, const std::string& text, LanServerOptions* o) {
  const std::string got = "'" + text + "'";
  double v = 0;
  return std::visit(
      Overload{[&](uint32_t O::*f) { return parseDecimal(text, &v) ? storeInteger(spec, f, v, got, o) : notInteger(spec, got); },
               [&](uint64_t O::*f) { return parseDecimal(text, &v) ? storeInteger(spec, f, v, got, o) : notInteger(spec, got); },
               [&](double O::*f) {
                 if (!parseNumber(text, &v)) return "must be a number in " + rangeText(spec) + " (got " + got + ")";
                 o->*f = v;
                 return std::string();
               },
               [&](bool O::*f) {
                 if (text != "true" && text != "false") return "takes no value, or true or false (got " + got + ")";
                 o->*f = text == "true";
                 return std::string();
               },
               [&](std::string O::*f) {
                 o->*f = text;
                 return std::string();
               },
               [&](std::vector<std::string> O::*f) {
                 splitList(text, &(o->*f));
                 return std::string();
               },
               [&](Framing O::*f) {
                 std::string problem;
                 if (parseFraming(text, &(o->*f), &problem)) return std::string();
                 return problem + " (got " + got + ")";
               },
               [&](auto f) {
                 if (parseChoice(text, &(o->*f))) return std::string();
                 return "must be " + choiceNames(&(o->*f)) + " (got " + got + ")";
               }},
      spec.field);
}

std::string setOptionFromNumber(const OptionSpec& spec, double v, LanServerOptions* o) {
  return std::visit(Overload{[&](uint32_t O::*f) { return storeInteger(spec, f, v, show(v), o); },
                             [&](uint64_t O::*f) { return storeInteger(spec, f, v, show(v), o); },
                             [&](double O::*f) {
                               o->*f = v;
                               return std::string();
                             },
                             [&](auto) { return std::string("is not a number option"); }},
                    spec.field);
}

void setOptionSwitch(const OptionSpec& spec, bool v, LanServerOptions* o) {
  if (auto f = std::get_if<bool O::*>(&spec.field)) o->**f = v;
}

void setOptionList(const OptionSpec& spec, std::vector<std::string> v, LanServerOptions* o) {
  if (auto f = std::get_if<std::vector<std::string> O::*>(&spec.field)) o->**f = std::move(v);
}

std::string optionValueText(const OptionSpec& spec, const LanServerOptions& o) {
  return std::visit(Overload{[&](uint32_t O::*f) { return std::to_string(o.*f); },
                             [&](uint64_t O::*f) { return std::to_string(o.*f); },
                             [&](double O::*f) { return show(o.*f); },
                             [&](bool O::*) { return std::string(); },
                             [&](std::string O::*f) { return o.*f; },
                             [&](std::vector<std::string> O::*f) {
                               std::string out;
                               for (const std::string& item : o.*f) out += (out.empty() ? "" : ",") + item;
                               return out;
                             },
                             [&](auto f) { return std::string(choiceName(o.*f)); }},
                    spec.field);
}

std::string optionChoices(const OptionSpec& spec, const char* sep) {
  const LanServerOptions o;
  return std::visit(Overload{[&](Backend O::*f) { return choiceNames(&(o.*f), sep); },
                             [&](Mode O::*f) { return choiceNames(&(o.*f), sep); },
                             [&](Framing O::*f) { return choiceNames(&(o.*f), sep); },
                             [](auto) { return std::string(); }},
                    spec.field);
}

bool resolveHost(const std::string& host, IpAddress* out) {
  if (!platform::netStartup(nullptr)) return false;  // Winsock before getaddrinfo
  if (parseIpAddress(host, out)) return true;
  for (int family : {AF_INET, AF_INET6}) {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res) continue;
    sockaddr_storage sa{};
    std::memcpy(&sa, res->ai_addr, res->ai_addrlen);
    ::freeaddrinfo(res);
    uint16_t port = 0;
    if (fromSockaddr(sa, out, &port)) return true;
  }
  return false;
}

std::vector<OptionProblem> validateOptions(const LanServerOptions& o) {
  std::vector<OptionProblem> p;
  auto range = [&p](const OptionSpec& spec, double v, const char* what) {
    if (!(v >= spec.min && v <= spec.max)) {
      p.push_back({spec.name, std::string("must be ") + what + " in " + rangeText(spec) + " (got " + show(v) + ")"});
    }
  };
  IpAddress a;
  if (o.host.empty() || !resolveHost(o.host, &a)) {
    p.push_back({"host", "is not an IPv4 or IPv6 address or a resolvable name: '" + o.host + "'"});
  } else if (!a.isLoopback()) {
    // lanstress serves loopback only (its load never leaves the machine), whichever front end starts it.
    p.push_back({"host", "must be a loopback address (127.0.0.0/8 or ::1): '" + o.host + "'"});
  }
  for (const OptionSpec& spec : kTable) {
    std::visit(Overload{[&](uint32_t O::*f) { range(spec, o.*f, "an integer"); },
                        [&](uint64_t O::*f) { range(spec, static_cast<double>(o.*f), "an integer"); },
                        [&](double O::*f) { range(spec, o.*f, "a number"); },
                        [](auto) {}},
               spec.field);
  }
  // One whole packet, its header included, must fit in the send queue, or every
  // echo of a payload that long would be a disconnect (sendQueueFull).
  uint64_t packet = uint64_t{o.maxPayload} + o.framing.headerBytes();
  if (o.sendQueueLimit < packet) {
    p.push_back({"sendQueueLimit", "must hold one whole packet: at least the largest payload (" + std::to_string(o.maxPayload) +
                                       ") + the framing's " + std::to_string(o.framing.headerBytes()) + "-byte header = " +
                                       std::to_string(packet) + " (got " + std::to_string(o.sendQueueLimit) + ")"});
  }
  if (o.zeroSendBuffer && o.sendBuffer > 0) {
    p.push_back({"zeroSendBuffer", "sets SO_SNDBUF to 0: give it or a --send-buffer size, not both"});
  }
  if (!uringBuffersValid(o.uringBuffers)) {
    p.push_back({"uringBuffers", "must be 0 (plain recv) or a power of two from " + std::to_string(kMinUringBuffers) + " to " +
                                     std::to_string(kMaxUringBuffers) + " (got " + std::to_string(o.uringBuffers) + ")"});
  }
  Cidr c;
  for (const std::string& s : o.allow) {
    if (!parseCidr(s, &c)) p.push_back({"allow", "is not an IPv4 or IPv6 CIDR: '" + s + "'"});
  }
  for (const std::string& s : o.deny) {
    if (!parseCidr(s, &c)) p.push_back({"deny", "is not an IPv4 or IPv6 CIDR: '" + s + "'"});
  }
  return p;
}

}  // namespace lanstress
