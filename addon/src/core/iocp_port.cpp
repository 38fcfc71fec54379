// The seeds' own platform: a Windows I/O completion port.
//
// Every accepted socket is associated with ONE port (CreateIoCompletionPort)
// under its completion key; postRecv is a WSARecv over the ring's two WSABUFs
// (the free space, wrapped or not), postSend one gathered WSASend (the session
// keeps one in flight, I4); workers dequeue completions in batches with
// GetQueuedCompletionStatusEx; postUser is PostQueuedCompletionStatus (the
// "quit" of stop() included); cancelIo is CancelIoEx after the session layer's
// shutdown, so a pending receive of a kicked session completes even if the
// peer never closes.
//
// One path for every completion (seed 001): the sockets are NOT marked
// FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, so an operation that completes at once
// (WSARecv/WSASend returning 0) still queues its completion packet, exactly as
// one that returned WSA_IO_PENDING. post* ignores the bytes an immediate
// success reports and leaves the completion to wait(). An immediate failure
// (a peer that reset before the receive was posted: WSAECONNRESET at once)
// queues no packet, so post* queues one itself (PostQueuedCompletionStatus with
// the operation's own OVERLAPPED, the error kept in the IoOp): the session
// layer sees that failure through wait() like any other, and a reset is a
// peer reset, not an I/O error of the post. Nothing completes inline; post*
// returns -errno only when not even that packet can be queued.
//
// Completion key (ULONG_PTR, 64 bits), given at association:
//
//    63 62 61                                      24 23                   0
//   +-----+------------------------------------------+---------------------+
//   | 00  |            generation (38 bits)          |  slot index (24)    |
//   +-----+------------------------------------------+---------------------+
//   = the session id (session_id.h). kUserTag (all ones, op bits 11) is never
//   a socket's key: it marks a PostQueuedCompletionStatus packet (postUser).
//
// OVERLAPPED layout (the lpOverlapped a completion hands back):
//
//   struct IoOp {                     per slot, one for the recv, one for the send
//     OVERLAPPED ov;                  FIRST member: lpOverlapped == (OVERLAPPED*)IoOp*
//     uint64_t   key;                 the session id the operation was posted for
//     OpType     op;                  Recv or Send (the key carries no op bits here)
//     DWORD      flags;               WSARecv's in/out flags: the stack will not do, the
//                                     stack may write them when the receive completes
//     int        failedAtOnce;        errno of a post that failed at once (its packet
//                                     queued by post itself), else 0
//   };
//   The WSABUF array itself is built on the stack of post(): Winsock captures
//   it before WSARecv/WSASend return (documented; Wine copies it likewise), so
//   only the memory the buffers point to (the ring, the queued packets) must
//   live until the completion, as for every backend.
//   struct UserOp { OVERLAPPED ov; uint64_t key; int64_t value; }   heap, postUser
//
// The recv and send IoOps of a slot live in the port, like io_uring's msghdr,
// and must not be touched until their completion is dequeued (the OVERLAPPED
// rule). A user packet carries a 64-bit key and a 64-bit value, more than the
// 32-bit dwNumberOfBytesTransferred holds, so they ride in a UserOp that the
// waiter frees.
//
// Errors: a completion's status is the NTSTATUS its packet carries
// (OVERLAPPED_ENTRY::Internal, what GetQueuedCompletionStatus turns into its
// last error), never the OVERLAPPED's own Internal: the packet is complete
// when dequeued, the OVERLAPPED may be written by the stack a moment later.
// It is mapped to an errno value (platform.h: a reset peer is -ECONNRESET, a
// cancelled operation -ECANCELED).
#ifdef _WIN32

#include <atomic>
#include <cstring>
#include <memory>

#include "completion_port.h"
#include "platform.h"
#include "session.h"
#include "session_id.h"

namespace lanstress {
namespace {

constexpr ULONG_PTR kUserTag = ~ULONG_PTR{0};
constexpr ULONG kMaxDequeue = 64;

struct IoOp {
  OVERLAPPED ov;
  uint64_t key;
  OpType op;
  DWORD flags;
  int failedAtOnce;
};

struct UserOp {
  OVERLAPPED ov;
  uint64_t key;
  int64_t value;
};

// One per session slot. socket/key are written by associate (the accept
// thread, before the first post) and read by the posting threads, which got
// the session through the table's acquire/publish (release/acquire): plain
// fields suffice.
struct alignas(64) SlotState {
  SocketHandle socket = kInvalidSocket;
  uint64_t key = 0;
  // bit 1: a recv is pending, bit 2: a send is pending (hasPendingIo).
  std::atomic<uint8_t> pending{0};
  IoOp recv;
  IoOp send;
};

class IocpPort final : public CompletionPort {
 public:
  IocpPort(HANDLE port, uint32_t capacity) : port_(port), capacity_(capacity), slots_(new SlotState[capacity]) {}

