// LanServerOptions and THE table of them: each option's ServerOptions name
// (server/types.ts, the binding's key), its flag (the standalone's, the same as
// `stress server`'s), where it lives in LanServerOptions (which gives its type)
// and its range. The binding's reading of the JS object, the standalone's argv
// parsing and validateOptions all walk this one table, so an option is one row
// (plus its field).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "completion_port.h"
#include "framing.h"
#include "ip_address.h"

namespace lanstress {

// Callback: every packet goes to LanServerHooks::onRecv (the addon's js mode).
enum class Mode : uint8_t { Echo, Broadcast, Callback };
const char* modeName(Mode m);
bool parseMode(const std::string& s, Mode* out);

struct LanServerOptions {
  std::string host = "127.0.0.1";
  uint32_t port = 0;
  uint32_t workers = 2;
  uint32_t maxSessions = 10000;
  uint32_t maxPayload = 8192;
  uint64_t sendQueueLimit = 1u << 20;
  uint32_t backlog = 4096;
  Backend backend = Backend::Auto;
  Mode mode = Mode::Echo;
  Framing framing = Framing::lan();
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  uint32_t room = 0;
  double kick = 0;
  uint32_t echoDelayUs = 0;
  uint64_t seed = 1;
  // SO_SNDBUF of every accepted socket in bytes; 0 leaves the kernel default.
  // A small one (Linux clamps to ~4.6 KB) makes sends asynchronous and short.
  uint32_t sendBuffer = 0;
  // The seed's SO_SNDBUF = 0 (its --sndbuf 0) on every accepted socket, where
  // sendBuffer 0 means "leave the default". On Windows every WSASend then goes
  // straight from our buffers to the stack and completes asynchronously; Linux
  // raises 0 to its minimum (about 4.6 KB), so sends there become short.
  bool zeroSendBuffer = false;
  // Runs the watch thread's probes (prober.h) and holds race windows open now
  // and then (race_windows.h); the watch thread's sweep runs either way.
  bool probes = false;
  // io_uring's provided buffers (4 KiB each) per worker's ring for its
  // multishot recv; 0 = a plain RECV per recv (io_uring_port.cpp). Other backends ignore it.
  uint32_t uringBuffers = kDefaultUringBuffers;
};

// Where an option lives; the member's type is the option's type.
using OptionField =
    std::variant<uint32_t LanServerOptions::*, uint64_t LanServerOptions::*, double LanServerOptions::*,
                 bool LanServerOptions::*, std::string LanServerOptions::*, std::vector<std::string> LanServerOptions::*,
                 Backend LanServerOptions::*, Mode LanServerOptions::*, Framing LanServerOptions::*>;

enum class OptionType : uint8_t { Integer, Number, Switch, Text, List, Choice };

struct OptionSpec {
  const char* name;  // ServerOptions key; validateOptions reports problems under it
  const char* flag;  // command-line spelling
  OptionField field;
  double min = 0, max = 0;  // Integer and Number: the valid range (validateOptions)
  OptionType type() const;
};

const std::vector<OptionSpec>& optionTable();
const OptionSpec* optionByName(const std::string& name);
const OptionSpec* optionByFlag(const std::string& flag);

// Setters for what each front end reads. Each returns "" or the problem,
// worded after the option's name or flag ("must be ...").
// Any type from its text (argv): integers in decimal, switches true/false,
// choices by name, lists comma-separated (appended: a list flag repeats).
std::string setOptionFromText(const OptionSpec& spec, const std::string& text, LanServerOptions* o);
// Integer or Number from a number (a JS number).
std::string setOptionFromNumber(const OptionSpec& spec, double v, LanServerOptions* o);
void setOptionSwitch(const OptionSpec& spec, bool v, LanServerOptions* o);
// Replaces the list.
void setOptionList(const OptionSpec& spec, std::vector<std::string> v, LanServerOptions* o);

// For --help: the value as a command line spells it ("" for a switch; lists
// comma-joined), and a choice's alternatives joined by sep ("" for the rest).
std::string optionValueText(const OptionSpec& spec, const LanServerOptions& o);
std::string optionChoices(const OptionSpec& spec, const char* sep);

struct OptionProblem {
  std::string field;  // the ServerOptions name, e.g. "maxPayload"
  std::string message;
};
// Every problem at once (empty = valid): the ranges of the table, the host, the CIDRs.
std::vector<OptionProblem> validateOptions(const LanServerOptions& o);

// The host option as an address: an IPv4 or IPv6 literal, or a name the
// resolver knows (its IPv4 address first: localhost is 127.0.0.1).
bool resolveHost(const std::string& host, IpAddress* out);

}  // namespace lanstress
