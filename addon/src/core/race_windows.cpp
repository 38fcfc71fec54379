#include "race_windows.h"

#include <chrono>
#include <thread>

namespace lanstress {
namespace {

// How often each window is held, and for how long (uniform in [min, max] µs).
// The send-flag window opens at every send completion that finds nothing left
// (~10^5/s under load): 1 in 512 keeps the pauses to about a tenth of one
// worker. A release swap happens once per session: held far more often.
struct Hold {
  uint32_t oneIn;
  uint32_t minUs;
  uint32_t maxUs;
};
constexpr Hold kHolds[] = {
    /* SendFlagClear */ {256, 20, 200},
    /* ReleaseSwap   */ {8, 20, 200},
    /* ReleaseCleanup */ {8, 50, 500},
};

// xorshift64*, one per thread: no shared state on the hot path.
uint64_t nextRandom() {
  thread_local uint64_t state = 0x9e3779b97f4a7c15ull ^ reinterpret_cast<uintptr_t>(&state);
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545f4914f6cdd1dull;
}

}  // namespace

bool RaceWindows::holdSometimes(RaceWindow w) const {
  const Hold& h = kHolds[static_cast<int>(w)];
  uint64_t r = nextRandom();
  if (r % h.oneIn != 0) return false;
  uint32_t us = h.minUs + static_cast<uint32_t>((r >> 32) % (h.maxUs - h.minUs + 1));
  std::this_thread::sleep_for(std::chrono::microseconds(us));
  return true;
}

}  // namespace lanstress
