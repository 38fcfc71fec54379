#include "completion_port.h"

namespace lanstress {

std::unique_ptr<CompletionPort> createIoUringPort(uint32_t, uint32_t, std::string* error) {
  if (error) *error = "io_uring backend not built yet";
  return nullptr;
}

}  // namespace lanstress
