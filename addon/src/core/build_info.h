// What this build of the core is, so a report of a sanitizer or fault build
// says so (addon/Makefile FLAVOR= and FAULT=). Read from the core's own
// compile (build_info.cpp), where the sanitizers and the fault switch act.
// The standalone prints it (--build-info, the listening line); the binding's
// buildInfo() returns it.
#pragma once

#include <string>
#include <vector>

namespace lanstress {

struct BuildInfo {
  const char* flavor;               // release | asan | tsan: the sanitizer the compiler instrumented for
  const char* buildType;            // Release | Debug: NDEBUG or not
  std::string flags;                // the compiler flags that change behaviour
  std::string compiler;             // e.g. "g++ 12.2.0"
  std::vector<std::string> faults;  // the fault switches on (faults.h): at most one per FAULT= build
};
const BuildInfo& buildInfo();

// The members (no braces) of the standalone's JSON: "build":"release","faults":[...].
std::string buildInfoJsonMembers(const BuildInfo& b);

}  // namespace lanstress
