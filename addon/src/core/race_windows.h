// Race windows held open (schedule fuzzing), part of LanServerOptions::probes.
//
// A correct server closes each of its races with a re-check or a CAS a few
// nanoseconds after opening it: after finding its send queue empty, the
// sendFlag holder clears the flag and re-checks the queue (I4); after dropping
// the last count, a thread swaps 0 -> release flag with a CAS (I2). A server
// that forgot the re-check or the CAS is wrong only when another thread steps
// into those nanoseconds, which on a real machine happens about never, so no
// amount of traffic shows the bug. Likewise a release that hands its slot back
// before closing the socket and dropping the queues loses only when an accept
// takes the slot in those microseconds. With the windows held open, the thread
// about to close a window pauses now and then (a sleep, so the other threads
// run), and the other thread's step lands inside it within seconds: a stranded
// packet (strandedSend, lost echoes), a count raised on a released session
// (ioCountUnderflow, doubleRelease).
//
// A held send-flag window also gets the push it waits for: the holder queues a
// probe packet on its own session through the public sendPacket while it still
// holds the flag (exactly what another thread's push does there), and checks
// once the window is closed that nothing was left queued with the flag clear
// (LanServer::probeSendFlagWindow). On the recv/send path of an echo session
// the other pusher is usually the same worker, so without this the re-check is
// hardly ever needed and a server without it looks fine.
//
// Pausing is legal anywhere in a correct server, so a clean build passes with
// the windows held open; it only runs a little slower.
#pragma once

#include <cstdint>

namespace lanstress {

enum class RaceWindow : uint8_t {
  SendFlagClear,  // between "nothing left to send" and clearing sendFlag (I4)
  ReleaseSwap,    // between the last decrement and the 0 -> release flag swap (I2)
  ReleaseCleanup, // inside release, before the socket is closed and the queues dropped (I3, I5)
};

class RaceWindows {
 public:
  // Off unless a server running its probes turns it on (before any thread uses it).
  void enable() { on_ = true; }
  // Now and then (per window kind) sleeps the calling thread for a moment.
  // True when it did: the window is open for longer than usual.
  bool hold(RaceWindow w) const { return on_ && holdSometimes(w); }

 private:
  bool holdSometimes(RaceWindow w) const;
  bool on_ = false;
};

}  // namespace lanstress
