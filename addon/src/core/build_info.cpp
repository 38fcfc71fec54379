#include "build_info.h"

#include <string>

namespace lanstress {
namespace {

// GCC predefines __SANITIZE_*__; Clang answers __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define LANSTRESS_ASAN 1
#elif defined(__SANITIZE_THREAD__)
#define LANSTRESS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LANSTRESS_ASAN 1
#elif __has_feature(thread_sanitizer)
#define LANSTRESS_TSAN 1
#endif
#endif

BuildInfo make() {
  BuildInfo b;
#if defined(LANSTRESS_ASAN)
  b.flavor = "asan";
#elif defined(LANSTRESS_TSAN)
  b.flavor = "tsan";
#else
  b.flavor = "release";
#endif
#ifdef NDEBUG
  b.buildType = "Release";
#else
  b.buildType = "Debug";
#endif
  b.flags = "-std=c++17";
#ifdef __OPTIMIZE__
  b.flags += " -O2";
#endif
#ifdef NDEBUG
  b.flags += " -DNDEBUG";
#endif
#ifdef LANSTRESS_ASAN
  b.flags += " -fsanitize=address";
#endif
#ifdef LANSTRESS_TSAN
  b.flags += " -fsanitize=thread";
#endif
#ifdef LANSTRESS_FAULT
  b.flags += " -DLANSTRESS_FAULT_" LANSTRESS_FAULT;
  b.faults.push_back(LANSTRESS_FAULT);
#endif
#if defined(_MSC_VER)
  b.compiler = "msvc " + std::to_string(_MSC_FULL_VER);  // MSVC has no __VERSION__ (binding.gyp on Windows)
#else
  b.compiler = "g++ " __VERSION__;
#endif
  return b;
}

}  // namespace

const BuildInfo& buildInfo() {
  static const BuildInfo info = make();
  return info;
}

std::string buildInfoJsonMembers(const BuildInfo& b) {
  std::string faults;
  for (const std::string& f : b.faults) faults += (faults.empty() ? "\"" : ",\"") + f + "\"";
  return std::string("\"build\":\"") + b.flavor + "\",\"faults\":[" + faults + "]";
}

}  // namespace lanstress
