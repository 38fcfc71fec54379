// The fleet engine's JS class (fleet_binding.cpp); Linux only.
#pragma once

#include <napi.h>

namespace lanstress::fleet {

Napi::Function InitFleetEngine(Napi::Env env);

}  // namespace lanstress::fleet
