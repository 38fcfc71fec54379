#include "lan_server.h"

#include <errno.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "errno_name.h"
#include "platform.h"

namespace lanstress {
namespace {

constexpr int64_t kQuit = 1;  // user completion value under key 0: a worker leaves its loop
constexpr int kBatch = 64;

// splitmix64: small, seedable, good enough for chaos decisions.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
};

// The chaos generator of the current server thread (accept or worker); null elsewhere.
thread_local Rng* tlsRng = nullptr;
// Reassembly scratch for packets that wrap around the ring, one per thread.
thread_local std::vector<uint8_t> tlsScratch;

// RST only where holding on is the problem (a reader too slow for sendQueueLimit,
// a broken socket). Everywhere else the FIN sent by disconnect's shutdown() ends
// the stream: a client whose connection is refused or kicked right after accept
// then sees its connect succeed and an orderly end, not a reset racing the handshake.
bool abortive(DisconnectReason r) {
  return r == DisconnectReason::SendQueueFull || r == DisconnectReason::IoError || r == DisconnectReason::PeerReset;
}

void bumpMax(std::atomic<uint64_t>& max, uint64_t v) {
  uint64_t cur = max.load(std::memory_order_relaxed);
  while (v > cur && !max.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

}  // namespace

LanServer::LanServer(LanServerHooks* hooks) : hooks_(hooks ? hooks : &noHooks_) {}

LanServer::~LanServer() {
  stop();
}

void LanServer::error(const char* code, const std::string& message) { hooks_->onError(code, message); }

namespace {

bool failWith(ServerError* err, const char* code, const std::string& msg) {
  if (err) *err = ServerError{code, msg};
  return false;
}

// A non-blocking listening socket on the options' host and port; kInvalidSocket (and err) when it cannot be had.
SocketHandle openListener(const LanServerOptions& o, sockaddr_storage* bound, ServerError* err) {
  IpAddress addr;
  resolveHost(o.host, &addr);
  sockaddr_storage sa{};
  int len = toSockaddr(addr, static_cast<uint16_t>(o.port), &sa);
  SocketHandle lfd = kInvalidSocket;
  const char* what = "listen";
  int e = platform::listenTcp(sa, len, static_cast<int>(o.backlog), &lfd, bound, &what);
  if (e != 0) {
    std::string where = std::string(what) == "listen" ? "listen " + addr.textWithPort(static_cast<uint16_t>(o.port)) : what;
    failWith(err, errnoName(e), where + ": " + platform::errorText(e));
    return kInvalidSocket;
  }
  return lfd;
}

}  // namespace

bool LanServer::start(const LanServerOptions& options, ListenInfo* info, ServerError* err) {
  std::lock_guard<std::mutex> lock(lifecycleMu_);
  State st = state_.load(std::memory_order_acquire);
  if (st == State::Running) return failWith(err, "EALREADY", "the server is already running");
  if (st != State::Idle) return failWith(err, "ESHUTDOWN", "the server was stopped; create a new LanServer");
  std::vector<OptionProblem> problems = validateOptions(options);
  if (!problems.empty()) {
    std::string msg;
    for (const OptionProblem& pr : problems) msg += (msg.empty() ? "" : "; ") + pr.field + " " + pr.message;
    return failWith(err, "EINVAL", msg);
  }
  adoptOptions(options);

  std::string netWhy;
  if (!platform::netStartup(&netWhy)) return failWith(err, "ENOSYS", netWhy);
  sockaddr_storage bound{};
  SocketHandle lfd = openListener(opt_, &bound, err);
  if (lfd == kInvalidSocket) return false;
  std::string log, perr;
  std::unique_ptr<CompletionPort> port = createCompletionPort(opt_.backend, opt_.maxSessions, opt_.workers, &log, &perr,
                                                                 opt_.uringBuffers);
  if (!port) {
    platform::closeSocket(lfd);
    bool missing = opt_.backend == Backend::IoUring || opt_.backend == Backend::Iocp;
    return failWith(err, missing ? "ENOSYS" : "EIO", "completion port: " + perr);
  }
  int we = 0;
  std::unique_ptr<platform::AcceptWaiter> waiter = platform::createAcceptWaiter(&we);
  if (!waiter) {
    platform::closeSocket(lfd);
    return failWith(err, errnoName(we), "accept waiter: " + platform::errorText(we));
  }
  hooks_->onLog(log);

  port_ = std::move(port);
  listenFd_ = lfd;
  acceptWaiter_ = std::move(waiter);
  startThreads();
  if (info) {
    IpAddress ip;
    uint16_t boundPort = 0;
    fromSockaddr(bound, &ip, &boundPort);
    info->host = ip.text();
    info->port = boundPort;
    info->backend = port_->backend();
  }
  return true;
}

// Options already validated: the CIDR lists parse.
void LanServer::adoptOptions(const LanServerOptions& options) {
  opt_ = options;
  access_ = AccessList{};
  Cidr c;
  for (const std::string& s : opt_.allow) {
    parseCidr(s, &c);
    access_.allow.push_back(c);
  }
  for (const std::string& s : opt_.deny) {
    parseCidr(s, &c);
    access_.deny.push_back(c);
  }
  // No payload can be longer than the framing's length field can say (a 1-byte length: 255).
  if (!opt_.framing.isRaw() && opt_.maxPayload > opt_.framing.maxPayload()) {
    opt_.maxPayload = static_cast<uint32_t>(opt_.framing.maxPayload());
  }
  ringCapacity_ = minRingCapacity(opt_.framing, opt_.maxPayload);
}

// The table, then the workers, the accept thread and the watch thread: running from here on.
void LanServer::startThreads() {
  if (opt_.probes) raceWindows_.enable();
  // The table lends each slot its receive ring: resident only once data arrives (ring_buffer.h).
  table_.reset(new SessionTable(opt_.maxSessions, this, SessionId::kMaxGeneration, &raceWindows_, ringCapacity_));
  state_.store(State::Running, std::memory_order_release);
  for (uint32_t i = 0; i < opt_.workers; ++i) workers_.emplace_back(&LanServer::workerLoop, this, i + 1);
  acceptThread_ = std::thread(&LanServer::acceptLoop, this);
  ProberConfig pc;
  pc.probes = opt_.probes;
  // Probe packets only where the client is an echo client that knows them: a
  // raw stream has no frames to tell a probe from an echo by.
  pc.sendProbePackets = opt_.mode == Mode::Echo && !opt_.framing.isRaw();
  pc.probeHeaderBytes = opt_.framing.extraBytes;
  // An echo delay holds a queued echo unsent for that long on purpose.
  pc.strandedMs = kStrandedMs + static_cast<int64_t>(opt_.echoDelayUs / 1000);
  pc.seed = opt_.seed;
  prober_.reset(new Prober(*this, *table_, releasedIds_, watch_, pc));
}

void LanServer::stop() {
  std::lock_guard<std::mutex> lock(lifecycleMu_);
  if (state_.load(std::memory_order_acquire) != State::Running) return;
  state_.store(State::Stopping, std::memory_order_release);

  // 0. The watch thread goes first: its probes and sweep never race the teardown.
  prober_->stop();

  // 1. No new sessions.
  acceptWaiter_->wake();
  acceptThread_.join();
  platform::closeSocket(listenFd_);
  listenFd_ = kInvalidSocket;

  // 2. Every live session is marked and its I/O cancelled; release follows its last completion.
  table_->forEachLive([this](Session& s) { disconnectSession(&s, DisconnectReason::Stopping); });

  // 3. Wait for every release (workers keep completing the cancelled I/O).
  {
    std::unique_lock<std::mutex> lk(releaseMu_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    bool warned = false;
    while (sessions_.load(std::memory_order_acquire) != 0) {
      releaseCv_.wait_for(lk, std::chrono::milliseconds(50));
      if (!warned && std::chrono::steady_clock::now() > deadline) {
        warned = true;
        lk.unlock();
        error("ETIMEDOUT", "stop: " + std::to_string(sessions_.load()) + " sessions still not released after 5 s");
        lk.lock();
      }
    }
  }

  // 4. Workers leave; nothing can reach the port any more (every slot carries the release flag).
  for (size_t i = 0; i < workers_.size(); ++i) port_->postUser(0, kQuit);
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  port_.reset();
  acceptWaiter_.reset();
  state_.store(State::Stopped, std::memory_order_release);
}

// ---------------------------------------------------------------- accept

void LanServer::acceptLoop() {
  Rng rng{opt_.seed * 0x100000001b3ull};
  tlsRng = &rng;
  // The seed's accept thread (not AcceptEx): one loop for every backend,
  // the access lists and maxSessions checked before a slot is taken.
  for (;;) {
    int werr = 0;
    platform::AcceptWaiter::Result r = acceptWaiter_->wait(listenFd_, &werr);
    if (r == platform::AcceptWaiter::Result::Woken) break;
    if (r == platform::AcceptWaiter::Result::Error) {
      error(errnoName(werr), "poll(listen): " + platform::errorText(werr));
      break;
    }
    for (;;) {
      sockaddr_storage peer{};
      SocketHandle fd = kInvalidSocket;
      int e = platform::acceptOne(listenFd_, &fd, &peer);
      if (e == EAGAIN) break;
      if (e != 0) {
        error(errnoName(e), "accept: " + platform::errorText(e));
        // EMFILE and friends: back off instead of spinning on a listen queue we cannot drain.
        acceptWaiter_->sleep(50);
        break;
      }
      IpAddress ip;
      uint16_t port = 0;
      fromSockaddr(peer, &ip, &port);
      handleAccepted(fd, ip, port);
    }
  }
  tlsRng = nullptr;
}

void LanServer::handleAccepted(SocketHandle fd, const IpAddress& ip, uint16_t port) {
  // The peer's text for the hooks only: the slot keeps the 16 address bytes.
  const std::string text = ip.text();
  if (!access_.permits(ip) || !hooks_->onConnectionRequest(text.c_str(), port)) {
    rejectedDenied_.fetch_add(1, std::memory_order_relaxed);
    platform::closeSocket(fd);
    return;
  }
  SessionTable& table = *table_;
  Session* s = table.reserve();
  if (!s) {
    rejectedFull_.fetch_add(1, std::memory_order_relaxed);
    platform::closeSocket(fd);
    return;
  }
#ifdef LANSTRESS_FAULT_PUBLISH_BEFORE_FILL
  table.publish(s);  // fault: the id is live before the socket and peer are stored in the slot
#endif
  platform::setNoDelay(fd);
  if (opt_.zeroSendBuffer) platform::setSendBuffer(fd, 0);
  else if (opt_.sendBuffer > 0) platform::setSendBuffer(fd, static_cast<int>(opt_.sendBuffer));
  s->fd = fd;
  s->peerIp = ip;
  s->peerPort = port;
  s->reason.store(0, std::memory_order_relaxed);
  s->disconnectMarkMs.store(0, std::memory_order_relaxed);
  s->closeWhenSent.store(0, std::memory_order_relaxed);
  s->closeWhenSentMs.store(0, std::memory_order_relaxed);
  // The id publish() will give it (reserve() has moved the slot to its new generation).
  uint64_t id = SessionId::make(s->slot, s->generation);
  // Associated before it is published: once live, any thread (the prober, a
  // broadcast, a kick) may post a send for it, and the port must know the
  // socket by then (IOCP refused such a send with EBADF under chaos).
  int rc = port_->associate(fd, id);
#ifndef LANSTRESS_FAULT_PUBLISH_BEFORE_FILL
  table.publish(s);  // live, with the accept thread's count held (I1)
#endif

  accepted_.fetch_add(1, std::memory_order_relaxed);
  bumpMax(peakSessions_, static_cast<uint64_t>(sessions_.fetch_add(1, std::memory_order_relaxed) + 1));

  if (rc != 0) {
    error(errnoName(-rc), "associate: " + platform::errorText(-rc));
    disconnectSession(s, DisconnectReason::IoError);
  }
  hooks_->onAccept(id, text.c_str(), port);
  if (opt_.kick > 0 && chance()) disconnectSession(s, DisconnectReason::Kicked);
#ifdef LANSTRESS_FAULT_ACCEPT_NO_COUNT
  table.decRef(s);  // fault: the accept thread lets go before the first recv holds a count
  postRecv(s);
#else
  postRecv(s);
  table.decRef(s);
#endif
}

// ---------------------------------------------------------------- workers

void LanServer::workerLoop(uint32_t index) {
  Rng rng{opt_.seed * 0x100000001b3ull + index * 0x9e3779b97f4a7c15ull};
  tlsRng = &rng;
  SessionTable& table = *table_;
  Completion cs[kBatch];
  bool quit = false;
  while (!quit) {
    int n = port_->wait(cs, kBatch, -1);
    if (n < 0) {
      error(errnoName(-n), "completion port wait: " + platform::errorText(-n));
      continue;
    }
    for (int i = 0; i < n; ++i) {
      const Completion& c = cs[i];
      if (c.op == OpType::User) {
        if (c.key == 0 && c.result == kQuit) quit = true;
        continue;
      }
      uint32_t slot = SessionId::slot(c.key);
      if (slot >= table.capacity() || table.at(slot).id.load(std::memory_order_acquire) != c.key ||
          table.at(slot).slotState.load(std::memory_order_acquire) != SlotState::Live) {
        // A completion for a session that is gone: it was released with this I/O pending.
        table.anomalies.releaseWithPendingIo.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      Session* s = &table.at(slot);
      if (c.op == OpType::Recv) onRecvComplete(s, c.result);
      else onSendComplete(s, c.result);
    }
  }
  tlsRng = nullptr;
}

bool LanServer::chance() {
  return tlsRng && tlsRng->unit() < opt_.kick;
}

// ---------------------------------------------------------------- recv

void LanServer::postRecv(Session* s) {
  // I3: nothing new is posted once the session is marked (or to be marked once its answers are out).
  if (s->disconnecting() || s->closeWhenSent.load(std::memory_order_relaxed) != 0) return;
  int cnt = s->recvRing.writableIov(s->recvIov);
  if (cnt == 0) {
    // Cannot happen when length-prefixed (the ring holds a whole maximal packet); raw drains every time.
    disconnectSession(s, DisconnectReason::Protocol);
    return;
  }
  table_->addRef(s);
  int rc = port_->postRecv(s->fd, s->id.load(std::memory_order_relaxed), s->recvIov, cnt);
  if (rc != 0) {
    error(errnoName(-rc), "post recv: " + platform::errorText(-rc));
    disconnectSession(s, DisconnectReason::IoError);
    table_->decRef(s);  // the caller still holds a count: never the last one
  }
}

void LanServer::onRecvComplete(Session* s, int64_t result) {
  if (result > 0) {
    s->recvRing.commit(static_cast<size_t>(result));
    recvBytes_.fetch_add(static_cast<uint64_t>(result), std::memory_order_relaxed);
    processInput(s);
    postRecv(s);
  } else if (result == 0) {
    disconnectSession(s, DisconnectReason::PeerClosed);
  } else if (result == -ECONNRESET) {
    disconnectSession(s, DisconnectReason::PeerReset);
  } else {
    // Named, so an ioError in the stats comes with the errno that made it
    // (not the cancellations our own disconnect causes).
    if (!s->disconnecting()) error(errnoName(static_cast<int>(-result)), "recv: " + platform::errorText(static_cast<int>(-result)));
    disconnectSession(s, DisconnectReason::IoError);
  }
#ifdef LANSTRESS_FAULT_RELEASE_WITH_PENDING_SEND
  // Fault: treat "the peer is gone" as "release now", ignoring a send still in flight.
  if (result <= 0 && s->sendFlag.load(std::memory_order_acquire) != 0) releaseSession(s);
#endif
  table_->decRef(s);
}

void LanServer::processInput(Session* s) {
  DrainResult r;
  if (opt_.framing.isRaw()) {
    r = drainRaw(s->recvRing, tlsScratch, [&](const uint8_t* p, size_t len) { return handlePacket(s, p, len); });
  } else {
    r = drainFrames(s->recvRing, opt_.framing, opt_.maxPayload, tlsScratch,
                 [&](const uint8_t* p, size_t len) { return handlePacket(s, p, len); });
    if (r.violation) {
      // What came before the bad header was valid: in echo mode its answer,
      // queued above, goes out first (session.h, closeWhenSent).
      if (opt_.mode == Mode::Echo) {
        s->closeWhenSentMs.store(steadyNowMs(), std::memory_order_relaxed);
        s->closeWhenSent.store(static_cast<uint8_t>(DisconnectReason::Protocol), std::memory_order_seq_cst);
      } else {
        disconnectSession(s, DisconnectReason::Protocol);
      }
    }
  }
  recvPackets_.fetch_add(r.packets, std::memory_order_relaxed);
  // echo queued everything it produced in this read; one gathered send takes it all (I4).
  if (opt_.mode == Mode::Echo) trySend(s);
}

bool LanServer::handlePacket(Session* s, const uint8_t* payload, size_t len) {
  if (opt_.kick > 0 && chance()) {
    disconnectSession(s, DisconnectReason::Kicked);
    return false;
  }
  switch (opt_.mode) {
    case Mode::Echo: {
      if (opt_.echoDelayUs) std::this_thread::sleep_for(std::chrono::microseconds(opt_.echoDelayUs));
      if (opt_.framing.isRaw() && len == 0) break;
      PacketRef p(makePacket(payload, len));
      if (!s->enqueue(p.get(), static_cast<int64_t>(opt_.sendQueueLimit))) {
        disconnectSession(s, DisconnectReason::SendQueueFull);
        return false;
      }
      break;
    }
    case Mode::Broadcast: {
      PacketRef p(makePacket(payload, len));
      broadcast(s, p.get());
      break;
    }
    case Mode::Callback:
      if (hooks_->onRecv(s->id.load(std::memory_order_relaxed), payload, len)) {
        handlerWaits_.fetch_add(1, std::memory_order_relaxed);
      }
      break;
  }
  return !s->disconnecting();
}

void LanServer::broadcast(Session* from, Packet* p) {
  uint32_t first = 0, last = UINT32_MAX;
  if (opt_.room > 0) {
    first = from->slot / opt_.room * opt_.room;
    last = first + opt_.room;
  }
  // Races sendPacket against release on every other session of the room: the
  // acquire protocol (I2) is what makes a session released meanwhile a no-op.
  table_->forEachLive(
      [this, p](Session& t) {
        if (!t.disconnecting()) queuePacket(&t, p);
      },
      first, last);
}

// ---------------------------------------------------------------- send

Packet* LanServer::makePacket(const uint8_t* payload, size_t len) const {
  return opt_.framing.isRaw() ? Packet::raw(payload, len, &livePackets_) : Packet::framed(opt_.framing, payload, len, &livePackets_);
}

// What sendPacket may frame: raw sends any non-empty chunk; a length-prefixed
// body holds the extra header bytes and a payload the length field can announce.
bool LanServer::bodyFits(size_t len) const {
  const Framing& f = opt_.framing;
  if (f.isRaw()) return len > 0;
  return len >= f.extraBytes && len - f.extraBytes <= std::min<uint64_t>(f.maxPayload(), kLanMaxPayload);
}

bool LanServer::sendPacket(uint64_t id, const uint8_t* payload, size_t len) {
  SessionTable* table = table_.get();
  Session* s = table ? table->acquire(id) : nullptr;
  if (!s) {
    staleIdCalls_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  bool ok = false;
  if (!s->disconnecting() && bodyFits(len)) {
    PacketRef p(makePacket(payload, len));
    ok = queuePacket(s, p.get());
  }
  table->decRef(s);
  return ok;
}

bool LanServer::queuePacket(Session* s, Packet* p) {
  if (!s->enqueue(p, static_cast<int64_t>(opt_.sendQueueLimit))) {
    // A slow reader made us hold more than sendQueueLimit: it goes, memory stays bounded.
    disconnectSession(s, DisconnectReason::SendQueueFull);
    return false;
  }
  trySend(s);
  return true;
}

void LanServer::trySend(Session* s) {
  for (;;) {
    // I4: one send in flight. seq_cst pairs with the queue push in Session::enqueue.
    // A holder (or the send it posted) lets go later and re-checks for us.
    if (s->sendFlag.exchange(1, std::memory_order_seq_cst) != 0) return;
    if (postNextSend(s)) return;
    raceWindows_.hold(RaceWindow::SendFlagClear);
    s->sendFlag.store(0, std::memory_order_seq_cst);
#ifdef LANSTRESS_FAULT_NO_SENDFLAG_RECHECK
    break;
#else
    // A packet pushed after our collect, by a thread that saw the flag taken,
    // would wait forever: take the flag again for it.
    if (!s->hasQueued() || s->disconnecting()) break;
#endif
  }
  disconnectIfDrained(s);
}

// Makes a deferred disconnect (Session::closeWhenSent) once nothing is queued
// and no send is in flight. Called after letting go of sendFlag: if a packet
// was pushed or the flag taken meanwhile, that pusher or holder lets go later
// and calls this again. Caller holds a count.
bool LanServer::expireCloseWhenSent(uint64_t id) {
  SessionTable* table = table_.get();
  Session* s = table ? table->acquire(id) : nullptr;
  if (!s) return false;
  uint8_t reason = s->closeWhenSent.load(std::memory_order_seq_cst);
  bool marked = reason != 0 && disconnectSession(s, static_cast<DisconnectReason>(reason));
  table->decRef(s);
  return marked;
}

void LanServer::disconnectIfDrained(Session* s) {
  uint8_t reason = s->closeWhenSent.load(std::memory_order_seq_cst);
  if (reason == 0 || s->hasQueued() || s->sendFlag.load(std::memory_order_seq_cst) != 0) return;
  disconnectSession(s, static_cast<DisconnectReason>(reason));
}

// Race windows (race_windows.h): while this thread still holds sendFlag after
// finding nothing to send, a probe packet is queued on the session through the
// public sendPacket, as another thread's push would be. True when one was.
bool LanServer::pushIntoSendFlagWindow(Session* s) {
  if (opt_.mode != Mode::Echo || opt_.framing.isRaw() || s->disconnecting()) return false;
  uint8_t payload[kProbeMaxBody];
  uint32_t n = windowProbeSeq_.fetch_add(1, std::memory_order_relaxed);
  uint64_t id = s->id.load(std::memory_order_relaxed);
  size_t len = buildProbeBody(payload, opt_.framing.extraBytes, n, id);
  watch_.probeCalls.fetch_add(1, std::memory_order_relaxed);
  return sendPacket(id, payload, len);
}

// Once the window is closed (flag cleared and, on a correct server, re-checked),
// the probe packet must be on its way: still queued with nobody holding the flag,
// and unchanged a moment later, it is stranded (I4).
void LanServer::checkSendFlagWindowClosed(Session* s) {
  const SendNode* head = s->sendHead.load(std::memory_order_seq_cst);
  if (head == nullptr || s->sendFlag.load(std::memory_order_seq_cst) != 0) return;
  // Another thread may be between its push and its own exchange of the flag: give it a moment.
  std::this_thread::sleep_for(std::chrono::microseconds(100));
  if (s->disconnecting() || s->sendHead.load(std::memory_order_seq_cst) != head ||
      s->sendFlag.load(std::memory_order_seq_cst) != 0) {
    return;
  }
  watch_.strandedSend.fetch_add(1, std::memory_order_relaxed);
}

// Caller holds sendFlag. True when a send is now in flight (or the session
// failed and the flag must stay taken); false when there is nothing to send.
bool LanServer::postNextSend(Session* s) {
  if (s->disconnecting()) return false;
  s->collectQueued();
  int cnt = s->buildSendIov();
  if (cnt == 0) return false;
  table_->addRef(s);
  int rc = port_->postSend(s->fd, s->id.load(std::memory_order_relaxed), s->sendIov, cnt);
  if (rc != 0) {
    error(errnoName(-rc), "post send: " + platform::errorText(-rc));
    disconnectSession(s, DisconnectReason::IoError);
    table_->decRef(s);  // the caller holds a count: never the last one
  }
  return true;
}

void LanServer::onSendComplete(Session* s, int64_t result) {
  if (result < 0) {
    // The flag stays taken: the session is going, nothing more is sent.
    bool reset = result == -ECONNRESET || result == -EPIPE;
    if (!reset && !s->disconnecting()) error(errnoName(static_cast<int>(-result)), "send: " + platform::errorText(static_cast<int>(-result)));
    disconnectSession(s, reset ? DisconnectReason::PeerReset : DisconnectReason::IoError);
    table_->decRef(s);
#ifdef LANSTRESS_FAULT_SEND_ERROR_DOUBLE_DECREF
    table_->decRef(s);  // fault: the failed send's count is dropped twice
#endif
    return;
  }
  uint64_t packets = 0, bytes = 0;
  s->onSent(static_cast<size_t>(result), &packets, &bytes);
  sendPackets_.fetch_add(packets, std::memory_order_relaxed);
  sendBytes_.fetch_add(static_cast<uint64_t>(result), std::memory_order_relaxed);
  // A short write re-posts the rest; otherwise whatever queued meanwhile leaves in one gathered send.
  if (!postNextSend(s)) {
    bool probed = raceWindows_.hold(RaceWindow::SendFlagClear) && pushIntoSendFlagWindow(s);
    s->sendFlag.store(0, std::memory_order_seq_cst);
#ifndef LANSTRESS_FAULT_NO_SENDFLAG_RECHECK
    if (s->hasQueued() && !s->disconnecting()) trySend(s);
#endif
    disconnectIfDrained(s);
    if (probed) checkSendFlagWindowClosed(s);
  }
  table_->decRef(s);
}

// ---------------------------------------------------------------- disconnect / release

bool LanServer::disconnect(uint64_t id) {
  SessionTable* table = table_.get();
  Session* s = table ? table->acquire(id) : nullptr;
  if (!s) {
    staleIdCalls_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  bool marked = disconnectSession(s, DisconnectReason::Kicked);
  table->decRef(s);
  return marked;
}

// Caller holds a count. I3: mark once, cancel I/O, never close here.
bool LanServer::disconnectSession(Session* s, DisconnectReason reason) {
  if (!s->markDisconnect(reason)) return false;
  s->disconnectMarkMs.store(steadyNowMs(), std::memory_order_relaxed);
  // Pending recv completes with 0, pending send with EPIPE (IOCP: both with
  // ECANCELED, through cancelIo): the completions drain the count, and the
  // last one releases.
#if defined(LANSTRESS_FAULT_KICK_CLOSES_SOCKET)
  platform::closeSocket(s->fd);  // fault: the socket is closed while I/O is pending (I3: close only at release)
#elif !defined(LANSTRESS_FAULT_SKIP_SHUTDOWN_ON_DISCONNECT)
  platform::shutdownBoth(s->fd);
  port_->cancelIo(s->fd, s->id.load(std::memory_order_relaxed));
#endif
  return true;
}

void LanServer::releaseSession(Session* s) {
  SessionTable& table = *table_;
  if (!table.beginRelease(s)) return;
  uint64_t id = s->id.load(std::memory_order_relaxed);
  if (opt_.probes) releasedIds_.record(id);
  if (port_->hasPendingIo(id)) table.anomalies.releaseWithPendingIo.fetch_add(1, std::memory_order_relaxed);
  auto reason = static_cast<DisconnectReason>(s->reason.load(std::memory_order_acquire));
  if (reason == DisconnectReason::None) {
    error("EINVAL", "released without a disconnect reason");
    reason = DisconnectReason::IoError;
  }
  port_->dissociate(s->fd, id);
#ifdef LANSTRESS_FAULT_RECYCLE_BEFORE_CLOSE
  table.recycle(s);  // fault: the slot is free again before its socket is closed and its queues dropped
#endif
  raceWindows_.hold(RaceWindow::ReleaseCleanup);
  if (abortive(reason)) platform::abortiveClose(s->fd);
  else platform::closeSocket(s->fd);
  s->fd = kInvalidSocket;
  s->dropSends();
  s->recvRing.discard();

  disconnects_[static_cast<int>(reason) - 1].fetch_add(1, std::memory_order_relaxed);
  released_.fetch_add(1, std::memory_order_relaxed);
  hooks_->onRelease(id, reason);
#ifndef LANSTRESS_FAULT_RECYCLE_BEFORE_CLOSE
  table.recycle(s);
#endif
  // release: stop() reads sessions_ == 0 as "every release is done".
  if (sessions_.fetch_sub(1, std::memory_order_release) == 1 &&
      state_.load(std::memory_order_acquire) == State::Stopping) {
    std::lock_guard<std::mutex> lk(releaseMu_);
    releaseCv_.notify_all();
  }
}

ServerStats LanServer::stats() const {
  ServerStats st;
  st.accepted = accepted_.load(std::memory_order_relaxed);
  st.rejectedFull = rejectedFull_.load(std::memory_order_relaxed);
  st.rejectedDenied = rejectedDenied_.load(std::memory_order_relaxed);
  st.released = released_.load(std::memory_order_relaxed);
  // acquire pairs with releaseSession's decrement: sessions == 0 here means every
  // release, and the packets it freed, happened before the livePackets read below.
  int64_t live = sessions_.load(std::memory_order_acquire);
  st.sessions = live > 0 ? static_cast<uint64_t>(live) : 0;
  int64_t packets = livePackets_.load(std::memory_order_relaxed);
  st.livePackets = packets > 0 ? static_cast<uint64_t>(packets) : 0;
  st.handlerWaits = handlerWaits_.load(std::memory_order_relaxed);
  st.peakSessions = peakSessions_.load(std::memory_order_relaxed);
  st.recvPackets = recvPackets_.load(std::memory_order_relaxed);
  st.recvBytes = recvBytes_.load(std::memory_order_relaxed);
  st.sendPackets = sendPackets_.load(std::memory_order_relaxed);
  st.sendBytes = sendBytes_.load(std::memory_order_relaxed);
  for (int i = 0; i < kReasonCount; ++i) st.disconnects[i] = disconnects_[i].load(std::memory_order_relaxed);
  st.staleIdCalls = staleIdCalls_.load(std::memory_order_relaxed);
  st.probeCalls = watch_.probeCalls.load(std::memory_order_relaxed);
  st.staleIdAccepted = watch_.staleIdAccepted.load(std::memory_order_relaxed);
  st.strandedSend = watch_.strandedSend.load(std::memory_order_relaxed);
  st.releaseStalled = watch_.releaseStalled.load(std::memory_order_relaxed);
  const SessionTable* table = table_.get();
  if (!table) return st;
  st.doubleRelease = table->anomalies.doubleRelease.load(std::memory_order_relaxed);
  st.ioCountUnderflow = table->anomalies.ioCountUnderflow.load(std::memory_order_relaxed);
  st.releaseWithPendingIo = table->anomalies.releaseWithPendingIo.load(std::memory_order_relaxed);
  st.dirtySlot = table->anomalies.dirtySlot.load(std::memory_order_relaxed);
  st.freeSlots = table->freeSlots();
  tallySlots(*table, &st);
  return st;
}

}  // namespace lanstress
