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
  // The stack is newest first; reverse it to keep send order.
  SendNode* reversed = nullptr;
#ifdef LANSTRESS_FAULT_COLLECT_LIFO
  reversed = list;  // fault: sent newest first
  list = nullptr;
#endif
  while (list) {
    SendNode* next = list->next;
    list->next = reversed;
    reversed = list;
    list = next;
  }
  while (reversed) {
    SendNode* next = reversed->next;
    sendPending.push_back(reversed->pkt);
    delete reversed;
    reversed = next;
  }
}

int Session::buildSendIov() {
  while (inflight.size() < static_cast<size_t>(kMaxSendIov) && !sendPending.empty()) {
    inflight.push_back(sendPending.front());
    sendPending.pop_front();
  }
  int cnt = 0;
  size_t offset = inflightOffset;
  for (Packet* p : inflight) {
    sendIov[cnt].iov_base = p->data() + offset;
    sendIov[cnt].iov_len = p->size() - offset;
    offset = 0;
    ++cnt;
  }
  return cnt;
}

void Session::onSent(size_t n, uint64_t* packets, uint64_t* packetBytes) {
  *packets = 0;
  *packetBytes = 0;
  while (!inflight.empty()) {
    Packet* p = inflight.front();
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
    inflight.pop_front();
    ++*packets;
    *packetBytes += p->size();
    queuedBytes.fetch_sub(queuedCost(p), std::memory_order_relaxed);
    p->unref();
  }
}

void Session::dropSends() {
  collectQueued();
  for (Packet* p : inflight) p->unref();
#ifndef LANSTRESS_FAULT_LEAK_SEND_QUEUE
  for (Packet* p : sendPending) p->unref();
#endif
  inflight.clear();
  sendPending.clear();
  inflightOffset = 0;
#ifndef LANSTRESS_FAULT_RELEASE_KEEPS_QUEUED_BYTES
  queuedBytes.store(0, std::memory_order_relaxed);
#endif
  sendFlag.store(0, std::memory_order_relaxed);
}

}  // namespace lanstress
