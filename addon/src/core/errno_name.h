#pragma once

namespace lanstress {

// "EADDRINUSE" for EADDRINUSE...: the string `code` errors carry (as Node does).
const char* errnoName(int err);

}  // namespace lanstress
