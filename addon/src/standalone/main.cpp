// lanserver: the native LanServer without Node, for sanitizer builds and
// non-Node runs. Same options as ServerOptions; prints ServerLine JSON (one
// object per line) on stdout; human messages go to stderr.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <string>
#include <vector>

#include "../core/lan_server.h"

using namespace lanstress;

namespace {

class StderrHooks : public LanServerHooks {
 public:
  void onError(const char* code, const std::string& message) override {
    std::fprintf(stderr, "lanserver: error %s: %s\n", code, message.c_str());
  }
  void onLog(const std::string& message) override { std::fprintf(stderr, "lanserver: %s\n", message.c_str()); }
};

const char* kUsage =
    "usage: lanserver [--host 127.0.0.1] [--port 0] [--workers 2] [--max-sessions 10000]\n"
    "                 [--max-payload 8192] [--send-queue-limit 1048576] [--backlog 4096]\n"
    "                 [--backend auto|epoll|io_uring] [--mode echo|broadcast] [--framing lan|raw]\n"
    "                 [--allow CIDR]... [--deny CIDR]... [--room 0] [--kick 0] [--echo-delay-us 0]\n"
    "                 [--seed 1] [--send-buffer 0] [--probes] [--stats-interval-ms 1000]\n"
    "       lanserver --build-info   (prints {\"build\":\"release|asan|tsan\",\"faults\":[...]})\n";

// ServerOptions field -> flag, so core validation messages name the flag.
const char* flagOf(const std::string& field) {
  static const struct { const char* field; const char* flag; } map[] = {
      {"host", "--host"}, {"port", "--port"}, {"workers", "--workers"}, {"maxSessions", "--max-sessions"},
      {"maxPayload", "--max-payload"}, {"sendQueueLimit", "--send-queue-limit"}, {"backlog", "--backlog"},
      {"backend", "--backend"}, {"mode", "--mode"}, {"framing", "--framing"}, {"allow", "--allow"},
      {"deny", "--deny"}, {"room", "--room"}, {"kick", "--kick"}, {"echoDelayUs", "--echo-delay-us"},
      {"seed", "--seed"}, {"sendBuffer", "--send-buffer"}, {"probes", "--probes"}};
  for (const auto& m : map) {
    if (field == m.field) return m.flag;
  }
  return field.c_str();
}

bool parseUint(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

bool parseDouble(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (*end != '\0') return false;
  *out = v;
  return true;
}

void splitList(const std::string& s, std::vector<std::string>* out) {
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out->push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

// GCC predefines __SANITIZE_*__; Clang answers __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define LANSTRESS_ASAN 1
#elif defined(__SANITIZE_THREAD__)
#define LANSTRESS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LANSTRESS_ASAN 1
#elif __has_feature(thread_sanitizer)
#define LANSTRESS_TSAN 1
#endif
#endif

// What this binary was built as, so a report of a sanitizer or fault build says
// so: the sanitizer the compiler instrumented for, and every fault switch on
// (addon/Makefile FLAVOR= and FAULT=).
const char* buildFlavor() {
#if defined(LANSTRESS_ASAN)
  return "asan";
#elif defined(LANSTRESS_TSAN)
  return "tsan";
#else
  return "release";
#endif
}

// A FAULT= build names its fault (one per build, addon/src/core/faults.h).
std::string faultsJson() {
#ifdef LANSTRESS_FAULT
  return std::string("[\"") + LANSTRESS_FAULT + "\"]";
#else
  return "[]";
#endif
}

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void printStats(const char* event, int64_t t, const ServerStats& st) {
  std::printf("{\"event\":\"%s\",\"t\":%lld,%s}\n", event, static_cast<long long>(t), statsJsonMembers(st).c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  LanServerOptions o;
  o.workers = 2;
  uint64_t statsIntervalMs = 1000;
  std::vector<std::string> problems;

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--build-info") {
      std::printf("{\"build\":\"%s\",\"faults\":%s}\n", buildFlavor(), faultsJson().c_str());
      return 0;
    }
    if (arg.rfind("--", 0) != 0) {
      problems.push_back("unexpected argument '" + arg + "'");
      continue;
    }
    std::string name = arg, value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (name == "--probes") {
      // A switch; an explicit true/false may follow (as `stress server --probes true` takes it).
      value = "true";
      if (i + 1 < argc && (std::strcmp(argv[i + 1], "true") == 0 || std::strcmp(argv[i + 1], "false") == 0)) value = argv[++i];
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      problems.push_back(name + " needs a value");
      continue;
    }
    uint64_t u = 0;
    auto uintOpt = [&](auto* field, uint64_t max) {
      if (!parseUint(value, &u) || u > max) {
        problems.push_back(name + " must be an integer in 0.." + std::to_string(max) + " (got '" + value + "')");
      } else {
        *field = static_cast<std::remove_pointer_t<decltype(field)>>(u);
      }
    };
    if (name == "--host") o.host = value;
    else if (name == "--port") uintOpt(&o.port, 0xffffffffull);
    else if (name == "--workers") uintOpt(&o.workers, 0xffffffffull);
    else if (name == "--max-sessions") uintOpt(&o.maxSessions, 0xffffffffull);
    else if (name == "--max-payload") uintOpt(&o.maxPayload, 0xffffffffull);
    else if (name == "--send-queue-limit") uintOpt(&o.sendQueueLimit, ~uint64_t{0});
    else if (name == "--backlog") uintOpt(&o.backlog, 0xffffffffull);
    else if (name == "--room") uintOpt(&o.room, 0xffffffffull);
    else if (name == "--echo-delay-us") uintOpt(&o.echoDelayUs, 0xffffffffull);
    else if (name == "--seed") uintOpt(&o.seed, ~uint64_t{0});
    else if (name == "--send-buffer") uintOpt(&o.sendBuffer, 0xffffffffull);
    else if (name == "--probes") {
      if (value == "true") o.probes = true;
      else if (value == "false") o.probes = false;
      else problems.push_back(name + " takes no value, or true or false (got '" + value + "')");
    }
    else if (name == "--stats-interval-ms") {
      if (!parseUint(value, &u) || u < 10 || u > 3600000) {
        problems.push_back(name + " must be an integer in 10..3600000 (got '" + value + "')");
      } else {
        statsIntervalMs = u;
      }
    } else if (name == "--kick") {
      if (!parseDouble(value, &o.kick)) problems.push_back(name + " must be a number in 0..1 (got '" + value + "')");
    } else if (name == "--backend") {
      if (!parseBackend(value, &o.backend)) problems.push_back(name + " must be auto, epoll or io_uring (got '" + value + "')");
    } else if (name == "--mode") {
      if (value == "echo") o.mode = Mode::Echo;
      else if (value == "broadcast") o.mode = Mode::Broadcast;
      else problems.push_back(name + " must be echo or broadcast (got '" + value + "'; js needs Node)");
    } else if (name == "--framing") {
      if (value == "lan") o.framing = Framing::Lan;
      else if (value == "raw") o.framing = Framing::Raw;
      else problems.push_back(name + " must be lan or raw (got '" + value + "')");
    } else if (name == "--allow") {
      splitList(value, &o.allow);
    } else if (name == "--deny") {
      splitList(value, &o.deny);
    } else {
      problems.push_back("unknown option " + name);
    }
  }
  for (const OptionProblem& p : validateOptions(o)) {
    std::string flag = flagOf(p.field);
    // Problems already reported by the parser are not repeated.
    bool seen = false;
    for (const std::string& q : problems) seen = seen || q.rfind(flag + " ", 0) == 0;
    if (!seen) problems.push_back(flag + " " + p.message);
  }
  if (!problems.empty()) {
    for (const std::string& p : problems) std::fprintf(stderr, "lanserver: %s\n", p.c_str());
    std::fputs(kUsage, stderr);
    return 2;
  }

  // Signals become readable events on a signalfd: no work inside a handler.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);  // before any thread exists, so every thread inherits it
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
  if (sfd < 0) {
    std::perror("lanserver: signalfd");
    return 1;
  }

  StderrHooks hooks;
  LanServer server(&hooks);
  ListenInfo info;
  ServerError err;
  if (!server.start(o, &info, &err)) {
    std::fprintf(stderr, "lanserver: %s: %s\n", err.code.c_str(), err.message.c_str());
    return 1;
  }
  int64_t t0 = nowMs();
  std::printf("{\"event\":\"listening\",\"pid\":%d,\"mode\":\"%s\",\"workers\":%u,\"host\":\"%s\",\"port\":%u,\"backend\":\"%s\",\"build\":\"%s\",\"faults\":%s}\n",
              static_cast<int>(getpid()), modeName(o.mode), o.workers, info.host.c_str(), info.port,
              backendName(info.backend), buildFlavor(), faultsJson().c_str());
  std::fflush(stdout);

  int64_t next = t0 + static_cast<int64_t>(statsIntervalMs);
  for (;;) {
    int64_t wait = next - nowMs();
    pollfd pfd{sfd, POLLIN, 0};
    int n = ::poll(&pfd, 1, wait > 0 ? static_cast<int>(wait) : 0);
    if (n > 0) {
      signalfd_siginfo si;
      ssize_t r = ::read(sfd, &si, sizeof si);
      (void)r;
      break;
    }
    if (nowMs() >= next) {
      printStats("stats", nowMs() - t0, server.stats());
      next += static_cast<int64_t>(statsIntervalMs);
    }
  }
  server.stop();
  printStats("final", nowMs() - t0, server.stats());
  ::close(sfd);
  return 0;
}
