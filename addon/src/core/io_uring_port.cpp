// io_uring backend through raw syscalls (<linux/io_uring.h>, no liburing).
// A real completion queue: postRecv/postSend submit IORING_OP_RECVMSG /
// IORING_OP_SENDMSG, the kernel does the I/O, workers reap CQEs.
//
// One ring per worker, so completions need no lock: a session belongs to ring
// (slot % rings), and the worker that first waits on this port claims the next
// ring and alone reaps it. Writing an SQE is serialised by that ring's mutex
// (the SQ has a single producer index), a lock shared by the sessions of one
// ring only, held for one SQE.
//
// Batched submission: a post made by the ring's own worker (the common case:
// the next recv and the echo's send, posted while handling a completion of
// that ring) only writes its SQE; the worker's next wait() submits everything
// written and waits in the same io_uring_enter. Posts from any other thread
// (accept, a broadcast or sendPacket reaching another ring, user completions)
// submit at once, since the ring's worker may be asleep in wait().
//
// user_data (64 bits) of an SQE/CQE:
//
//    63 62 61                                                            0
//   +-----+--------------------------------------------------------------+
//   | op  |          completion key = session id (session_id.h)          |
//   +-----+--------------------------------------------------------------+
//   op: 1 = recv, 2 = send; user_data with op 3 and all key bits set is the
//   NOP that wakes a worker for a user completion (key and value wait in the
//   ring's user queue, since they do not fit in the 62 bits left).
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "completion_port.h"
#include "session_id.h"

