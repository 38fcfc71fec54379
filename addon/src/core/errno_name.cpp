#include "errno_name.h"

#include <errno.h>

namespace lanstress {

const char* errnoName(int err) {
  switch (err) {
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case ENOBUFS: return "ENOBUFS";
    case ENOSYS: return "ENOSYS";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case EBUSY: return "EBUSY";
    case ECONNRESET: return "ECONNRESET";
    case ECONNABORTED: return "ECONNABORTED";
    case EPIPE: return "EPIPE";
    case ENOTCONN: return "ENOTCONN";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EALREADY: return "EALREADY";
#ifdef ESHUTDOWN  // not in the Windows CRT
    case ESHUTDOWN: return "ESHUTDOWN";
#endif
    case ECANCELED: return "ECANCELED";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case ENOENT: return "ENOENT";
    default: return "EIO";
  }
}

}  // namespace lanstress
