// The fault matrix: every deliberate one-line break that a FAULT= build can
// switch on (addon/Makefile: make FAULT=NAME defines LANSTRESS_FAULT_NAME=1
// and LANSTRESS_FAULT="NAME"). A shipped build has none of them.
//
// This list is read by the Makefile (which names it accepts), by the standalone
// (which it reports) and by test/scenarios/fault-matrix.test.ts, which builds
// each one and proves that the CI gate command of the README fails on it, run
// on the backend the fault lives in, and passes on the clean build. So a fault
// added here without a gate that catches it fails the test suite.
//
//   X(NAME, backend it lives in (any | epoll | io_uring | iocp), what it breaks)
//
// An iocp fault is caught under Wine by test/addon/iocp-wine.test.ts (the
// Linux matrix skips it: iocp is not on this kernel).
//
// The second list holds faults on paths the gate's traffic cannot reach: a
// buffer ring of 1024 runs dry only far beyond the gate's load. A core test
// drives each such path on purpose, and test/addon/core.test.ts builds each of
// these faults and proves that test fails on it (the gate's matrix leaves them out):
//
//   Y(NAME, backend it lives in, what it breaks, the core test that catches it)
//
// The #ifdef of each NAME sits at the line it breaks; grep for LANSTRESS_FAULT_NAME.
#pragma once

#define LANSTRESS_FAULT_LIST(X)                                                                               \
  X(SKIP_RELEASE_FLAG_CHECK, any, "I2: acquire ignores the release flag and release skips the 0 -> flag swap")  \
  X(RELEASE_SWAP_BLIND, any, "I2: the last decRef sets the release flag with a blind store, not the CAS from 0") \
  X(ACQUIRE_SLOT_ONLY, any, "I2/I5: acquire compares only the slot bits of an id, not its generation")         \
  X(ACCEPT_NO_COUNT, any, "I1: the accept thread drops its count before posting the first recv")               \
  X(SEND_ERROR_DOUBLE_DECREF, any, "I1: a failed send completion drops its count twice")                       \
  X(RELEASE_WITH_PENDING_SEND, any, "I3: a peer close releases the session while a send is still in flight")   \
  X(KICK_CLOSES_SOCKET, any, "I3: disconnect closes the socket at once instead of shutdown (close before release)") \
  X(SKIP_SHUTDOWN_ON_DISCONNECT, any, "I3: disconnect marks the session but never shuts the socket down")      \
  X(RECYCLE_BEFORE_CLOSE, any, "I3/I5: release puts the slot back on the free list before closing and dropping") \
  X(PUBLISH_BEFORE_FILL, any, "I5: accept publishes the session id before the socket is stored in the slot")   \
  X(RELEASE_KEEPS_QUEUED_BYTES, any, "release leaves queuedBytes set: the slot's next sessions start over budget") \
  X(LEAK_SEND_QUEUE, any, "release forgets the packets still queued (a leak)")                                 \
  X(NO_SENDFLAG_RECHECK, any, "I4: after clearing sendFlag nobody re-checks the queue (a stranded send)")       \
  X(COLLECT_LIFO, any, "I4: a gathered send takes the queued packets newest first")                             \
  X(SHORT_WRITE_COUNTED_SENT, any, "a short write counts the partly written packet as sent")                    \
  X(NO_SEND_QUEUE_LIMIT, any, "sendQueueLimit is never enforced: a slow reader grows the queue without bound")  \
  X(RING_WRAP_SHORT, any, "a packet that wraps the receive ring is handed out one byte short")                  \
  X(FRAMER_EARLY, any, "the framer hands out a packet one byte before it is complete")                          \
  X(ZERO_LENGTH_DROPPED, any, "an empty packet (length 0) is consumed and never handed out")                     \
  X(MAX_PAYLOAD_IS_VIOLATION, any, "a packet of exactly maxPayload bytes is treated as a protocol violation")  \
  X(EPOLL_REARM_DROPS_OUT, epoll, "a send that hit EAGAIN is dropped instead of waiting for the output edge (lost wake-up)") \
  X(URING_FAILED_SEND_STAYS_PENDING, io_uring, "a failed send's completion leaves the send marked pending")    \
  X(URING_SHORT_SEND_AS_FULL, io_uring, "a short send completion is reported as if every byte had gone out")    \
  X(URING_CANCEL_DROPS_HELD, io_uring, "a socket's multishot cancelled at the held limit gives its held buffers back unread") \
  X(IOCP_SKIP_PORT_ON_SUCCESS, iocp, "FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, yet an operation done at once is left to the port (two paths)")

#define LANSTRESS_CORE_FAULT_LIST(Y)                                                                          \
  Y(URING_ENOBUFS_REARMS, io_uring, "a recv whose multishot found the buffer ring dry re-arms it instead of a plain RECV", uring_recv_test)
