// One connection, in the seed's vocabulary: socket, peer, recv ring, send
// queue, ioCount (with the release flag in the same atomic word) and sendFlag.
//
// INVARIANTS (kept by session_table.cpp and lan_server.cpp; each has a test
// that tries to break it, see test/addon/core/):
//  I1 ioCount: every posted recv, every posted send, and every thread that
//     touches the session from outside a completion (accept, sendPacket,
//     disconnect, broadcast) holds one count. Nothing touches a session's
//     queues, ring or socket without holding a count.
//  I2 release once: the thread whose decrement brings ioCount to 0 swaps the
//     word 0 -> kReleaseFlag; only the winner of that swap releases. Acquire by
//     id raises the count with a CAS only while the flag is clear, then checks
//     the id, so a released session is never used and never released twice,
//     and a flagged word never changes until the slot is reused.
//  I3 no I/O after release / close only at release: disconnect() only marks
//     the session (first reason wins) and shutdown()s the socket so pending
//     I/O completes; close(), freeing the queues and recycling the slot
//     happen in release, after the last completion. Every byte goes out
//     through the completion port: a protocol violation in echo mode defers
//     the mark (closeWhenSent) until the queue has drained, instead of writing
//     around the port.
//  I4 one send in flight: sendFlag is taken by exchange; its holder alone
//     touches sendPending/inflight/sendIov. Everything queued meanwhile goes
//     out in the next gathered send. After clearing sendFlag the holder
//     re-checks the queue, so a packet pushed by a thread that found the flag
//     taken is never stranded (the store and the loads are seq_cst: a
//     store-then-load on two different words needs it). The same re-check
//     after letting go makes a deferred disconnect (closeWhenSent) once
//     nothing is queued: a marker that found the flag taken leaves it to the
//     holder.
//  I5 ids: never reused (session_id.h). A slot's id stays readable after
//     release until the slot is reused; the release flag, not the id, is
//     what keeps a stale caller out.
#pragma once

#include <atomic>
#include <cstdint>

#include "ip_address.h"
#include "packet.h"
#include "platform.h"
#include "ring_buffer.h"

namespace lanstress {

enum class DisconnectReason : uint8_t {
  None = 0,
  PeerClosed,
  PeerReset,
  Protocol,
  SendQueueFull,
  Kicked,
  Stopping,
  IoError,
};
constexpr int kReasonCount = 7;  // without None
const char* reasonName(DisconnectReason r);

constexpr uint32_t kReleaseFlag = 0x80000000u;
constexpr uint32_t kCountMask = 0x7fffffffu;
// Packets per gathered send. 32 iovecs (512 bytes, in every session) is
// plenty: an echo's answer to one read is one packet in raw framing, and a
// send that leaves packets behind is followed by the next at once.
constexpr int kMaxSendIov = 32;

// What one queued packet costs beyond its wire bytes, charged against
// sendQueueLimit so the limit bounds real memory (an empty packet is 2 wire
// bytes but far more of the heap). Measured with glibc malloc on x86-64:
//   Packet block: sizeof(Packet) 16 + malloc header 8, rounded up to 16,
//                 minimum chunk 32                         <= 16 + 8 + 15 = 39
//   SendNode (on the MPSC stack, then in the send queue until its packet
//             has gone out): 16 + header, chunk            32
// = at most 71 on top of the wire bytes; 80 leaves room for arena slack.
constexpr int64_t kQueuedPacketOverhead = 80;

enum class SlotState : uint8_t { Free, Live, Released };

struct SendNode {
  SendNode* next;
  Packet* pkt;
};

class Session {
 public:
  // ---- identity: written while the slot is not live (see SessionTable::reserve/publish)
  std::atomic<uint64_t> id{0};
  uint32_t slot = 0;
  uint64_t generation = 0;  // owned by the table
  SocketHandle fd = kInvalidSocket;
  // 16 bytes for either family (ip_address.h); its text is made where it is shown, not kept per slot.
  IpAddress peerIp;
  uint16_t peerPort = 0;

