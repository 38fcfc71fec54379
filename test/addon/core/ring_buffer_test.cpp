// RingBuffer: edges (empty, full, wrap-around, two-iovec receive) and a
// randomized operation sequence checked against a std::deque model.
#include <cstring>
#include <deque>
#include <random>
#include <vector>

#include "check.h"
#include "ring_buffer.h"

using lanstress::RingBuffer;

static void emptyAndFull() {
  RingBuffer rb(8);
  iovec iov[2];
  CHECK(rb.empty());
  CHECK_EQ(rb.readableIov(iov), 0);
  CHECK_EQ(rb.writableIov(iov), 1);
  CHECK_EQ(iov[0].iov_len, 8u);
  CHECK_EQ(rb.write("abcdefgh", 8), 8u);
  CHECK(rb.full());
  CHECK_EQ(rb.writableIov(iov), 0);
  CHECK_EQ(rb.write("x", 1), 0u);  // a full ring takes nothing
  char out[8];
  CHECK_EQ(rb.read(out, 8), 8u);
  CHECK(std::memcmp(out, "abcdefgh", 8) == 0);
  CHECK(rb.empty());
  CHECK_EQ(rb.read(out, 1), 0u);
}

static void wrapAround() {
  RingBuffer rb(8);
  char out[8];
  rb.write("123456", 6);
  rb.read(out, 5);  // head at 5, one byte left
  iovec iov[2];
  // Free space wraps: the two-WSABUF receive.
  CHECK_EQ(rb.writableIov(iov), 2);
  CHECK_EQ(iov[0].iov_len + iov[1].iov_len, 7u);
  CHECK_EQ(iov[0].iov_len, 2u);  // tail at 6: two bytes to the end, five from the start
  std::memcpy(iov[0].iov_base, "AB", 2);
  std::memcpy(iov[1].iov_base, "CDEFG", 5);
  rb.commit(7);
  CHECK(rb.full());
  CHECK_EQ(rb.readableIov(iov), 2);
  CHECK_EQ(rb.at(0), '6');
  char all[8];
  rb.peek(0, all, 8);
  CHECK(std::memcmp(all, "6ABCDEFG", 8) == 0);
  rb.peek(2, all, 4);  // a peek that crosses the end
  CHECK(std::memcmp(all, "BCDE", 4) == 0);
  rb.consume(8);
  CHECK(rb.empty());
  // Draining resets the head, so the next receive is one contiguous iovec.
  CHECK_EQ(rb.writableIov(iov), 1);
}

static void randomizedAgainstModel() {
  std::mt19937 rng(12345);
  for (size_t capacity : {1u, 2u, 7u, 64u, 1000u}) {
    RingBuffer rb(capacity);
    std::deque<uint8_t> model;
    uint8_t next = 0;
    for (int op = 0; op < 200000; ++op) {
      size_t n = rng() % (capacity + 3);
      switch (rng() % 5) {
        case 0: {  // write through write()
          std::vector<uint8_t> in(n);
          for (auto& b : in) b = next++;
          size_t done = rb.write(in.data(), n);
          size_t expect = n < capacity - model.size() ? n : capacity - model.size();
          CHECK_EQ(done, expect);
          model.insert(model.end(), in.begin(), in.begin() + static_cast<long>(done));
          break;
        }
        case 1: {  // receive straight into the iovecs, as recv does
          iovec iov[2];
          int cnt = rb.writableIov(iov);
          size_t room = 0;
          for (int i = 0; i < cnt; ++i) room += iov[i].iov_len;
          CHECK_EQ(room, capacity - model.size());
          size_t k = n < room ? n : room;
          size_t left = k;
          for (int i = 0; i < cnt && left; ++i) {
            size_t part = left < iov[i].iov_len ? left : iov[i].iov_len;
            for (size_t j = 0; j < part; ++j) {
              static_cast<uint8_t*>(iov[i].iov_base)[j] = next;
              model.push_back(next++);
            }
            left -= part;
          }
          rb.commit(k);
          break;
        }
        case 2: {  // read
          std::vector<uint8_t> out(n);
          size_t got = rb.read(out.data(), n);
          CHECK_EQ(got, n < model.size() ? n : model.size());
          for (size_t i = 0; i < got; ++i) {
            CHECK_EQ(static_cast<int>(out[i]), static_cast<int>(model.front()));
            model.pop_front();
          }
          break;
        }
        case 3: {  // peek at an offset, then consume
          if (model.empty()) break;
          size_t off = rng() % model.size();
          size_t k = (model.size() - off) ? rng() % (model.size() - off) + 1 : 0;
          std::vector<uint8_t> out(k);
          rb.peek(off, out.data(), k);
          for (size_t i = 0; i < k; ++i) CHECK_EQ(static_cast<int>(out[i]), static_cast<int>(model[off + i]));
          size_t drop = rng() % (model.size() + 1);
          rb.consume(drop);
          model.erase(model.begin(), model.begin() + static_cast<long>(drop));
          break;
        }
        case 4: {  // the readable view matches the model
          iovec iov[2];
          int cnt = rb.readableIov(iov);
          size_t idx = 0;
          for (int i = 0; i < cnt; ++i) {
            for (size_t j = 0; j < iov[i].iov_len; ++j) {
              CHECK_EQ(static_cast<int>(static_cast<uint8_t*>(iov[i].iov_base)[j]), static_cast<int>(model[idx++]));
            }
          }
          CHECK_EQ(idx, model.size());
          break;
        }
      }
      CHECK_EQ(rb.size(), model.size());
      CHECK_EQ(rb.freeSpace(), capacity - model.size());
      if (check::failures()) return;  // one divergence is enough to report
    }
  }
}

int main() {
  emptyAndFull();
  wrapAround();
  randomizedAgainstModel();
  return check::finish("ring_buffer_test");
}
