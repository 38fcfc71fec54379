// Minimal assertion helpers for the core's C++ tests (each test file is its own executable).
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>

namespace check {

inline int& failures() {
  static int n = 0;
  return n;
}

template <class A, class B>
void eq(const A& a, const B& b, const char* ea, const char* eb, const char* file, int line) {
  if (a == b) return;
  std::ostringstream os;
  os << file << ":" << line << ": CHECK_EQ(" << ea << ", " << eb << ") failed: " << a << " != " << b;
  std::fprintf(stderr, "%s\n", os.str().c_str());
  ++failures();
}

inline int finish(const char* name) {
  if (failures()) {
    std::fprintf(stderr, "%s: %d check(s) failed\n", name, failures());
    return 1;
  }
  std::printf("%s: all checks passed\n", name);
  return 0;
}

// A broken invariant can show as a hang (a completion lost, a session never
// released that stop() waits for): after `seconds`, fail loudly instead of
// hanging the caller. why: what such a hang most likely means.
inline void watchdog(const char* name, int seconds, const char* why) {
  std::thread([name, seconds, why] {
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    std::fprintf(stderr, "%s: not finished after %d s (%s)\n", name, seconds, why);
    std::fflush(stdout);
    std::_Exit(1);
  }).detach();
}

}  // namespace check

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
      ++check::failures();                                                           \
    }                                                                                \
  } while (0)

#define CHECK_EQ(a, b) check::eq((a), (b), #a, #b, __FILE__, __LINE__)