  // ---- ioCount (low 31 bits) + release flag (bit 31): I1, I2
  std::atomic<uint32_t> ioState{kReleaseFlag};
  std::atomic<SlotState> slotState{SlotState::Free};
  std::atomic<uint8_t> reason{0};  // DisconnectReason; set once (first reason wins)
  // Steady-clock ms when the disconnect was marked (0 = not marked): the watch
  // thread's releaseStalled check (prober.h). Relaxed: a diagnostic timestamp.
  std::atomic<int64_t> disconnectMarkMs{0};

  // A disconnect deferred until everything queued has gone out (a DisconnectReason;
  // 0 = none): set by the recv worker on a protocol violation in echo mode, so
  // the answer to the valid packets before the bad header leaves through the
  // port like every send. Whoever lets go of sendFlag with the queue empty makes
  // the disconnect (I4). No recv is posted once it is set. A peer that does not
  // take its answer within kCloseWhenSentMaxMs is disconnected all the same
  // (the watch thread's sweep), so a bad header followed by never reading cannot
  // hold a session open.
  std::atomic<uint8_t> closeWhenSent{0};
  std::atomic<int64_t> closeWhenSentMs{0};  // steady-clock ms when it was set; relaxed, as disconnectMarkMs

  bool disconnecting() const { return reason.load(std::memory_order_acquire) != 0; }
  // Marks the session; true only for the first caller.
  bool markDisconnect(DisconnectReason r) {
    uint8_t none = 0;
    return reason.compare_exchange_strong(none, static_cast<uint8_t>(r), std::memory_order_acq_rel);
  }

  // ---- recv side: only the worker completing the single pending recv touches these
  RingBuffer recvRing;
  iovec recvIov[2];

  // ---- send side
  std::atomic<SendNode*> sendHead{nullptr};  // MPSC stack, pushed by anyone holding a count
  // Cost of what is queued or in flight: wire bytes + kQueuedPacketOverhead per packet (sendQueueLimit).
  std::atomic<int64_t> queuedBytes{0};
  std::atomic<uint32_t> sendFlag{0};         // I4

  // Queues p (taking a reference) unless it would push queuedBytes past limit.
  // A packet into an empty queue always fits: one whole packet of maxPayload
  // must go out whatever the limit (options check limit >= maxPayload + 2).
  bool enqueue(Packet* p, int64_t limit);
  static int64_t queuedCost(const Packet* p) { return static_cast<int64_t>(p->size()) + kQueuedPacketOverhead; }
  bool hasQueued() const { return sendHead.load(std::memory_order_seq_cst) != nullptr; }

  // ---- owned by the sendFlag holder (I4)
  // Moves everything pushed so far to the tail of the send queue, oldest first.
  void collectQueued();
  // Fills sendIov from the unsent rest of the queue's first packets (at most
  // kMaxSendIov): the send in flight. Returns the count.
  int buildSendIov();
  // Accounts n bytes written. Returns the packets fully sent and their bytes.
  void onSent(size_t n, uint64_t* packets, uint64_t* packetBytes);
  iovec sendIov[kMaxSendIov];

  // ---- release: frees every queued packet (no other thread holds a count)
  void dropSends();
  // What a released slot must look like before reuse (SessionTable::reserve's dirtySlot check).
  bool sendSideClean() const {
    return sendHead.load(std::memory_order_relaxed) == nullptr && queuedBytes.load(std::memory_order_relaxed) == 0 &&
           sendFlag.load(std::memory_order_relaxed) == 0 && queueHead == nullptr;
  }

 private:
  // The send queue, oldest first, linked through SendNode::next: its first
  // inflightCount packets are the send in flight (sendIov), the rest waits.
  // No container: an idle session holds no memory for it.
  SendNode* queueHead = nullptr;
  SendNode* queueTail = nullptr;
  int inflightCount = 0;
  size_t inflightOffset = 0;  // bytes of queueHead's packet already written
};

}  // namespace lanstress