  ~IocpPort() override {
    // Drop the user packets nobody dequeued (a port torn down with posts in it).
    OVERLAPPED_ENTRY e[kMaxDequeue];
    ULONG n = 0;
    while (::GetQueuedCompletionStatusEx(port_, e, kMaxDequeue, &n, 0, FALSE) && n > 0) {
      for (ULONG i = 0; i < n; ++i) {
        if (e[i].lpCompletionKey == kUserTag) delete reinterpret_cast<UserOp*>(e[i].lpOverlapped);
      }
    }
    ::CloseHandle(port_);
  }

  Backend backend() const override { return Backend::Iocp; }

  int associate(SocketHandle s, uint64_t key) override {
    SlotState* st = state(key);
    if (!st) return -EINVAL;
    // Overlapped calls never block, whatever the mode; the accepted socket
    // inherited the listener's non-blocking mode, which under some stacks
    // turns an overlapped call that must wait into WSAEWOULDBLOCK instead of
    // WSA_IO_PENDING. Blocking mode keeps "post, complete later" on every stack.
    u_long off = 0;
    if (::ioctlsocket(s, FIONBIO, &off) != 0) return -platform::lastSocketError();
    if (::CreateIoCompletionPort(reinterpret_cast<HANDLE>(s), port_, static_cast<ULONG_PTR>(key), 0) != port_) {
      return -platform::errnoFromSystem(::GetLastError());
    }
#ifdef LANSTRESS_FAULT_IOCP_SKIP_PORT_ON_SUCCESS
    // fault: an operation that completes at once now queues no packet, but post()
    // still leaves it to wait() (the second path seed 001 warns about, half taken).
    ::SetFileCompletionNotificationModes(reinterpret_cast<HANDLE>(s), FILE_SKIP_COMPLETION_PORT_ON_SUCCESS);
#endif
    st->socket = s;
    st->key = key;
    st->pending.store(0, std::memory_order_relaxed);
    return 0;
  }

  // A handle stays associated for life; closing the socket (at release) ends it.
  void dissociate(SocketHandle, uint64_t key) override {
    SlotState* st = state(key);
    if (!st || st->key != key) return;
    st->socket = kInvalidSocket;
    st->key = 0;
  }

  int postRecv(SocketHandle s, uint64_t key, const iovec* iov, int iovcnt) override {
    return post(s, key, iov, iovcnt, OpType::Recv);
  }
  int postSend(SocketHandle s, uint64_t key, const iovec* iov, int iovcnt) override {
    return post(s, key, iov, iovcnt, OpType::Send);
  }

  int postUser(uint64_t key, int64_t value) override {
    UserOp* u = new UserOp{};
    u->key = key;
    u->value = value;
    if (!::PostQueuedCompletionStatus(port_, 0, kUserTag, &u->ov)) {
      int e = platform::errnoFromSystem(::GetLastError());
      delete u;
      return -e;
    }
    return 0;
  }

  // The socket was shut down by the session layer; cancel what is still
  // pending so its completion (ERROR_OPERATION_ABORTED) comes now, not when
  // the peer gets round to closing.
  void cancelIo(SocketHandle s, uint64_t) override { ::CancelIoEx(reinterpret_cast<HANDLE>(s), nullptr); }

  int wait(Completion* out, int max, int timeoutMs) override {
    if (max < 1) return -EINVAL;
    OVERLAPPED_ENTRY entries[kMaxDequeue];
    ULONG cap = static_cast<ULONG>(max) < kMaxDequeue ? static_cast<ULONG>(max) : kMaxDequeue;
    ULONG n = 0;
    DWORD timeout = timeoutMs < 0 ? INFINITE : static_cast<DWORD>(timeoutMs);
    if (!::GetQueuedCompletionStatusEx(port_, entries, cap, &n, timeout, FALSE)) {
      DWORD e = ::GetLastError();
      return e == WAIT_TIMEOUT ? 0 : -platform::errnoFromSystem(e);
    }
    int count = 0;
    bool tookUser = false;
    for (ULONG i = 0; i < n; ++i) {
      const OVERLAPPED_ENTRY& e = entries[i];
      if (e.lpCompletionKey == kUserTag) {
        UserOp* u = reinterpret_cast<UserOp*>(e.lpOverlapped);
        // One user completion per waiter, as GetQueuedCompletionStatus hands
        // them out: a batch that caught several passes the rest back to the
        // port for the other waiters (N "quit" posts must reach N workers;
        // the seed re-posts its quit for the same reason).
        if (tookUser && ::PostQueuedCompletionStatus(port_, 0, kUserTag, &u->ov)) continue;
        tookUser = true;
        out[count++] = Completion{u->key, OpType::User, u->value};
        delete u;
        continue;
      }
      IoOp* op = reinterpret_cast<IoOp*>(e.lpOverlapped);  // ov is IoOp's first member
      SlotState* st = state(op->key);
      int64_t result = static_cast<int64_t>(e.dwNumberOfBytesTransferred);
      // The packet's own status (a failure at once carries ours instead: its packet was posted by post()).
      // Internal is an IO_STATUS_BLOCK's Status: a 32-bit NTSTATUS in a pointer-sized union, whose
      // upper half is not defined (Wine leaves it as it was): only the low 32 bits are the status.
      uint32_t status = static_cast<uint32_t>(e.Internal & 0xffffffffu);
      if (op->failedAtOnce != 0) {
        result = -op->failedAtOnce;
      } else if (status != 0) {
        result = -platform::errnoFromNtStatus(status);
      }
      uint8_t bit = op->op == OpType::Recv ? 1 : 2;
      // acq_rel pairs with post()'s fetch_or: the IoOp written by the poster
      // is complete here (the port's own queue orders it already, in memory
      // the language cannot see).
      if (st) st->pending.fetch_and(static_cast<uint8_t>(~bit), std::memory_order_acq_rel);
      out[count++] = Completion{op->key, op->op, result};
    }
    return count;
  }

