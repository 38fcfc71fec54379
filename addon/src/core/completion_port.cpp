#include "completion_port.h"

namespace lanstress {

const char* backendName(Backend b) {
  switch (b) {
    case Backend::Auto: return "auto";
    case Backend::Epoll: return "epoll";
    case Backend::IoUring: return "io_uring";
    case Backend::Iocp: return "iocp";
  }
  return "?";
}

bool parseBackend(const std::string& s, Backend* out) {
  if (s == "auto") *out = Backend::Auto;
  else if (s == "epoll") *out = Backend::Epoll;
  else if (s == "io_uring") *out = Backend::IoUring;
  else if (s == "iocp") *out = Backend::Iocp;
  else return false;
  return true;
}

#ifdef _WIN32
// Windows has one backend, the completion port; epoll and io_uring are not compiled in.
std::vector<Backend> availableBackends() { return {Backend::Iocp}; }

std::unique_ptr<CompletionPort> createCompletionPort(Backend wanted, uint32_t capacity, uint32_t workers,
                                                     std::string* log, std::string* error, uint32_t uringBuffers) {
  (void)uringBuffers;  // io_uring's alone
  if (wanted == Backend::Epoll || wanted == Backend::IoUring) {
    if (error) *error = std::string(backendName(wanted)) + " is Linux only (this build has iocp)";
    return nullptr;
  }
  std::unique_ptr<CompletionPort> port = createIocpPort(capacity, workers, error);
  if (port && log) *log = wanted == Backend::Iocp ? "backend iocp (asked for)" : "backend iocp (auto: Windows)";
  return port;
}

#else

std::vector<Backend> availableBackends() {
  std::vector<Backend> out;
  std::string ignored;
  if (createIoUringPort(1, 1, &ignored)) out.push_back(Backend::IoUring);
  out.push_back(Backend::Epoll);
  return out;
}

std::unique_ptr<CompletionPort> createCompletionPort(Backend wanted, uint32_t capacity, uint32_t workers,
                                                     std::string* log, std::string* error, uint32_t uringBuffers) {
  if (wanted == Backend::Iocp) {
    if (error) *error = "iocp is Windows only (build it with make TARGET=windows)";
    return nullptr;
  }
  if (wanted == Backend::IoUring) {
    std::unique_ptr<CompletionPort> port = createIoUringPort(capacity, workers, error, uringBuffers);
    if (port && log) *log = "backend io_uring (asked for; " + port->tuning() + ")";
    return port;
  }
  if (wanted == Backend::Epoll) {
    std::unique_ptr<CompletionPort> port = createEpollPort(capacity, error);
    if (port && log) *log = "backend epoll (asked for)";
    return port;
  }
  std::string why;
  std::unique_ptr<CompletionPort> port = createIoUringPort(capacity, workers, &why, uringBuffers);
  if (port) {
    if (log) *log = "backend io_uring (auto: kernel supports it; " + port->tuning() + ")";
    return port;
  }
  port = createEpollPort(capacity, error);
  if (port && log) *log = "backend epoll (auto: io_uring unavailable: " + why + ")";
  return port;
}

#endif  // _WIN32

}  // namespace lanstress
