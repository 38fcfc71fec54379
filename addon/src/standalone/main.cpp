// lanserver: the native LanServer without Node, for sanitizer builds and
// non-Node runs. Same options as ServerOptions; prints ServerLine JSON (one
// object per line) on stdout; human messages go to stderr.
// Builds on Linux and, cross-built with mingw-w64, on Windows (lanserver.exe,
// the IOCP backend): only the stop signal differs (StopSignal below).
#ifdef _WIN32
#include "../core/platform.h"  // windows.h, in its lean spelling
#include <process.h>
#else
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "../core/build_info.h"
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

// What the command line asks for.
struct Args {
  enum class Action { Serve, Help, BuildInfo } action = Action::Serve;
  LanServerOptions options;
  uint64_t statsIntervalMs = 1000;
};

// The standalone's own flags; every other one is a row of the core's option table.
constexpr const char* kStatsIntervalFlag = "--stats-interval-ms";
// The seed's SO_SNDBUF option, an alias: 0 = --zero-send-buffer, N = --send-buffer N.
constexpr const char* kSndbufFlag = "--sndbuf";

// --help, from the option table: each flag with its default, a choice with its alternatives.
std::string usage() {
  const LanServerOptions defaults;
  std::vector<std::string> items;
  for (const OptionSpec& spec : optionTable()) {
    std::string item = std::string("[") + spec.flag;
    switch (spec.type()) {
      case OptionType::Switch: item += "]"; break;
      case OptionType::List: item += " CIDR]..."; break;  // the lists are --allow and --deny
      case OptionType::Choice: item += " " + optionChoices(spec, "|") + "]"; break;
      default: item += " " + optionValueText(spec, defaults) + "]";
    }
    items.push_back(item);
  }
  items.push_back(std::string("[") + kStatsIntervalFlag + " " + std::to_string(Args().statsIntervalMs) + "]");
  items.push_back(std::string("[") + kSndbufFlag + " BYTES]");
  std::string out = "usage: lanserver", line = out;
  for (const std::string& item : items) {
    if (line.size() + 1 + item.size() > 100) {
      out += "\n";
      line = std::string(16, ' ');
      out += line;
    }
    out += " " + item;
    line += " " + item;
  }
  return out + "\n       (--mode js needs Node: the addon; --sndbuf 0 = --zero-send-buffer, the seed's SO_SNDBUF = 0)\n" +
         "       lanserver --build-info   (prints {\"build\":\"release|asan|tsan\",\"faults\":[...]})\n";
}

bool isBool(const char* s) { return std::strcmp(s, "true") == 0 || std::strcmp(s, "false") == 0; }

// One flag and its value: the value taken from "--flag=value", or the next
// argument; a switch takes true or false only when one follows (as `stress
// server --probes true` does). "" with a problem when the value is missing.
bool takeValue(int argc, char** argv, int* i, bool isSwitch, std::string* name, std::string* value) {
  std::string arg = argv[*i];
  size_t eq = arg.find('=');
  *name = arg.substr(0, eq);
  if (eq != std::string::npos) {
    *value = arg.substr(eq + 1);
  } else if (isSwitch) {
    *value = *i + 1 < argc && isBool(argv[*i + 1]) ? argv[++*i] : "true";
  } else if (*i + 1 < argc) {
    *value = argv[++*i];
  } else {
    return false;
  }
  return true;
}

// Parses argv into args; returns every problem at once, each naming its flag.
// A flag given twice is a problem, except the lists (--allow, --deny), which repeat.
std::vector<std::string> parseArgs(int argc, char** argv, Args* args) {
  std::vector<std::string> problems;
  std::set<std::string> seen;
  LanServerOptions& o = args->options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "--build-info") {
      args->action = arg == "--build-info" ? Args::Action::BuildInfo : Args::Action::Help;
      return {};
    }
    if (arg.rfind("--", 0) != 0) {
      problems.push_back("unexpected argument '" + arg + "'");
      continue;
    }
    if (arg == kSndbufFlag || arg.rfind(std::string(kSndbufFlag) + "=", 0) == 0) {
      std::string name, value;
      if (!takeValue(argc, argv, &i, false, &name, &value)) {
        problems.push_back(name + " needs a value");
        continue;
      }
      // The seed's spelling: --sndbuf 0 is --zero-send-buffer, --sndbuf N is --send-buffer N.
      const OptionSpec* spec = optionByFlag(value == "0" ? "--zero-send-buffer" : "--send-buffer");
      if (!seen.insert(spec->flag).second) {
        problems.push_back(name + " says what " + spec->flag + " says: give one of them");
        continue;
      }
      std::string problem = setOptionFromText(*spec, value == "0" ? "true" : value, &o);
      if (!problem.empty()) problems.push_back(name + " " + problem);
      continue;
    }
    const OptionSpec* spec = optionByFlag(arg.substr(0, arg.find('=')));
    std::string name, value;
    if (!takeValue(argc, argv, &i, spec && spec->type() == OptionType::Switch, &name, &value)) {
      problems.push_back(name + " needs a value");
      continue;
    }
    bool repeats = spec && spec->type() == OptionType::List;
    if (!seen.insert(name).second && !repeats) {
      problems.push_back(name + " is given more than once");
      continue;
    }
    if (name == kStatsIntervalFlag) {
      char* end = nullptr;
      unsigned long long ms = std::strtoull(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || value[0] == '-' || ms < 10 || ms > 3600000) {
        problems.push_back(name + " must be an integer in 10..3600000 (got '" + value + "')");
      } else {
        args->statsIntervalMs = ms;
      }
    } else if (!spec) {
      problems.push_back("unknown option " + name);
    } else if (std::string problem = setOptionFromText(*spec, value, &o); !problem.empty()) {
      problems.push_back(name + " " + problem);
    }
  }
  if (o.mode == Mode::Callback) problems.push_back("--mode must be echo or broadcast (got 'js'; js needs Node)");
  for (const OptionProblem& p : validateOptions(o)) problems.push_back(optionByName(p.field)->flag + (" " + p.message));
  return problems;
}

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

