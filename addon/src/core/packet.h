// A reference-counted, immutable byte block queued for sending. broadcast
// queues one Packet on many sessions, so it is shared, not copied.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

#include "framing.h"

namespace lanstress {

class Packet {
 public:
  // live: the creator's count of its packets not yet freed (raised here, dropped
  // by the last unref), or null. Relaxed: a gauge read at a quiet moment, when
  // the releases that freed the packets happened-before (see LanServer::stats).
  static Packet* create(uint32_t len, std::atomic<int64_t>* live = nullptr) {
    void* mem = ::operator new(sizeof(Packet) + len);
    if (live) live->fetch_add(1, std::memory_order_relaxed);
    return new (mem) Packet(len, live);
  }
  // Any length-prefixed framing: the length field for `body` (what follows it:
  // extra header bytes and payload, as received), then the body.
  static Packet* framed(const Framing& f, const uint8_t* body, size_t len, std::atomic<int64_t>* live = nullptr) {
    Packet* p = create(static_cast<uint32_t>(f.lengthBytes + len), live);
    encodeLength(f, p->data(), len);
    if (len) std::memcpy(p->data() + f.lengthBytes, body, len);
    return p;
  }
  static Packet* raw(const uint8_t* bytes, size_t len, std::atomic<int64_t>* live = nullptr) {
    Packet* p = create(static_cast<uint32_t>(len), live);
    if (len) std::memcpy(p->data(), bytes, len);
    return p;
  }

  uint8_t* data() { return reinterpret_cast<uint8_t*>(this + 1); }
  uint32_t size() const { return len_; }

  void addRef() { refs_.fetch_add(1, std::memory_order_relaxed); }
  // acq_rel: the last owner must see every other owner's reads finished before it frees.
  void unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      if (live_) live_->fetch_sub(1, std::memory_order_relaxed);
      this->~Packet();
      ::operator delete(this);
    }
  }

 private:
  Packet(uint32_t len, std::atomic<int64_t>* live) : refs_(1), len_(len), live_(live) {}
  std::atomic<uint32_t> refs_;
  uint32_t len_;
  std::atomic<int64_t>* live_;
};

// Owning handle for the creator's reference.
class PacketRef {
 public:
  explicit PacketRef(Packet* p) : p_(p) {}
  ~PacketRef() { if (p_) p_->unref(); }
  PacketRef(const PacketRef&) = delete;
  PacketRef& operator=(const PacketRef&) = delete;
  Packet* get() const { return p_; }

 private:
  Packet* p_;
};

}  // namespace lanstress
