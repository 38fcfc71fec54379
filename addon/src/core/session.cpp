#include "session.h"

namespace lanstress {

const char* reasonName(DisconnectReason r) {
  switch (r) {
    case DisconnectReason::None: return "none";
    case DisconnectReason::PeerClosed: return "peerClosed";
    case DisconnectReason::PeerReset: return "peerReset";
    case DisconnectReason::Protocol: return "protocol";
    case DisconnectReason::SendQueueFull: return "sendQueueFull";
    case DisconnectReason::Kicked: return "kicked";
    case DisconnectReason::Stopping: return "stopping";
    case DisconnectReason::IoError: return "ioError";
  }
  return "?";
}

bool Session::enqueue(Packet* p, int64_t limit) {
  int64_t cost = queuedCost(p);
  // relaxed: the counter is a budget, not a publication; the stack push below publishes the packet.
  int64_t before = queuedBytes.fetch_add(cost, std::memory_order_relaxed);
#ifdef LANSTRESS_FAULT_NO_SEND_QUEUE_LIMIT
  if (false && before + cost > limit) {  // fault: the limit is never enforced
#else
  if (before > 0 && before + cost > limit) {
#endif
    queuedBytes.fetch_sub(cost, std::memory_order_relaxed);
    return false;
  }
  p->addRef();
  SendNode* node = new SendNode{nullptr, p};
  SendNode* head = sendHead.load(std::memory_order_relaxed);
  do {
    node->next = head;
    // seq_cst: pairs with the sendFlag re-check (I4).
  } while (!sendHead.compare_exchange_weak(head, node, std::memory_order_seq_cst, std::memory_order_relaxed));
  return true;
}

void Session::collectQueued() {
  SendNode* list = sendHead.exchange(nullptr, std::memory_order_acquire);
  if (!list) return;
  // The stack is newest first; reverse it to keep send order.
  SendNode* reversed = nullptr;
  SendNode* last = list;  // the oldest, once reversed: the new tail
#ifdef LANSTRESS_FAULT_COLLECT_LIFO
  reversed = list;  // fault: sent newest first
  while (last->next) last = last->next;
  list = nullptr;
#endif
  while (list) {
    SendNode* next = list->next;
    list->next = reversed;
    reversed = list;
    list = next;
  }
  if (queueTail) queueTail->next = reversed;
  else queueHead = reversed;
  queueTail = last;
}

int Session::buildSendIov() {
  int cnt = 0;
  size_t offset = inflightOffset;
  for (SendNode* n = queueHead; n && cnt < kMaxSendIov; n = n->next) {
    sendIov[cnt].iov_base = n->pkt->data() + offset;
    sendIov[cnt].iov_len = n->pkt->size() - offset;
    offset = 0;
    ++cnt;
  }
  inflightCount = cnt;
  return cnt;
}

void Session::onSent(size_t n, uint64_t* packets, uint64_t* packetBytes) {
  *packets = 0;
  *packetBytes = 0;
  while (inflightCount > 0) {
    Packet* p = queueHead->pkt;
    size_t rest = p->size() - inflightOffset;
    if (n < rest) {
#ifdef LANSTRESS_FAULT_SHORT_WRITE_COUNTED_SENT
      n = rest;  // fault: the partly written packet counts as sent; its rest is never written
#else
      inflightOffset += n;
      break;
#endif
    }
    n -= rest;
    inflightOffset = 0;
    SendNode* done = queueHead;
    queueHead = done->next;
    if (!queueHead) queueTail = nullptr;
    --inflightCount;
    delete done;
    ++*packets;
    *packetBytes += p->size();
    queuedBytes.fetch_sub(queuedCost(p), std::memory_order_relaxed);
    p->unref();
  }
  inflightCount = 0;  // what is left goes out in the next gathered send
}

void Session::dropSends() {
  collectQueued();
#ifdef LANSTRESS_FAULT_LEAK_SEND_QUEUE
  int inflight = inflightCount;
#endif
  while (queueHead) {
    SendNode* n = queueHead;
    queueHead = n->next;
#ifdef LANSTRESS_FAULT_LEAK_SEND_QUEUE
    if (inflight-- > 0)  // fault: the packets waiting behind the send in flight are forgotten
#endif
      n->pkt->unref();
    delete n;
  }
  queueTail = nullptr;
  inflightCount = 0;
  inflightOffset = 0;
#ifndef LANSTRESS_FAULT_RELEASE_KEEPS_QUEUED_BYTES
  queuedBytes.store(0, std::memory_order_relaxed);
#endif
  sendFlag.store(0, std::memory_order_relaxed);
}

}  // namespace lanstress