#ifdef _WIN32
int processId() { return _getpid(); }

// Ctrl-C, Ctrl-Break, closing the console, logoff and shutdown: the control
// handler (called on a thread of its own) sets an event that main waits on.
// Under Wine, SIGINT reaches a console process as CTRL_C_EVENT too.
HANDLE gStopEvent = nullptr;

BOOL WINAPI onConsoleCtrl(DWORD) {
  ::SetEvent(gStopEvent);
  // Returning TRUE for the close/logoff/shutdown events would let Windows end
  // the process as soon as we return: hold on until main has printed `final`.
  return TRUE;
}

class StopSignal {
 public:
  bool open() {
    gStopEvent = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    return gStopEvent != nullptr && ::SetConsoleCtrlHandler(onConsoleCtrl, TRUE);
  }
  // True when a stop was asked for within ms.
  bool wait(int64_t ms) { return ::WaitForSingleObject(gStopEvent, static_cast<DWORD>(ms)) == WAIT_OBJECT_0; }
  const char* what() const { return "SetConsoleCtrlHandler"; }
  void close() { ::CloseHandle(gStopEvent); }
};
#else
int processId() { return static_cast<int>(getpid()); }

// Signals become readable events on a signalfd: no work inside a handler.
// Opened before any thread exists, so every thread inherits the mask.
class StopSignal {
 public:
  bool open() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &mask, nullptr);
    signal(SIGPIPE, SIG_IGN);
    sfd_ = signalfd(-1, &mask, SFD_CLOEXEC);
    return sfd_ >= 0;
  }
  bool wait(int64_t ms) {
    pollfd pfd{sfd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(ms)) <= 0) return false;
    signalfd_siginfo si;
    ssize_t r = ::read(sfd_, &si, sizeof si);
    (void)r;
    return true;
  }
  const char* what() const { return "signalfd"; }
  void close() { ::close(sfd_); }

 private:
  int sfd_ = -1;
};
#endif

void printListening(const LanServerOptions& o, const ListenInfo& info) {
  std::printf("{\"event\":\"listening\",\"pid\":%d,\"mode\":\"%s\",\"workers\":%u,\"host\":\"%s\",\"port\":%u,\"backend\":\"%s\",%s}\n",
              processId(), modeName(o.mode), o.workers, info.host.c_str(), info.port,
              backendName(info.backend), buildInfoJsonMembers(buildInfo()).c_str());
  std::fflush(stdout);
}

void printStats(const char* event, int64_t t, const ServerStats& st) {
  std::printf("{\"event\":\"%s\",\"t\":%lld,%s}\n", event, static_cast<long long>(t), statsJsonMembers(st).c_str());
  std::fflush(stdout);
}

// A stats line every interval until a stop signal (SIGINT, SIGTERM; Ctrl-C, Ctrl-Break).
void serveUntilSignal(const LanServer& server, StopSignal& stop, uint64_t intervalMs, int64_t t0) {
  int64_t next = t0 + static_cast<int64_t>(intervalMs);
  for (;;) {
    int64_t wait = next - nowMs();
    if (stop.wait(wait > 0 ? wait : 0)) return;
    if (nowMs() >= next) {
      printStats("stats", nowMs() - t0, server.stats());
      next += static_cast<int64_t>(intervalMs);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  std::vector<std::string> problems = parseArgs(argc, argv, &args);
  if (args.action == Args::Action::Help) {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (args.action == Args::Action::BuildInfo) {
    std::printf("{%s}\n", buildInfoJsonMembers(buildInfo()).c_str());
    return 0;
  }
  if (!problems.empty()) {
    for (const std::string& p : problems) std::fprintf(stderr, "lanserver: %s\n", p.c_str());
    std::fputs(usage().c_str(), stderr);
    return 2;
  }

  StopSignal stopSignal;
  if (!stopSignal.open()) {
    std::fprintf(stderr, "lanserver: %s failed\n", stopSignal.what());
    return 1;
  }
  StderrHooks hooks;
  LanServer server(&hooks);
  ListenInfo info;
  ServerError err;
  if (!server.start(args.options, &info, &err)) {
    std::fprintf(stderr, "lanserver: %s: %s\n", err.code.c_str(), err.message.c_str());
    return 1;
  }
  int64_t t0 = nowMs();
  printListening(args.options, info);
  serveUntilSignal(server, stopSignal, args.statsIntervalMs, t0);
  server.stop();
  printStats("final", nowMs() - t0, server.stats());
  stopSignal.close();
  return 0;
}
