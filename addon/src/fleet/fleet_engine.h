// The fleet's native socket engine: the client connections of one fleet worker thread on one
// edge-triggered epoll set, with no knowledge of Node (the binding, addon/src/binding/
// fleet_binding.cpp, hooks fd() into the thread's libuv loop and hands poll()'s batches to JS).
//
// Why: through Node's `net`, user space cost ~5.7 us per verified echo, mostly the stream
// machinery around each read and write. Here a loop wake-up is one poll(): every readable socket
// is read into one shared batch buffer and described by one Record, so JS runs once per wake-up.
//
// Threading: an Engine is used by one thread only (its worker's JS thread); nothing is atomic.
//
// Connection ids are small integers, slots of a table. A freed id is not reused before the next
// poll() begins, so a record of the batch JS is still walking never names a newer connection.
//
// Linux only (epoll); on other platforms the binding reports the engine unavailable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <sys/socket.h>

struct epoll_event;

namespace lanstress::fleet {

// What a Record reports. Layout of a Record: four int32 {id, kind, offset, value}.
enum class EventKind : int32_t {
  Connected = 1,  // the connect completed; offset, value 0
  Data = 2,       // value bytes arrived, at batch[offset, offset + value)
  Drain = 3,      // everything queued by write() has gone to the kernel
  Closed = 4,     // the socket is gone: value 0 after the peer's FIN, -errno on an error; the id is freed
};

struct Record {
  int32_t id;
  int32_t kind;
  int32_t offset;
  int32_t value;
};
static_assert(sizeof(Record) == 16, "JS reads records as an Int32Array, four per record");

class Engine {
 public:
  // batch and records are views owned by the caller (the binding keeps JS's buffers alive).
  Engine(uint8_t* batch, size_t batchBytes, Record* records, size_t maxRecords);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The epoll fd: readable whenever poll() has something to report.
  int fd() const { return epfd_; }
  // Non-blocking connect to dst (from src when srcLen > 0). Returns the id; a failure is reported
  // as a Closed record by the next poll(), as `net` reports it on a later tick. -errno if no socket.
  int connect(const sockaddr* dst, socklen_t dstLen, const sockaddr* src, socklen_t srcLen);
  // Sends now; what the kernel does not take is copied and sent when the socket is writable.
  // Returns the bytes still queued (0: all sent), or -1 for an id that is not open.
  long write(int id, const uint8_t* data, size_t len);
  // Graceful close: FIN once the queued bytes are sent; reading goes on until the peer closes.
  void end(int id);
  // Stops reading (the kernel's receive buffer fills and the peer's sends stall) / reads again.
  void pause(int id);
  void resume(int id);
  // Closes now, queued bytes dropped; abortive sends an RST (SO_LINGER 0). No record follows.
  void destroy(int id, bool abortive);
  // Fills the records with what happened since the last call; returns how many (0: nothing).
  size_t poll();
  // Sockets open (connecting included).
  size_t open() const { return open_; }

 private:
  struct Conn {
    int fd = -1;
    bool connecting = false;
    bool paused = false;
    bool endPending = false;  // end() asked while bytes were queued: FIN after them
    bool carry = false;       // in carry_: its last read filled what was asked, more may wait
    std::vector<uint8_t> out;  // bytes the kernel did not take yet, from outOff on
    size_t outOff = 0;
  };

  Conn* get(int id);
  int allocId();
  void freeId(int id);
  void closeConn(int id, bool abortive);
  void defer(int id, int32_t err);
  void wake();
  bool push(int id, EventKind kind, int32_t offset, int32_t value);
  void onWritable(int id, Conn& c);
  void onConnectDone(int id, Conn& c);
  // Reads one socket into the batch; false when the batch or the records are full.
  bool readInto(int id, Conn& c, bool drainFully);
  void setInterest(Conn& c, bool reading);
  void handle(const epoll_event* events, int n);

  int epfd_ = -1;
  int wakefd_ = -1;
  bool woken_ = false;
  uint8_t* batch_;
  size_t batchBytes_;
  size_t batchUsed_ = 0;
  Record* records_;
  size_t maxRecords_;
  size_t count_ = 0;
  size_t open_ = 0;
  std::vector<Conn> conns_;
  std::vector<int> free_;        // reusable ids
  std::vector<int> quarantine_;  // freed during this batch: reusable from the next poll()
  std::vector<int> carry_;       // sockets to read again before new events
  std::vector<std::pair<int, int32_t>> deferred_;  // Closed records owed (connect or write errors)
};

}  // namespace lanstress::fleet
