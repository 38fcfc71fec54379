// Fixed-capacity byte ring. The recv path receives straight into it through
// two iovecs when the free space wraps (the seed's two WSABUFs), then the
// framing loop peeks/consumes whole packets.
//
// Not thread-safe on purpose: a session has at most one receive in flight, and
// only the worker handling that receive's completion touches the ring.
//
// Memory: either its own (reset) or lent by the owner of a larger mapping
// (attach: the session table lends each slot a ring from one anonymous
// mapping, so a ring costs resident memory only once data has been received
// into it, and discard() gives those pages back when the session ends).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "platform.h"  // iovec, discardPages

namespace lanstress {

class RingBuffer {
 public:
  RingBuffer() = default;
  explicit RingBuffer(size_t capacity) { reset(capacity); }

  // Drops the contents; reallocates only when the capacity changes (or the ring was lent).
  void reset(size_t capacity) {
    if (capacity != capacity_ || !owned_) {
      owned_.reset(capacity ? new uint8_t[capacity] : nullptr);
      buf_ = owned_.get();
      capacity_ = capacity;
    }
    clear();
  }
  // Lends the ring capacity bytes at mem (page-aligned; the lender keeps them
  // mapped for the ring's lifetime).
  void attach(uint8_t* mem, size_t capacity) {
    owned_.reset();
    buf_ = mem;
    capacity_ = capacity;
    touched_ = false;
    clear();
  }
  void clear() { head_ = 0; size_ = 0; }
  // clear(), and a lent ring that received data gives its pages back to the
  // kernel: they read as zeros and cost nothing until the next receive.
  void discard() {
    clear();
    if (touched_ && !owned_) platform::discardPages(buf_, capacity_);
    touched_ = false;
  }

  size_t capacity() const { return capacity_; }
  size_t size() const { return size_; }
  size_t freeSpace() const { return capacity_ - size_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == capacity_; }

  // Free space as at most two iovecs (second one when it wraps). Returns the count (0 when full).
  int writableIov(iovec out[2]) {
    if (full()) return 0;
    size_t tail = wrap(head_ + size_);
    size_t free = freeSpace();
    size_t first = capacity_ - tail < free ? capacity_ - tail : free;
    out[0].iov_base = buf_ + tail;
    out[0].iov_len = first;
    if (first == free) return 1;
    out[1].iov_base = buf_;
    out[1].iov_len = free - first;
    return 2;
  }

  // Accounts n bytes written into the space writableIov() described (n <= freeSpace()).
  void commit(size_t n) {
    size_ += n;
    touched_ = true;
  }

  // Readable bytes as at most two iovecs.
  int readableIov(iovec out[2]) const {
    if (empty()) return 0;
    size_t first = capacity_ - head_ < size_ ? capacity_ - head_ : size_;
    out[0].iov_base = buf_ + head_;
    out[0].iov_len = first;
    if (first == size_) return 1;
    out[1].iov_base = buf_;
    out[1].iov_len = size_ - first;
    return 2;
  }

  // Copies n readable bytes starting at offset into dst without consuming (offset + n <= size()).
  void peek(size_t offset, void* dst, size_t n) const {
    if (n == 0) return;  // dst may be null then, and memcpy must not see it
    size_t start = wrap(head_ + offset);
    size_t first = capacity_ - start < n ? capacity_ - start : n;
    std::memcpy(dst, buf_ + start, first);
    if (first < n) std::memcpy(static_cast<uint8_t*>(dst) + first, buf_, n - first);
  }

  uint8_t at(size_t offset) const { return buf_[wrap(head_ + offset)]; }

  void consume(size_t n) {
    head_ = wrap(head_ + n);
    size_ -= n;
    if (size_ == 0) head_ = 0;  // keeps the next receive in one iovec when the ring drains
  }

  // Copy in / copy out: what the unit tests and the model use.
  size_t write(const void* src, size_t n) {
    iovec iov[2];
    int cnt = writableIov(iov);
    size_t done = 0;
    for (int i = 0; i < cnt && done < n; ++i) {
      size_t k = iov[i].iov_len < n - done ? iov[i].iov_len : n - done;
      std::memcpy(iov[i].iov_base, static_cast<const uint8_t*>(src) + done, k);
      done += k;
    }
    commit(done);
    return done;
  }
  size_t read(void* dst, size_t n) {
    size_t k = n < size_ ? n : size_;
    peek(0, dst, k);
    consume(k);
    return k;
  }

 private:
  size_t wrap(size_t i) const { return i >= capacity_ ? i - capacity_ : i; }

  std::unique_ptr<uint8_t[]> owned_;  // null when lent (attach)
  uint8_t* buf_ = nullptr;
  size_t capacity_ = 0;
  bool touched_ = false;  // data was received since attach/discard
  size_t head_ = 0;  // index of the first readable byte
  size_t size_ = 0;  // readable bytes
};

}  // namespace lanstress