  bool hasPendingIo(uint64_t key) const override {
    SlotState* st = state(key);
    return st && st->pending.load(std::memory_order_acquire) != 0;
  }

 private:
  SlotState* state(uint64_t key) const {
    uint32_t slot = SessionId::slot(key & kKeyMask);
    return slot < capacity_ ? &slots_[slot] : nullptr;
  }

  int post(SocketHandle s, uint64_t key, const iovec* iov, int iovcnt, OpType type) {
    SlotState* st = state(key);
    if (!st) return -EINVAL;
    if (st->key != key || st->socket != s) return -EBADF;
    if (iovcnt < 1 || iovcnt > kMaxSendIov) return -EINVAL;
    uint8_t bit = type == OpType::Recv ? 1 : 2;
    // One op per direction is the caller's rule (I4 for sends, one recv per
    // session); this check only guards against breaking it.
    if (st->pending.load(std::memory_order_acquire) & bit) return -EBUSY;
    IoOp* op = type == OpType::Recv ? &st->recv : &st->send;
    std::memset(&op->ov, 0, sizeof op->ov);
    op->key = key;
    op->op = type;
    op->failedAtOnce = 0;
    WSABUF bufs[kMaxSendIov];
    for (int i = 0; i < iovcnt; ++i) {
      bufs[i].buf = static_cast<CHAR*>(iov[i].iov_base);
      bufs[i].len = static_cast<ULONG>(iov[i].iov_len);
    }
    // acq_rel publishes the IoOp to the worker that dequeues its completion (see wait()).
    st->pending.fetch_or(bit, std::memory_order_acq_rel);
    op->flags = 0;
    int rc = type == OpType::Recv
                 ? ::WSARecv(s, bufs, static_cast<DWORD>(iovcnt), nullptr, &op->flags, &op->ov, nullptr)
                 : ::WSASend(s, bufs, static_cast<DWORD>(iovcnt), nullptr, 0, &op->ov, nullptr);
    // 0: completed at once, and its packet is queued all the same (one path).
    if (rc == 0) return 0;
    int wsa = ::WSAGetLastError();
    if (wsa == WSA_IO_PENDING) return 0;
    // Failed at once: no packet will come, so queue the failure as one (one path).
    op->failedAtOnce = platform::errnoFromSystem(static_cast<unsigned long>(wsa));
    if (::PostQueuedCompletionStatus(port_, 0, static_cast<ULONG_PTR>(key), &op->ov)) return 0;
    st->pending.fetch_and(static_cast<uint8_t>(~bit), std::memory_order_release);
    return -op->failedAtOnce;
  }

  HANDLE port_;
  uint32_t capacity_;
  std::unique_ptr<SlotState[]> slots_;
};

}  // namespace

std::unique_ptr<CompletionPort> createIocpPort(uint32_t capacity, uint32_t workers, std::string* error) {
  std::string why;
  if (!platform::netStartup(&why)) {
    if (error) *error = why;
    return nullptr;
  }
  // NumberOfConcurrentThreads = workers: the port lets that many run at once, as the seed's Start does.
  HANDLE port = ::CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, workers ? workers : 1);
  if (port == nullptr) {
    if (error) *error = "CreateIoCompletionPort: " + platform::errorText(platform::errnoFromSystem(::GetLastError()));
    return nullptr;
  }
  return std::unique_ptr<CompletionPort>(new IocpPort(port, capacity ? capacity : 1));
}

}  // namespace lanstress

#endif  // _WIN32
