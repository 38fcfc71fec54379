// io_uring backend through raw syscalls (<linux/io_uring.h>, no liburing).
// A real completion queue: postRecv/postSend submit IORING_OP_RECV / SEND
// (one buffer) or RECVMSG / SENDMSG (two or more), the kernel does the I/O,
// workers reap CQEs.
//
// One ring per worker, so completions need no lock: a session belongs to ring
// (slot % rings), and the worker that first waits on this port claims the next
// ring and alone reaps it.
//
// Single issuer: only a ring's own worker writes its SQEs and enters it. A post
// made by that worker (the common case: the next recv and the echo's send,
// posted while handling a completion of that ring) writes its SQE directly, and
// the worker's next wait() submits everything written and waits in the same
// io_uring_enter (batched submission). A post from any other thread (accept, a
// broadcast or sendPacket reaching another ring, postUser) goes into the ring's
// inbox (a mutex-guarded vector) and, when the inbox was empty, writes the
// ring's eventfd; the worker keeps an IORING_OP_READ armed on that eventfd, so
// the write wakes it out of io_uring_enter, and it drains the inbox into SQEs
// (user completions into its ready queue) before each enter. The SQ therefore
// has one writer and needs no lock.
//
// Because one task alone submits and reaps, rings are set up with
// SINGLE_ISSUER | DEFER_TASKRUN when the kernel has them (6.1+): completions'
// task work runs only when the worker asks for events, in one batch, instead
// of interrupting it (no reschedule IPI). setup() creates the rings, not the
// workers, and SINGLE_ISSUER binds a ring to its creator unless it starts
// disabled (R_DISABLED), so the worker enables its ring when it claims it and
// becomes its issuer. Older kernels fall back to COOP_TASKRUN | TASKRUN_FLAG
// (5.19+), then to neither; the mode is reported in the backend log line.
//
// Receive: one multishot recv per socket into a provided-buffer ring
// (IORING_REGISTER_PBUF_RING, IORING_RECV_MULTISHOT + IOSQE_BUFFER_SELECT),
// so the socket's poll stays armed across receives instead of being armed and
// torn down for every recv. The CompletionPort contract is unchanged: the ring
// owner keeps, per socket (RecvState), the recv the session has posted and the
// provided buffers holding data nobody has asked for yet. A buffer CQE
// completes the posted recv by copying into its iovecs; what does not fit, or
// arrives while no recv is posted, stays in its buffer (held, in order) and is
// served to the next postRecv as an inline completion (through ready), and the
// buffer goes back to the ring once consumed. End of stream (res 0) and errors
// are remembered and complete the posted recv, after any held data, exactly
// once. The multishot ends (a CQE without IORING_CQE_F_MORE) on ENOBUFS (the
// buffer ring ran dry), on our cancel (a socket holding kMaxHeld buffers nobody
// reads, or a forgotten one) or when the kernel says so: a posted recv still
// waiting then gets a new multishot, or, after ENOBUFS, a plain RECV into its
// own iovecs. A session's shutdown() ends the multishot with EOF, so its posted
// recv completes as before. Where the kernel refuses the buffer ring (before
// 5.19), or the caller asked for no provided buffers (createIoUringPort's
// recvBuffers 0: --uring-buffers 0), every recv is a plain RECV, as the log
// line says (tuning()).
//
// user_data (64 bits) of an SQE/CQE:
//
//    63 62 61                                                            0
//   +-----+--------------------------------------------------------------+
//   | op  |          completion key = session id (session_id.h)          |
//   +-----+--------------------------------------------------------------+
//   op: 1 = recv (a plain one, into the posted iovecs), 2 = send,
//       3 = the socket's multishot recv (kMultishotOp; never reaches the
//           caller as such: its CQEs complete posted recvs, op 1).
//   Two values are not operations on a session: op 3 with all key bits set is
//   the read of the ring's wake eventfd (user completions wait in the worker's
//   ready queue, since key and value do not fit in the 62 bits left), and 0
//   (op 0, key 0: never a session id) is a cancel of a multishot, whose own
//   CQE is dropped.
//
// A multishot recv's CQE also carries, in cqe.flags:
//
//    31                       16 15                       2   1      0
//   +---------------------------+--------------------------+------+--------+
//   |   buffer id (bid)         |                          | MORE | BUFFER |
//   +---------------------------+--------------------------+------+--------+
//   BUFFER: the data is in provided buffer bid; MORE: the multishot goes on.
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "completion_port.h"
#include "session_id.h"

