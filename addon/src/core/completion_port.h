// One completion-port interface (the IOCP model) over every backend.
//
// A caller posts operations (postRecv, postSend) that complete LATER on a
// worker thread blocked in wait(), exactly as WSARecv/WSASend complete through
// GetQueuedCompletionStatus. Nothing completes inside the post call: even when
// the data is already there, the completion is delivered by wait() (a backend
// may do the I/O at once when a worker posts, and hand its completion to that
// worker's next wait()). Every posted op produces exactly one completion. That
// keeps the session logic above identical on every backend.
//
// Backends (one file each, chosen at run time by createCompletionPort):
//   epoll_port.cpp     epoll driven as a proactor (always on Linux)
//   io_uring_port.cpp  io_uring through raw syscalls (Linux, when the kernel allows)
//   iocp_port.cpp      a Windows I/O completion port (the seeds' own; Windows only)
//
// Completion key (64 bits). The key of a socket is its session id
// (session_id.h), so a completion names the session it belongs to:
//
//    63 62 61                                      24 23                   0
//   +-----+------------------------------------------+---------------------+
//   | op  |            generation (38 bits)          |  slot index (24)    |
//   +-----+------------------------------------------+---------------------+
//
//   op (2 bits) is 0 in a key. Backends that carry a single 64-bit word per
//   operation (io_uring user_data) store the OpType there; epoll keeps the op
//   in its per-socket state, IOCP in the OVERLAPPED it posts (iocp_port.cpp).
//   Backends find their per-socket state by the slot bits and compare the
//   whole key, so an event that outlives its session
//   (slot recycled under a new generation) is recognised and dropped.
//   User completions (postUser) carry any key the caller chose; the session
//   layer uses key 0 (never a session id) for "quit".
//
// Buffers: the iovec array and the memory it points to belong to the caller
// and must stay valid until the operation's completion is delivered (the rule
// of an OVERLAPPED). At most one recv and one send may be pending per socket.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "platform.h"

namespace lanstress {

// Iocp last: the option table's choice list runs Auto..Iocp (server_options.cpp).
enum class Backend : uint8_t { Auto, Epoll, IoUring, Iocp };

const char* backendName(Backend b);
bool parseBackend(const std::string& s, Backend* out);

enum class OpType : uint8_t { User = 0, Recv = 1, Send = 2 };

constexpr unsigned kOpShift = 62;
constexpr uint64_t kKeyMask = (uint64_t{1} << kOpShift) - 1;

struct Completion {
  uint64_t key;
  OpType op;
  // Recv/Send: bytes transferred (0 on recv = peer closed) or -errno.
  // User: the value given to postUser.
  int64_t result;
};

class CompletionPort {
 public:
  virtual ~CompletionPort() = default;
  virtual Backend backend() const = 0;
  // How the backend set itself up, for the log line that names the backend
  // ("" when there is nothing to say; io_uring: the ring flags the kernel took).
  virtual std::string tuning() const { return ""; }

  // Registers a connected non-blocking socket under its key. Returns 0 or -errno.
  virtual int associate(SocketHandle fd, uint64_t key) = 0;
  // Forgets the socket; call after its last completion and before close().
  virtual void dissociate(SocketHandle fd, uint64_t key) = 0;

  // Return 0 when the operation is posted (its completion WILL arrive), or -errno
  // when it could not be posted (no completion will arrive).
  virtual int postRecv(SocketHandle fd, uint64_t key, const iovec* iov, int iovcnt) = 0;
  virtual int postSend(SocketHandle fd, uint64_t key, const iovec* iov, int iovcnt) = 0;
  // PostQueuedCompletionStatus: wakes one waiter with {key, User, value}.
  virtual int postUser(uint64_t key, int64_t value) = 0;
  // After the session layer's shutdown of a disconnected socket: makes what is
  // still pending on it complete now (IOCP: CancelIoEx). epoll and io_uring
  // need nothing more, shutdown alone completes their pending operations.
  virtual void cancelIo(SocketHandle fd, uint64_t key) {
    (void)fd;
    (void)key;
  }

  // Blocks up to timeoutMs (-1 = forever) for completions; fills at most max
  // (max >= 2). Returns how many were filled (0 on timeout) or -errno.
  virtual int wait(Completion* out, int max, int timeoutMs) = 0;

  // Debug view used by the release check: is an operation still pending on the socket?
  virtual bool hasPendingIo(uint64_t key) const = 0;
};

// io_uring's provided buffers (4 KiB each) per ring, for its multishot recv
// (io_uring_port.cpp): the default, and the range a power of two must lie in.
// 0 asks for a plain RECV per posted recv, as on a kernel without multishot recv.
constexpr uint32_t kDefaultUringBuffers = 1024;
constexpr uint32_t kMinUringBuffers = 8;      // kMaxHeld: one socket that stops reading may hold that many
constexpr uint32_t kMaxUringBuffers = 32768;  // the kernel's limit on a buffer ring's entries

// 0, or a power of two (the ring's index is a mask) in [kMinUringBuffers, kMaxUringBuffers].
constexpr bool uringBuffersValid(uint32_t n) {
  return n == 0 || (n >= kMinUringBuffers && n <= kMaxUringBuffers && (n & (n - 1)) == 0);
}

// capacity = number of session slots (keys' slot bits are below it).
std::unique_ptr<CompletionPort> createEpollPort(uint32_t capacity, std::string* error);
std::unique_ptr<CompletionPort> createIoUringPort(uint32_t capacity, uint32_t workers, std::string* error,
                                                  uint32_t recvBuffers = kDefaultUringBuffers);
std::unique_ptr<CompletionPort> createIocpPort(uint32_t capacity, uint32_t workers, std::string* error);

// Backends compiled in and usable on this kernel, best first.
std::vector<Backend> availableBackends();

// Resolves Auto to the best available backend; the choice (and why) goes to *log.
// uringBuffers: createIoUringPort's recvBuffers, when the backend is io_uring.
std::unique_ptr<CompletionPort> createCompletionPort(Backend wanted, uint32_t capacity, uint32_t workers,
                                                     std::string* log, std::string* error,
                                                     uint32_t uringBuffers = kDefaultUringBuffers);

}  // namespace lanstress
