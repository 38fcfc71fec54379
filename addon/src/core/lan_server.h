// LanServer: the seed's CLanServer on a completion port. One accept thread,
// N worker threads blocked in CompletionPort::wait, a SessionTable, and the
// session logic (recv -> framing -> mode, gathered sends, disconnect, release).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cidr.h"
#include "completion_port.h"
#include "race_windows.h"
#include "framing.h"
#include "platform.h"
#include "prober.h"
#include "server_options.h"
#include "session_table.h"
#include "stats.h"

namespace lanstress {

// Hooks run on server threads (accept thread, workers, or whichever thread
// dropped the last count), never under a server lock. They must not block for
// long and must not call stop().
class LanServerHooks {
 public:
  virtual ~LanServerHooks() = default;
  // Behind the allow/deny lists: a last word on who may connect.
  virtual bool onConnectionRequest(const char* ip, uint16_t port) { (void)ip; (void)port; return true; }
  virtual void onAccept(uint64_t id, const char* ip, uint16_t port) { (void)id; (void)ip; (void)port; }
  virtual void onRelease(uint64_t id, DisconnectReason reason) { (void)id; (void)reason; }
  // Callback mode only. payload is valid during the call. A handler slower than
  // the network may block here until it has room (backpressure: the worker, and
  // so the sessions it serves, stop receiving and TCP pushes back on the peers);
  // it returns true when it did, counted in handlerWaits.
  virtual bool onRecv(uint64_t id, const uint8_t* payload, size_t len) { (void)id; (void)payload; (void)len; return false; }
  virtual void onError(const char* code, const std::string& message) { (void)code; (void)message; }
  // Informational (the backend chosen and why).
  virtual void onLog(const std::string& message) { (void)message; }
};

struct ListenInfo {
  std::string host;
  uint16_t port = 0;
  Backend backend = Backend::Epoll;
};

struct ServerError {
  std::string code;  // errno name: EADDRINUSE, EALREADY, EINVAL, ...
  std::string message;
};

class LanServer final : private SessionReleaser {
 public:
  explicit LanServer(LanServerHooks* hooks = nullptr);
  ~LanServer() override;
  LanServer(const LanServer&) = delete;
  LanServer& operator=(const LanServer&) = delete;

  // A LanServer starts once: ids are unique per instance (session_id.h), so a
  // restart would need a new instance. EALREADY when running, ESHUTDOWN after stop.
  bool start(const LanServerOptions& options, ListenInfo* info, ServerError* error);
  // Stops accepting, disconnects every session (reason stopping), waits for every
  // release, joins every thread. Idempotent. Not from a hook.
  void stop();
  bool running() const { return state_.load(std::memory_order_acquire) == State::Running; }

  // Queues one packet on the session: with a length-prefixed framing the length field
  // is added to `payload` (what follows it: extra header bytes, then the payload). False for a stale id
  // (counted), a body the framing cannot carry, a disconnecting session, or a full
  // send queue (which disconnects it).
  bool sendPacket(uint64_t id, const uint8_t* payload, size_t len);
  // Marks the session (reason kicked) and cancels its I/O; release follows the last completion.
  bool disconnect(uint64_t id);
  // The watch thread: a deferred disconnect (Session::closeWhenSent) whose answer
  // the peer has not taken within kCloseWhenSentMaxMs is made now. False when the
  // id is stale or nothing was deferred.
  bool expireCloseWhenSent(uint64_t id);

  uint64_t sessionCount() const { return static_cast<uint64_t>(sessions_.load(std::memory_order_relaxed)); }
  ServerStats stats() const;

 private:
  enum class State : uint8_t { Idle, Running, Stopping, Stopped };

  void adoptOptions(const LanServerOptions& options);
  void startThreads();
  void acceptLoop();
  void handleAccepted(SocketHandle fd, const IpAddress& ip, uint16_t port);
  void workerLoop(uint32_t index);

  void postRecv(Session* s);
  void onRecvComplete(Session* s, int64_t result);
  void onSendComplete(Session* s, int64_t result);
  void processInput(Session* s);
  bool handlePacket(Session* s, const uint8_t* payload, size_t len);
  void broadcast(Session* from, Packet* p);

  Packet* makePacket(const uint8_t* payload, size_t len) const;
  bool bodyFits(size_t len) const;
  bool queuePacket(Session* s, Packet* p);
  void trySend(Session* s);
  bool postNextSend(Session* s);
  bool pushIntoSendFlagWindow(Session* s);
  void checkSendFlagWindowClosed(Session* s);
  void disconnectIfDrained(Session* s);
  bool disconnectSession(Session* s, DisconnectReason reason);
  bool chance();

  void releaseSession(Session* s) override;
  void error(const char* code, const std::string& message);

  LanServerHooks* hooks_;
  LanServerHooks noHooks_;
  LanServerOptions opt_;
  AccessList access_;
  size_t ringCapacity_ = 0;

  std::mutex lifecycleMu_;
  std::atomic<State> state_{State::Idle};
  std::unique_ptr<CompletionPort> port_;
  RaceWindows raceWindows_;  // before table_: the table keeps a pointer to it
  std::atomic<uint32_t> windowProbeSeq_{0};  // probe packets pushed into held send-flag windows
  std::unique_ptr<SessionTable> table_;
  SocketHandle listenFd_ = kInvalidSocket;
  std::unique_ptr<platform::AcceptWaiter> acceptWaiter_;  // stop() wakes the accept thread through it
  std::thread acceptThread_;
  std::vector<std::thread> workers_;

  std::mutex releaseMu_;
  std::condition_variable releaseCv_;

  // Statistics: relaxed atomics, read together only by stats() (a snapshot, not a transaction).
  std::atomic<uint64_t> accepted_{0}, rejectedFull_{0}, rejectedDenied_{0}, released_{0};
  std::atomic<int64_t> sessions_{0};
  std::atomic<uint64_t> peakSessions_{0};
  std::atomic<uint64_t> recvPackets_{0}, recvBytes_{0}, sendPackets_{0}, sendBytes_{0};
  std::atomic<uint64_t> disconnects_[kReasonCount] = {};
  std::atomic<uint64_t> staleIdCalls_{0};
  // Packets made by this server and not yet freed (Packet::create): 0 once every session is released.
  mutable std::atomic<int64_t> livePackets_{0};
  std::atomic<uint64_t> handlerWaits_{0};

  // The watch thread (prober.h): its counters and the released ids it probes outlive it.
  WatchCounters watch_;
  ReleasedIds releasedIds_;
  std::unique_ptr<Prober> prober_;
};

}  // namespace lanstress