namespace lanstress {
namespace {

// The wake eventfd's read, and a multishot's cancel (see the user_data layout above).
constexpr uint64_t kWakeTag = ~uint64_t{0};
constexpr uint64_t kCancelTag = 0;
constexpr uint64_t kMultishotOp = 3;

// Provided buffers, per ring (the default of kDefaultUringBuffers,
// completion_port.h): 1024 x 4 KiB = 4 MiB of address space, resident
// only once data has passed through (a loaded ring cycles through them all;
// idle sessions hold none). The kernel takes one buffer per CQE and a worker's
// wait can bring thousands at once (every socket of the ring with data), so
// the count matters: 512 ran dry in one receive out of 12 at 5000 connections
// x 100 msg/s, 1024 in one out of 90 (a dry ring costs that recv a plain RECV,
// nothing worse). And the size: with 2 KiB a flood of 4 x 1000-byte messages
// per connection took two CQEs per burst, the second mostly arriving before
// the session had posted its next recv, and echoed 40% less than plain RECVs.
// The count is the port's recvBuffers (a power of two: the ring's mask).
constexpr unsigned kBufSize = 4096;
constexpr uint16_t kBufGroup = 0;  // each ring has its own group 0
// Buffers a socket may hold unread before its multishot is cancelled: a session
// that stopped reading (closeWhenSent, a disconnect under way) must not drain
// the ring that every other socket of the worker receives into.
constexpr unsigned kMaxHeld = 8;
static_assert(kMaxHeld <= kMinUringBuffers, "the smallest ring must let a socket reach the held limit before it runs dry");

int sysSetup(unsigned entries, io_uring_params* p) {
  return static_cast<int>(::syscall(__NR_io_uring_setup, entries, p));
}
int sysEnter(int fd, unsigned submit, unsigned minComplete, unsigned flags, void* arg, size_t argSize) {
  return static_cast<int>(::syscall(__NR_io_uring_enter, fd, submit, minComplete, flags, arg, argSize));
}
int sysRegister(int fd, unsigned opcode, void* arg, unsigned nrArgs) {
  return static_cast<int>(::syscall(__NR_io_uring_register, fd, opcode, arg, nrArgs));
}

template <class T>
T loadAcquire(const T* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
template <class T>
void storeRelease(T* p, T v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

// How a ring can be set up: the one list, best first; setup() takes the first
// the kernel accepts.
struct RingMode {
  const char* name;  // in the backend log line
  unsigned flags;    // io_uring_setup flags beyond CQSIZE
  // Single issuer: rings start disabled and the claiming worker enables its own.
  bool enabledByWorker;
  // IORING_RECVSEND_POLL_FIRST came with COOP_TASKRUN (5.19); an older kernel refuses it.
  bool pollFirst;
};
constexpr RingMode kRingModes[] = {
    {"single_issuer+defer_taskrun",
     IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED, true, true},
    {"coop_taskrun", IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, false, true},
    {"plain", 0, false, false},
};
constexpr const RingMode& kPlainRing = kRingModes[sizeof kRingModes / sizeof kRingModes[0] - 1];

// A post from a thread that is not the ring's worker, waiting in the ring's inbox.
enum class MailOp : uint8_t { User, Recv, Send, Forget };
struct Mail {
  uint64_t key;
  int64_t arg;  // Recv/Send/Forget: the socket; User: the value given to postUser
  MailOp op;
};

// Where provided buffer bid's unread data is, and the next buffer the same
// socket holds (bid + 1; 0 = none): a socket's held buffers are a list threaded
// through its ring's BufMeta, since a buffer is held by one socket at a time.
struct BufMeta {
  uint32_t off;
  uint32_t len;
  uint16_t next;
};

// A socket's receive side, touched only by the worker of its ring. Zero bytes
// are "no session" (the array is calloc'ed: slots never used cost no memory).
struct RecvState {
  uint64_t key;         // the session this state belongs to; 0 = none
  int32_t fd;
  int32_t endResult;    // with ended: 0 (EOF) or -errno, for the posted recv after the held data
  uint16_t heldHead;    // bid + 1 of the oldest held buffer; 0 = none
  uint16_t heldTail;    // bid + 1 of the newest
  uint16_t heldCount;   // can pass kMaxHeld while a cancel is on its way
  bool posted;          // the session's recv is waiting for data
  bool armed;           // a multishot recv is in flight (until its CQE without F_MORE)
  bool cancelling;      // its cancel is submitted
  bool ended;           // the stream ended (endResult): no more data will come
};

struct Ring {
  int fd = -1;
  int wakeFd = -1;
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

  // Posts from other threads. hasMail says the inbox may be non-empty, so the
  // worker takes the lock only then; the eventfd write that follows each
  // empty->non-empty transition covers a hint read stale.
  std::mutex inboxMu;
  std::vector<Mail> inbox;
  std::atomic<bool> hasMail{false};

  // Owner-only (the worker that claimed the ring): no lock.
  std::vector<Mail> taken;        // the inbox swapped out, reused to keep its capacity
  std::deque<Completion> ready;   // user completions and posts that failed, for the next wait()
  bool wakeArmed = false;         // the eventfd read is in flight
  uint64_t wakeBuf = 0;           // where that read lands

  // Provided buffers (multishot recv). bufRing is shared with the kernel: it
  // takes buffers at the head, the owner gives them back at the tail.
  // multishot: the ring has them, and the kernel took a multishot recv.
  bool multishot = false;
  io_uring_buf_ring* bufRing = static_cast<io_uring_buf_ring*>(MAP_FAILED);
  uint8_t* bufMem = static_cast<uint8_t*>(MAP_FAILED);
  uint16_t bufTail = 0;  // owner's copy of bufRing->tail
  unsigned bufCount = 0;  // a power of two, <= kMaxUringBuffers (a bid + 1 fits BufMeta's 16 bits)
  std::unique_ptr<BufMeta[]> bufMeta;

  ~Ring() {
    if (sqes != MAP_FAILED) ::munmap(sqes, sqesLen);
    if (cqMap != MAP_FAILED && cqMap != sqMap) ::munmap(cqMap, cqMapLen);
    if (sqMap != MAP_FAILED) ::munmap(sqMap, sqMapLen);
    // The ring first: closing it unregisters the buffer ring, so the kernel
    // no longer writes into the buffers unmapped next.
    if (fd >= 0) ::close(fd);
    if (wakeFd >= 0) ::close(wakeFd);
    if (bufRing != MAP_FAILED) ::munmap(bufRing, bufCount * sizeof(io_uring_buf));
    if (bufMem != MAP_FAILED) ::munmap(bufMem, size_t{bufCount} * kBufSize);
  }

  // Registers a provided-buffer ring of count buffers and gives the kernel
  // every one. 0 or the errno that refused it (the ring then receives with
  // plain RECVs).
  int setupBuffers(unsigned count) {
    bufCount = count;
    bufMeta.reset(new BufMeta[count]);
    void* ringMem = ::mmap(nullptr, bufCount * sizeof(io_uring_buf), PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ringMem == MAP_FAILED) return errno;
    bufRing = static_cast<io_uring_buf_ring*>(ringMem);
    // NORESERVE and untouched: a buffer costs memory once the kernel has received into it.
    void* mem = ::mmap(nullptr, size_t{bufCount} * kBufSize, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) return errno;
    bufMem = static_cast<uint8_t*>(mem);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uint64_t>(bufRing);
    reg.ring_entries = bufCount;
    reg.bgid = kBufGroup;
    if (sysRegister(fd, IORING_REGISTER_PBUF_RING, &reg, 1) < 0) return errno;
    for (unsigned bid = 0; bid < bufCount; ++bid) giveBack(static_cast<uint16_t>(bid));
    multishot = true;
    return 0;
  }

  // Owner: buffer bid goes back to the kernel.
  void giveBack(uint16_t bid) {
    // Not bufRing->bufs: in C++ the header's flexible array sits behind an
    // empty struct of size 1, i.e. 8 bytes late. The entries start at the
    // ring's first byte, and bufs[0].resv is where the tail lives, hence the
    // fields are written one by one.
    io_uring_buf& b = reinterpret_cast<io_uring_buf*>(bufRing)[bufTail & (bufCount - 1)];
    b.addr = reinterpret_cast<uint64_t>(bufMem + size_t{bid} * kBufSize);
    b.len = kBufSize;
    b.bid = bid;
    // release: the kernel reads the entry after it sees the new tail.
    storeRelease(&bufRing->tail, ++bufTail);
  }

  // Returns "" or why the ring cannot be used; -EINVAL in *setupErrno when the
  // kernel refused the mode's flags (the caller then tries the next mode).
  std::string setup(unsigned entries, unsigned cqEntries, const RingMode& mode, int* setupErrno) {
    *setupErrno = 0;
    io_uring_params p{};
    p.flags = IORING_SETUP_CQSIZE | mode.flags;
    p.cq_entries = cqEntries;
    fd = sysSetup(entries, &p);
    if (fd < 0) {
      *setupErrno = errno;
      return std::string("io_uring_setup: ") + std::strerror(errno);
    }
    // NODROP: a full CQ never loses a completion (a lost one would leak a session).
    // EXT_ARG: wait() with a timeout.
    if (!(p.features & IORING_FEAT_NODROP) || !(p.features & IORING_FEAT_EXT_ARG)) {
      return "kernel io_uring lacks FEAT_NODROP or FEAT_EXT_ARG (needs Linux 5.11+)";
    }
    // Blocking: io_uring reads a non-blocking eventfd once and completes with
    // -EAGAIN; a blocking one it polls, completing the read at the next write.
    wakeFd = ::eventfd(0, EFD_CLOEXEC);
    if (wakeFd < 0) return std::string("eventfd: ") + std::strerror(errno);
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

  // SQEs written and not yet consumed by the kernel. The tail is ours (the
  // worker alone writes it), the head the kernel's.
  unsigned unsubmitted() const { return *sqTail - loadAcquire(sqHead); }

  // Submits what is written. 0 or -errno. Owner only.
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

  // Fills one SQE through fill(), for the owner's next wait() to submit. 0 or
  // -errno; on success the completion will arrive (the SQE is never left
  // behind unsubmitted). Owner only.
  template <class F>
  int write(F&& fill) {
    unsigned tail = *sqTail;  // the owner is the only writer of the tail
    if (tail - loadAcquire(sqHead) >= sqEntries) {
      // Full: hand what is written to the kernel to make room.
      int rc = flush();
      if (rc != 0) return rc;
    }
    unsigned idx = tail & sqMask;
    io_uring_sqe* sqe = &sqes[idx];
    std::memset(sqe, 0, sizeof *sqe);
    fill(sqe);
    sqArray[idx] = idx;
    storeRelease(sqTail, tail + 1);
    return 0;
  }

  // From any thread but the owner: queues a post and wakes the owner. Always
  // succeeds (the owner reports a failed submission as a completion).
  void mail(const Mail& m) {
    bool wasEmpty;
    {
      std::lock_guard<std::mutex> lock(inboxMu);
      wasEmpty = inbox.empty();
      inbox.push_back(m);
      // release: pairs with the owner's acquire in takeMail(); the lock
      // publishes the mail itself.
      hasMail.store(true, std::memory_order_release);
    }
    // Only the first mail since the owner last emptied the inbox writes: the
    // eventfd counter keeps the signal until the owner's read consumes it.
    if (wasEmpty) {
      uint64_t one = 1;
      ssize_t rc;
      do rc = ::write(wakeFd, &one, sizeof one);
      while (rc < 0 && errno == EINTR);
    }
  }

  // Owner: the inbox's contents, or an empty vector.
  std::vector<Mail>& takeMail() {
    taken.clear();
    if (hasMail.load(std::memory_order_acquire)) {
      std::lock_guard<std::mutex> lock(inboxMu);
      taken.swap(inbox);
      hasMail.store(false, std::memory_order_relaxed);  // under the lock, which orders it
    }
    return taken;
  }

  // Owner: keeps a read armed on the eventfd so mail() wakes the owner's enter.
  int armWake() {
    if (wakeArmed) return 0;
    int rc = write([this](io_uring_sqe* sqe) {
      sqe->opcode = IORING_OP_READ;
      sqe->fd = wakeFd;
      sqe->addr = reinterpret_cast<uint64_t>(&wakeBuf);
      sqe->len = sizeof wakeBuf;
      sqe->user_data = kWakeTag;
    });
    if (rc == 0) wakeArmed = true;
    return rc;
  }
};

// Distinguishes ports in a thread's claim, where an address could be reused
// by a later port (a stale claim would make a thread issue on a ring it never enabled).
std::atomic<uint64_t> gNextPortId{1};

class IoUringPort final : public CompletionPort {
 public:
  IoUringPort(uint32_t capacity, uint32_t rings)
      : capacity_(capacity),
        ringCount_(rings),
        rings_(new Ring[rings]),
        pending_(new std::atomic<uint8_t>[capacity]),
        recv_(static_cast<RecvState*>(std::calloc(capacity, sizeof(RecvState)))),
        recvMsg_(new msghdr[capacity]),
        sendMsg_(new msghdr[capacity]),
        // relaxed: a unique number is all that is asked of it.
        id_(gNextPortId.fetch_add(1, std::memory_order_relaxed)) {
    for (uint32_t i = 0; i < capacity; ++i) pending_[i].store(0, std::memory_order_relaxed);
  }

  // recvBuffers: provided buffers per ring (createIoUringPort).
  std::string setup(uint32_t recvBuffers) {
    if (!uringBuffersValid(recvBuffers)) {
      return "recvBuffers " + std::to_string(recvBuffers) + " is not 0 or a power of two from " +
             std::to_string(kMinUringBuffers) + " to " + std::to_string(kMaxUringBuffers);
    }
    // Each session has at most a recv and a send in flight: size the CQ for all of them.
    uint32_t perRing = capacity_ / ringCount_ + 1;
    unsigned cq = 512;  // at least twice the 256 SQ entries (the kernel refuses fewer)
    while (cq < 2 * perRing + 64 && cq < (1u << 20)) cq <<= 1;
    // The first ring picks the mode: EINVAL means the kernel does not know a
    // flag. A refused io_uring_setup leaves the Ring untouched, so it is retried as is.
    for (const RingMode& m : kRingModes) {
      int err = 0;
      std::string why = rings_[0].setup(256, cq, m, &err);
      if (why.empty()) {
        mode_ = &m;
        break;
      }
      if (err != EINVAL || &m == &kPlainRing) return why;
    }
    for (uint32_t i = 1; i < ringCount_; ++i) {
      int err = 0;
      std::string why = rings_[i].setup(256, cq, *mode_, &err);
      if (!why.empty()) return why;
    }
    if (!recv_) return "out of memory for the receive states";
    if (recvBuffers == 0) {
      // Asked for: the rings stay as a kernel without multishot recv leaves them (the EINVAL fallback).
      recvMode_ = "plain recv (asked for: 0 provided buffers)";
      return "";
    }
    // Multishot receive on every ring or on none, so the log line tells the truth.
    for (uint32_t i = 0; i < ringCount_; ++i) {
      int err = rings_[i].setupBuffers(recvBuffers);
      if (err != 0) {
        for (uint32_t j = 0; j < ringCount_; ++j) rings_[j].multishot = false;
        recvMode_ = std::string("plain recv (provided-buffer ring refused: ") + std::strerror(err) + ")";
        return "";
      }
    }
    recvMode_ = "multishot recv into " + std::to_string(recvBuffers) + " x " + std::to_string(kBufSize / 1024) +
                " KiB provided buffers per ring";
    return "";
  }

  Backend backend() const override { return Backend::IoUring; }
  std::string tuning() const override { return std::string("rings ") + mode_->name + ", " + recvMode_; }

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
  // The socket's receive state goes: held buffers back to the ring, a
  // multishot still armed cancelled (shutdown() has ended it already unless
  // the session was released without one), on the ring's own worker.
  void dissociate(int fd, uint64_t key) override {
    uint32_t slot = SessionId::slot(key);
    if (slot >= capacity_) return;
    uint32_t ring = slot % ringCount_;
    if (reaps(ring)) forget(rings_[ring], key);
    else rings_[ring].mail(Mail{key, fd, MailOp::Forget});
  }

  int postRecv(int fd, uint64_t key, const iovec* iov, int iovcnt) override {
    return post(fd, key, iov, iovcnt, OpType::Recv);
  }
  int postSend(int fd, uint64_t key, const iovec* iov, int iovcnt) override {
    return post(fd, key, iov, iovcnt, OpType::Send);
  }

  int postUser(uint64_t key, int64_t value) override {
    // Round robin, so N posts reach N different workers (one per ring).
    Ring& r = rings_[userNext_.fetch_add(1, std::memory_order_relaxed) % ringCount_];
    r.mail(Mail{key, value, MailOp::User});
    return 0;
  }

  int wait(Completion* out, int max, int timeoutMs) override {
    uint32_t ri = 0;
    int rc = myRing(&ri);
    if (rc != 0) return rc;
    Ring& r = rings_[ri];
    int count = 0;
    // A wake with nothing for the caller (mail that was only posts) waits
    // again, for what is left of the timeout.
    using Clock = std::chrono::steady_clock;
    Clock::time_point deadline{};
    if (timeoutMs >= 0) deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
      deliverMail(r);
      while (count < max && !r.ready.empty()) {
        out[count++] = r.ready.front();
        r.ready.pop_front();
      }
      rc = r.armWake();
      if (rc != 0) return rc;
      unsigned head = *r.cqHead;  // the owner worker is the only reader
      bool empty = count == 0 && head == loadAcquire(r.cqTail);
      // What this worker wrote since its last wait goes in now, in the same
      // enter that waits (when nothing is there to reap yet).
      unsigned toSubmit = r.unsubmitted();
      if (empty || toSubmit) {
        // GETEVENTS even when not waiting (min_complete 0): under DEFER_TASKRUN
        // it runs the completions' deferred task work, so this reap sees them.
        unsigned flags = IORING_ENTER_GETEVENTS;
        void* arg = nullptr;
        size_t argSize = 0;
        __kernel_timespec ts{};
        io_uring_getevents_arg ga{};
        if (empty && timeoutMs >= 0) {
          int64_t left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now()).count();
          if (left < 0) left = 0;
          ts.tv_sec = left / 1000000000;
          ts.tv_nsec = left % 1000000000;
          ga.ts = reinterpret_cast<uint64_t>(&ts);
          flags |= IORING_ENTER_EXT_ARG;
          arg = &ga;
          argSize = sizeof ga;
        }
        rc = sysEnter(r.fd, toSubmit, empty ? 1 : 0, flags, arg, argSize);
        // EAGAIN/EBUSY: no room for completions yet; what was not submitted
        // goes in at the next wait, after this one has reaped.
        if (rc < 0 && errno != EINTR && errno != ETIME && errno != EAGAIN && errno != EBUSY) return -errno;
      }
      count += reap(r, out + count, max - count);
      if (count > 0 || (timeoutMs >= 0 && Clock::now() >= deadline)) return count;
    }
  }

  bool hasPendingIo(uint64_t key) const override {
    uint32_t slot = SessionId::slot(key);
    return slot < capacity_ && pending_[slot].load(std::memory_order_acquire) != 0;
  }

 private:
  // The ring this thread reaps, claimed the first time it waits on this port.
  struct Claim {
    uint64_t port = 0;
    uint32_t ring = 0;
  };
  static Claim& claim() {
    thread_local Claim c;
    return c;
  }
  // Claims a ring on the thread's first wait and, under SINGLE_ISSUER, enables
  // it, which makes this thread its issuer. 0 or -errno. A ring no thread
  // claims (fewer waiters than rings) keeps its mail unsubmitted until the
  // port is destroyed, as its completions went unreaped before the inbox.
  int myRing(uint32_t* ring) {
    Claim& c = claim();
    if (c.port != id_) {
      uint32_t i = claimNext_.fetch_add(1, std::memory_order_relaxed) % ringCount_;
      if (mode_->enabledByWorker && sysRegister(rings_[i].fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) < 0) {
        return -errno;
      }
      c.port = id_;
      c.ring = i;
    }
    *ring = c.ring;
    return 0;
  }
  // True when the calling thread is the worker that reaps ring i: it may write that ring's SQEs.
  bool reaps(uint32_t i) const {
    const Claim& c = claim();
    return c.port == id_ && c.ring == i;
  }

  // Owner: the inbox's posts become SQEs, its user completions wait in ready.
  void deliverMail(Ring& r) {
    for (const Mail& m : r.takeMail()) {
      int fd = static_cast<int>(m.arg);
      switch (m.op) {
        case MailOp::User:
          r.ready.push_back(Completion{m.key, OpType::User, m.arg});
          continue;
        case MailOp::Forget:
          forget(r, m.key);
          continue;
        case MailOp::Recv:
        case MailOp::Send:
          break;
      }
      OpType op = m.op == MailOp::Recv ? OpType::Recv : OpType::Send;
      int rc = op == OpType::Recv ? startRecv(r, fd, m.key) : writeOp(r, fd, m.key, op);
      if (rc != 0) {
        // The poster was told the operation would complete: it does, failed.
        pending_[SessionId::slot(m.key)].fetch_and(static_cast<uint8_t>(op == OpType::Recv ? ~1 : ~2),
                                                   std::memory_order_acq_rel);
        r.ready.push_back(Completion{m.key, op, rc});
      }
    }
  }

  // ---- receive (owner only: the worker of the socket's ring)

  // The session's recv, whose msghdr post() filled: served at once (through
  // ready) from held data or the stream's end, else waits for the multishot,
  // armed now if it is not. 0, or -errno when nothing was posted.
  int startRecv(Ring& r, int fd, uint64_t key) {
    RecvState& st = recv_[SessionId::slot(key)];
    if (st.key != key) {
      reset(r, st);
      st.key = key;
      st.fd = fd;
    }
    if (st.heldHead != 0 || st.ended) {
      r.ready.push_back(finishRecv(r, st));
      return 0;
    }
    st.posted = true;
    if (st.armed) return 0;
    int rc = arm(r, st, false);
    if (rc != 0) st.posted = false;
    return rc;
  }

  // A multishot recv, or (plain, or no buffer ring) a single RECV into the
  // posted iovecs, which completes the recv itself as op 1.
  int arm(Ring& r, RecvState& st, bool plain) {
    if (plain || !r.multishot) return writeOp(r, st.fd, st.key, OpType::Recv);
    int rc = r.write([&](io_uring_sqe* sqe) {
      sqe->opcode = IORING_OP_RECV;
      sqe->fd = st.fd;
      sqe->flags = IOSQE_BUFFER_SELECT;
      sqe->buf_group = kBufGroup;
      // len 0: each CQE may fill a whole buffer.
      sqe->ioprio = IORING_RECV_MULTISHOT | (mode_->pollFirst ? IORING_RECVSEND_POLL_FIRST : 0);
      sqe->user_data = (kMultishotOp << kOpShift) | st.key;
    });
    if (rc == 0) st.armed = true;
    return rc;
  }

  // Ends the multishot; its last CQE (-ECANCELED or data without F_MORE)
  // arrives later and clears armed. A failed write leaves it running: the
  // held limit is a bound on memory, not on correctness.
  void cancel(Ring& r, RecvState& st) {
    uint64_t target = (kMultishotOp << kOpShift) | st.key;
    int rc = r.write([&](io_uring_sqe* sqe) {
      sqe->opcode = IORING_OP_ASYNC_CANCEL;
      sqe->fd = -1;
      sqe->addr = target;
      sqe->user_data = kCancelTag;
    });
    if (rc == 0) st.cancelling = true;
  }

  // The state goes back to "no session": held buffers return to the ring, and
  // a multishot still armed is cancelled (its CQEs no longer match a key).
  void reset(Ring& r, RecvState& st) {
    if (st.armed && !st.cancelling) cancel(r, st);
    dropHeld(r, st);
    st = RecvState{};
  }

  // Every buffer the socket holds goes back to the ring, its data unread.
  void dropHeld(Ring& r, RecvState& st) {
    while (st.heldHead != 0) {
      uint16_t bid = static_cast<uint16_t>(st.heldHead - 1);
      st.heldHead = r.bufMeta[bid].next;
      r.giveBack(bid);
    }
    st.heldTail = 0;
    st.heldCount = 0;
  }

  void forget(Ring& r, uint64_t key) {
    RecvState& st = recv_[SessionId::slot(key)];
    if (st.key == key) reset(r, st);
  }

  // Completes the posted recv from held data, else with the stream's end.
  Completion finishRecv(Ring& r, RecvState& st) {
    const msghdr& msg = recvMsg_[SessionId::slot(st.key)];
    int64_t result = st.endResult;
    if (st.heldHead != 0) {
      size_t n = 0;
      for (size_t i = 0; i < msg.msg_iovlen && st.heldHead != 0; ++i) {
        uint8_t* dst = static_cast<uint8_t*>(msg.msg_iov[i].iov_base);
        size_t room = msg.msg_iov[i].iov_len;
        while (room > 0 && st.heldHead != 0) {
          uint16_t bid = static_cast<uint16_t>(st.heldHead - 1);
          BufMeta& b = r.bufMeta[bid];
          size_t take = b.len - b.off < room ? b.len - b.off : room;
          std::memcpy(dst, r.bufMem + size_t{bid} * kBufSize + b.off, take);
          dst += take;
          room -= take;
          n += take;
          b.off += static_cast<uint32_t>(take);
          if (b.off == b.len) {
            st.heldHead = b.next;
            if (st.heldHead == 0) st.heldTail = 0;
            --st.heldCount;
            r.giveBack(bid);
          }
        }
      }
      result = static_cast<int64_t>(n);
    }
    st.posted = false;
    // acq_rel, as in reap(): the data copied into the caller's buffers is visible to whoever sees the bit clear.
    pending_[SessionId::slot(st.key)].fetch_and(static_cast<uint8_t>(~1), std::memory_order_acq_rel);
    return Completion{st.key, OpType::Recv, result};
  }

  // A CQE of a socket's multishot recv. True when it completed the posted recv (*out).
  bool received(Ring& r, uint64_t key, int32_t res, uint32_t flags, Completion* out) {
    RecvState& st = recv_[SessionId::slot(key)];
    bool hasBuf = flags & IORING_CQE_F_BUFFER;
    auto bid = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
    if (st.key != key) {
      // The session was forgotten (released) while its multishot ran.
      if (hasBuf) r.giveBack(bid);
      return false;
    }
    if (!(flags & IORING_CQE_F_MORE)) st.armed = st.cancelling = false;
#ifdef LANSTRESS_FAULT_URING_CANCEL_DROPS_HELD
    if (res == -ECANCELED) dropHeld(r, st);  // fault: the held limit's cancel throws the held data away
#endif
    bool plain = false;
    if (res > 0 && hasBuf) {
      BufMeta& b = r.bufMeta[bid];
      b.off = 0;
      b.len = static_cast<uint32_t>(res);
      b.next = 0;
      if (st.heldTail != 0) r.bufMeta[st.heldTail - 1].next = static_cast<uint16_t>(bid + 1);
      else st.heldHead = static_cast<uint16_t>(bid + 1);
      st.heldTail = static_cast<uint16_t>(bid + 1);
      ++st.heldCount;
    } else {
      if (hasBuf) r.giveBack(bid);
      if (res == -ENOBUFS) {
#ifndef LANSTRESS_FAULT_URING_ENOBUFS_REARMS  // fault: a dry ring re-arms the multishot (the recv waits for buffers)
        plain = true;  // the ring ran dry: this recv reads into its own buffers
#endif
      } else if (res == -EINVAL) {
        // A kernel with buffer rings but no multishot recv (5.19): plain from now on.
        r.multishot = false;
        plain = true;
      } else if (res <= 0 && res != -ECANCELED) {  // -ECANCELED is ours (held limit): not the end
        st.ended = true;
        st.endResult = res;
      }
    }
    if (!st.posted) {
      if (st.armed && !st.cancelling && st.heldCount >= kMaxHeld) cancel(r, st);
      return false;
    }
    if (st.heldHead != 0 || st.ended) {
      *out = finishRecv(r, st);
      return true;
    }
    if (st.armed) return false;
    int rc = arm(r, st, plain);
    if (rc == 0) return false;
    st.ended = true;
    st.endResult = rc;
    *out = finishRecv(r, st);
    return true;
  }

  // Owner: moves up to max CQEs into out; returns how many were operations'.
  int reap(Ring& r, Completion* out, int max) {
    int count = 0;
    unsigned head = *r.cqHead;
    unsigned tail = loadAcquire(r.cqTail);
    while (head != tail && count < max) {
      const io_uring_cqe& cqe = r.cqes[head & r.cqMask];
      uint64_t ud = cqe.user_data;
      int32_t res = cqe.res;
      ++head;
      if (ud == kWakeTag) {
        // The inbox is read on the next turn of wait(); the read is re-armed there.
        r.wakeArmed = false;
        continue;
      }
      if (ud == kCancelTag) continue;
      uint64_t key = ud & kKeyMask;
      if (ud >> kOpShift == kMultishotOp) {
        if (received(r, key, res, cqe.flags, &out[count])) ++count;
        continue;
      }
      auto op = static_cast<OpType>(ud >> kOpShift);
      if (op == OpType::Recv) {
        // A plain recv completes the posted one itself.
        RecvState& st = recv_[SessionId::slot(key)];
        if (st.key == key) st.posted = false;
      }
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
    // acq_rel publishes the msghdr and the caller's buffers to the reaper (see reap()).
    pending_[slot].fetch_or(bit, std::memory_order_acq_rel);
    uint32_t ring = slot % ringCount_;
    if (!reaps(ring)) {
      rings_[ring].mail(Mail{key, fd, op == OpType::Recv ? MailOp::Recv : MailOp::Send});
      return 0;
    }
    int rc = op == OpType::Recv ? startRecv(rings_[ring], fd, key) : writeOp(rings_[ring], fd, key, op);
    if (rc != 0) pending_[slot].fetch_and(static_cast<uint8_t>(~bit), std::memory_order_release);
    return rc;
  }

  // Owner: the SQE of a recv or send whose msghdr post() filled.
  int writeOp(Ring& r, int fd, uint64_t key, OpType op) {
    uint32_t slot = SessionId::slot(key);
    msghdr* msg = op == OpType::Recv ? &recvMsg_[slot] : &sendMsg_[slot];
    return r.write([&](io_uring_sqe* sqe) {
      sqe->fd = fd;
      if (msg->msg_iovlen == 1) {
        // One buffer (the usual case: a drained receive ring, one echoed
        // packet): RECV/SEND take it directly, sparing the kernel the copy-in
        // of a msghdr and its iovec array, and their async copy when the op
        // has to wait for the socket.
        sqe->opcode = op == OpType::Recv ? IORING_OP_RECV : IORING_OP_SEND;
        sqe->addr = reinterpret_cast<uint64_t>(msg->msg_iov[0].iov_base);
        sqe->len = static_cast<uint32_t>(msg->msg_iov[0].iov_len);
      } else {
        sqe->opcode = op == OpType::Recv ? IORING_OP_RECVMSG : IORING_OP_SENDMSG;
        sqe->addr = reinterpret_cast<uint64_t>(msg);
        sqe->len = 1;
      }
      sqe->msg_flags = op == OpType::Send ? MSG_NOSIGNAL : 0;
      // The next recv is posted as soon as the last one completed, when the
      // socket is almost always empty: POLL_FIRST arms the poll at once instead
      // of trying a recv bound to fail first (where the kernel has it: RingMode).
      if (op == OpType::Recv && mode_->pollFirst) sqe->ioprio = IORING_RECVSEND_POLL_FIRST;
      sqe->user_data = (static_cast<uint64_t>(op) << kOpShift) | key;
    });
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
  // calloc: zero pages, resident only for the slots that receive (see RecvState).
  struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<RecvState[], FreeDeleter> recv_;
  std::unique_ptr<msghdr[]> recvMsg_;
  std::unique_ptr<msghdr[]> sendMsg_;
  const uint64_t id_;
  const RingMode* mode_ = &kPlainRing;
  std::string recvMode_;  // for tuning()
  std::atomic<uint32_t> claimNext_{0};
  std::atomic<uint32_t> userNext_{0};
};

}  // namespace

std::unique_ptr<CompletionPort> createIoUringPort(uint32_t capacity, uint32_t workers, std::string* error,
                                                  uint32_t recvBuffers) {
  std::unique_ptr<IoUringPort> port(new IoUringPort(capacity ? capacity : 1, workers ? workers : 1));
  std::string why = port->setup(recvBuffers);
  if (!why.empty()) {
    if (error) *error = why;
    return nullptr;
  }
  return port;
}

}  // namespace lanstress