namespace lanstress {
namespace {

constexpr uint64_t kUserTag = ~uint64_t{0};

int sysSetup(unsigned entries, io_uring_params* p) {
  return static_cast<int>(::syscall(__NR_io_uring_setup, entries, p));
}
int sysEnter(int fd, unsigned submit, unsigned minComplete, unsigned flags, void* arg, size_t argSize) {
  return static_cast<int>(::syscall(__NR_io_uring_enter, fd, submit, minComplete, flags, arg, argSize));
}

template <class T>
T loadAcquire(const T* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
template <class T>
void storeRelease(T* p, T v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

struct Ring {
  int fd = -1;
  void* sqMap = MAP_FAILED;
  size_t sqMapLen = 0;
  void* cqMap = MAP_FAILED;
  size_t cqMapLen = 0;
  io_uring_sqe* sqes = static_cast<io_uring_sqe*>(MAP_FAILED);
  size_t sqesLen = 0;
  unsigned* sqHead = nullptr;
  unsigned* sqTail = nullptr;
  unsigned sqMask = 0;
  unsigned sqEntries = 0;
  unsigned* sqArray = nullptr;
  unsigned* cqHead = nullptr;
  unsigned* cqTail = nullptr;
  unsigned cqMask = 0;
  io_uring_cqe* cqes = nullptr;

  std::mutex submitMu;
  std::mutex userMu;
  std::deque<Completion> user;

  ~Ring() {
    if (sqes != MAP_FAILED) ::munmap(sqes, sqesLen);
    if (cqMap != MAP_FAILED && cqMap != sqMap) ::munmap(cqMap, cqMapLen);
    if (sqMap != MAP_FAILED) ::munmap(sqMap, sqMapLen);
    if (fd >= 0) ::close(fd);
  }

  // Returns "" or why the ring cannot be used.
  std::string setup(unsigned entries, unsigned cqEntries) {
    io_uring_params p{};
    p.flags = IORING_SETUP_CQSIZE;
    p.cq_entries = cqEntries;
    fd = sysSetup(entries, &p);
    if (fd < 0) return std::string("io_uring_setup: ") + std::strerror(errno);
    // NODROP: a full CQ never loses a completion (a lost one would leak a session).
    // EXT_ARG: wait() with a timeout.
    if (!(p.features & IORING_FEAT_NODROP) || !(p.features & IORING_FEAT_EXT_ARG)) {
      return "kernel io_uring lacks FEAT_NODROP or FEAT_EXT_ARG (needs Linux 5.11+)";
    }
    sqMapLen = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    cqMapLen = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
    bool single = p.features & IORING_FEAT_SINGLE_MMAP;
    if (single) sqMapLen = cqMapLen = sqMapLen > cqMapLen ? sqMapLen : cqMapLen;
    sqMap = ::mmap(nullptr, sqMapLen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
    if (sqMap == MAP_FAILED) return std::string("mmap(sq ring): ") + std::strerror(errno);
    cqMap = single ? sqMap
                   : ::mmap(nullptr, cqMapLen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
    if (cqMap == MAP_FAILED) return std::string("mmap(cq ring): ") + std::strerror(errno);
    sqesLen = p.sq_entries * sizeof(io_uring_sqe);
    sqes = static_cast<io_uring_sqe*>(
        ::mmap(nullptr, sqesLen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES));
    if (sqes == MAP_FAILED) return std::string("mmap(sqes): ") + std::strerror(errno);
    char* sq = static_cast<char*>(sqMap);
    char* cq = static_cast<char*>(cqMap);
    sqHead = reinterpret_cast<unsigned*>(sq + p.sq_off.head);
    sqTail = reinterpret_cast<unsigned*>(sq + p.sq_off.tail);
    sqMask = *reinterpret_cast<unsigned*>(sq + p.sq_off.ring_mask);
    sqEntries = p.sq_entries;
    sqArray = reinterpret_cast<unsigned*>(sq + p.sq_off.array);
    cqHead = reinterpret_cast<unsigned*>(cq + p.cq_off.head);
    cqTail = reinterpret_cast<unsigned*>(cq + p.cq_off.tail);
    cqMask = *reinterpret_cast<unsigned*>(cq + p.cq_off.ring_mask);
    cqes = reinterpret_cast<io_uring_cqe*>(cq + p.cq_off.cqes);
    return "";
  }

  // SQEs written and not yet consumed by the kernel. The tail is ours (written
  // under submitMu), the head the kernel's.
  unsigned unsubmitted() const { return loadAcquire(sqTail) - loadAcquire(sqHead); }

  // Submits what is written. 0 or -errno.
  int flush() {
    for (;;) {
      unsigned n = unsubmitted();
      if (n == 0) return 0;
      int rc = sysEnter(fd, n, 0, 0, nullptr, 0);
      if (rc >= 0 || errno == EINTR) continue;
      // EAGAIN/EBUSY: the kernel is short of room for completions; the SQEs
      // are already in the ring, so they must go in (a withdrawn SQE is impossible).
      if (errno == EAGAIN || errno == EBUSY) {
        std::this_thread::yield();
        continue;
      }
      return -errno;
    }
  }

  // Fills one SQE through fill(); submits it at once unless batched (then the
  // owner's next wait() does). 0 or -errno; on success the completion will
  // arrive (the SQE is never left behind unsubmitted).
  template <class F>
  int submit(bool batched, F&& fill) {
    std::lock_guard<std::mutex> lock(submitMu);
    unsigned tail = *sqTail;  // we are the only writer of the tail
    if (tail - loadAcquire(sqHead) >= sqEntries) {
      // Full of batched SQEs: hand them to the kernel to make room.
      int rc = flush();
      if (rc != 0) return rc;
    }
    unsigned idx = tail & sqMask;
    io_uring_sqe* sqe = &sqes[idx];
    std::memset(sqe, 0, sizeof *sqe);
    fill(sqe);
    sqArray[idx] = idx;
    storeRelease(sqTail, tail + 1);
    return batched ? 0 : flush();
  }
};

class IoUringPort final : public CompletionPort {
 public:
  IoUringPort(uint32_t capacity, uint32_t rings)
      : capacity_(capacity),
        ringCount_(rings),
        rings_(new Ring[rings]),
        pending_(new std::atomic<uint8_t>[capacity]),
        recvMsg_(new msghdr[capacity]),
        sendMsg_(new msghdr[capacity]) {
    for (uint32_t i = 0; i < capacity; ++i) pending_[i].store(0, std::memory_order_relaxed);
  }

  std::string setup() {
    // Each session has at most a recv and a send in flight: size the CQ for all of them.
    uint32_t perRing = capacity_ / ringCount_ + 1;
    unsigned cq = 512;  // at least twice the 256 SQ entries (the kernel refuses fewer)
    while (cq < 2 * perRing + 64 && cq < (1u << 20)) cq <<= 1;
    for (uint32_t i = 0; i < ringCount_; ++i) {
      std::string why = rings_[i].setup(256, cq);
      if (!why.empty()) return why;
    }
    return "";
  }

  Backend backend() const override { return Backend::IoUring; }

  int associate(int fd, uint64_t key) override {
    if (SessionId::slot(key) >= capacity_) return -EINVAL;
    // On an O_NONBLOCK socket io_uring completes a recv or send that cannot
    // proceed with -EAGAIN instead of waiting (a full send buffer: a small
    // SO_SNDBUF or a slow reader). Blocking mode makes it arm its own poll and
    // complete the operation when the socket is ready, as an OVERLAPPED would.
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) return -errno;
    return 0;
  }
  void dissociate(int, uint64_t) override {}

  int postRecv(int fd, uint64_t key, const iovec* iov, int iovcnt) override {
    return post(fd, key, iov, iovcnt, OpType::Recv);
  }
  int postSend(int fd, uint64_t key, const iovec* iov, int iovcnt) override {
    return post(fd, key, iov, iovcnt, OpType::Send);
  }

  int postUser(uint64_t key, int64_t value) override {
    // Round robin, so N posts reach N different workers (one per ring).
    Ring& r = rings_[userNext_.fetch_add(1, std::memory_order_relaxed) % ringCount_];
    {
      std::lock_guard<std::mutex> lock(r.userMu);
      r.user.push_back(Completion{key, OpType::User, value});
    }
    return r.submit(false, [](io_uring_sqe* sqe) {
      sqe->opcode = IORING_OP_NOP;
      sqe->user_data = kUserTag;
    });
  }

  int wait(Completion* out, int max, int timeoutMs) override {
    Ring& r = rings_[myRing()];
    unsigned head = *r.cqHead;  // the owner worker is the only reader
    bool empty = head == loadAcquire(r.cqTail);
    // What this worker batched since its last wait goes in now, in the same
    // enter that waits (when nothing is there to reap yet).
    unsigned toSubmit = r.unsubmitted();
    if (empty || toSubmit) {
      int rc;
      if (!empty) {
        rc = sysEnter(r.fd, toSubmit, 0, 0, nullptr, 0);
      } else if (timeoutMs < 0) {
        rc = sysEnter(r.fd, toSubmit, 1, IORING_ENTER_GETEVENTS, nullptr, 0);
      } else {
        __kernel_timespec ts{timeoutMs / 1000, (timeoutMs % 1000) * 1000000LL};
        io_uring_getevents_arg arg{};
        arg.ts = reinterpret_cast<uint64_t>(&ts);
        rc = sysEnter(r.fd, toSubmit, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
      }
      // EAGAIN/EBUSY: no room for completions yet; what was not submitted
      // goes in at the next wait, after this one has reaped.
      if (rc < 0 && errno != EINTR && errno != ETIME && errno != EAGAIN && errno != EBUSY) return -errno;
    }
    int count = 0;
    unsigned tail = loadAcquire(r.cqTail);
    while (head != tail && count < max) {
      const io_uring_cqe& cqe = r.cqes[head & r.cqMask];
      uint64_t ud = cqe.user_data;
      int32_t res = cqe.res;
      ++head;
      if (ud == kUserTag) {
        std::lock_guard<std::mutex> lock(r.userMu);
        if (!r.user.empty()) {
          out[count++] = r.user.front();
          r.user.pop_front();
        }
        continue;
      }
      auto op = static_cast<OpType>(ud >> kOpShift);
      uint64_t key = ud & kKeyMask;
      uint8_t bit = op == OpType::Recv ? 1 : 2;
      // acq_rel pairs with post()'s fetch_or: what the poster wrote (ring, iovecs) is
      // visible here. The kernel's ring orders it already, but in memory the
      // language (and ThreadSanitizer) cannot see.
#ifdef LANSTRESS_FAULT_URING_FAILED_SEND_STAYS_PENDING
      if (op == OpType::Recv || res >= 0)  // fault: a failed send is never marked complete
#endif
      pending_[SessionId::slot(key)].fetch_and(static_cast<uint8_t>(~bit), std::memory_order_acq_rel);
#ifdef LANSTRESS_FAULT_URING_SHORT_SEND_AS_FULL
      if (op == OpType::Send && res > 0) res = static_cast<int32_t>(totalLength(sendMsg_[SessionId::slot(key)]));
#endif
      out[count++] = Completion{key, op, res};
    }
    storeRelease(r.cqHead, head);
    return count;
  }

  bool hasPendingIo(uint64_t key) const override {
    uint32_t slot = SessionId::slot(key);
    return slot < capacity_ && pending_[slot].load(std::memory_order_acquire) != 0;
  }

 private:
  // The ring this thread reaps, claimed the first time it waits on this port.
  struct Claim {
    const IoUringPort* port = nullptr;
    uint32_t ring = 0;
  };
  static Claim& claim() {
    thread_local Claim c;
    return c;
  }
  uint32_t myRing() {
    Claim& c = claim();
    if (c.port != this) {
      c.port = this;
      c.ring = claimNext_.fetch_add(1, std::memory_order_relaxed) % ringCount_;
    }
    return c.ring;
  }
  // True when the calling thread is the worker that reaps ring i: its posts there can wait for its next wait().
  bool reaps(uint32_t i) const {
    const Claim& c = claim();
    return c.port == this && c.ring == i;
  }

  int post(int fd, uint64_t key, const iovec* iov, int iovcnt, OpType op) {
    uint32_t slot = SessionId::slot(key);
    if (slot >= capacity_) return -EINVAL;
    uint8_t bit = op == OpType::Recv ? 1 : 2;
    // One op per direction is the caller's rule (I4 for sends, one recv per
    // session); this check only guards against breaking it.
    if (pending_[slot].load(std::memory_order_acquire) & bit) return -EBUSY;
    // The msghdr lives in the port until the completion, like the iovecs in the session.
    msghdr* msg = op == OpType::Recv ? &recvMsg_[slot] : &sendMsg_[slot];
    std::memset(msg, 0, sizeof *msg);
    msg->msg_iov = const_cast<iovec*>(iov);
    msg->msg_iovlen = static_cast<size_t>(iovcnt);
    // acq_rel publishes the msghdr and the caller's buffers to the reaper (see wait()).
    pending_[slot].fetch_or(bit, std::memory_order_acq_rel);
    uint32_t ring = slot % ringCount_;
    int rc = rings_[ring].submit(reaps(ring), [&](io_uring_sqe* sqe) {
      sqe->opcode = op == OpType::Recv ? IORING_OP_RECVMSG : IORING_OP_SENDMSG;
      sqe->fd = fd;
      sqe->addr = reinterpret_cast<uint64_t>(msg);
      sqe->len = 1;
      sqe->msg_flags = op == OpType::Send ? MSG_NOSIGNAL : 0;
      sqe->user_data = (static_cast<uint64_t>(op) << kOpShift) | key;
    });
    if (rc != 0) pending_[slot].fetch_and(static_cast<uint8_t>(~bit), std::memory_order_release);
    return rc;
  }

#ifdef LANSTRESS_FAULT_URING_SHORT_SEND_AS_FULL
  // fault: a short send is reported as if every byte asked for had gone out.
  static size_t totalLength(const msghdr& m) {
    size_t n = 0;
    for (size_t i = 0; i < m.msg_iovlen; ++i) n += m.msg_iov[i].iov_len;
    return n;
  }
#endif

  uint32_t capacity_;
  uint32_t ringCount_;
  std::unique_ptr<Ring[]> rings_;
  std::unique_ptr<std::atomic<uint8_t>[]> pending_;
  std::unique_ptr<msghdr[]> recvMsg_;
  std::unique_ptr<msghdr[]> sendMsg_;
  std::atomic<uint32_t> claimNext_{0};
  std::atomic<uint32_t> userNext_{0};
};

}  // namespace

std::unique_ptr<CompletionPort> createIoUringPort(uint32_t capacity, uint32_t workers, std::string* error) {
  std::unique_ptr<IoUringPort> port(new IoUringPort(capacity ? capacity : 1, workers ? workers : 1));
  std::string why = port->setup();
  if (!why.empty()) {
    if (error) *error = why;
    return nullptr;
  }
  return port;
}

}  // namespace lanstress
