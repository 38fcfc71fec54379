// Thin N-API binding over lanstress::fleet::Engine (addon/src/fleet/): one engine per JS thread
// that creates one (a fleet worker), its epoll fd watched by that thread's libuv loop.
//
//   new FleetEngine(batch: Uint8Array, records: Int32Array, onEvents: (count) => void)
//
// Each loop wake-up on the epoll fd makes one poll() and, if it reported anything, ONE call
// onEvents(count): records[4i .. 4i+3] = {id, kind, offset, value} for i < count (fleet_engine.h),
// the received bytes at batch[offset, offset + value). Both arrays are JS's, kept alive here and
// written only right before the call, so JS reads them in place and must not keep views past it.
// Writes are direct calls (write(id, bytes)): the engine sends at once and copies only what the
// kernel did not take, so JS may reuse its buffer on return.
//
// Errors: bad arguments throw TypeError (code ERR_INVALID_ARG_TYPE); a native failure throws Error
// with the errno's name as `code`.
#include "fleet_binding.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <uv.h>

#include <cstring>
#include <memory>
#include <string>

#include "../core/errno_name.h"
#include "../fleet/fleet_engine.h"

namespace lanstress::fleet {

namespace {

Napi::Error withCode(Napi::Error err, const std::string& code) {
  err.Set("code", Napi::String::New(err.Env(), code));
  return err;
}

void throwType(Napi::Env env, const std::string& msg) {
  withCode(Napi::TypeError::New(env, msg), "ERR_INVALID_ARG_TYPE").ThrowAsJavaScriptException();
}

// An IPv4 or IPv6 literal and a port; false if the text is neither.
bool parseAddress(const std::string& ip, int port, sockaddr_storage* out, socklen_t* len) {
  std::memset(out, 0, sizeof *out);
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

class FleetEngineWrap;

// The uv_poll_t watching the engine's epoll fd, with the environment's async cleanup hook. A worker
// thread that ends unloads this addon after its cleanup hooks; a handle still closing then would
// call back into unmapped code. So the hook is removed only from the close callback: Node waits
// for that before it unloads anything. Allocated apart from the wrap, which may be finalized first.
struct Watch {
  uv_poll_t poll;  // first: the handle's address is the Watch's
  napi_async_cleanup_hook_handle hook = nullptr;
  FleetEngineWrap* owner;
  bool closing = false;

  explicit Watch(FleetEngineWrap* o) : owner(o) {}
  void close();
};

class FleetEngineWrap final : public Napi::ObjectWrap<FleetEngineWrap> {
  friend struct Watch;

 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "FleetEngine",
                       {
                           InstanceMethod<&FleetEngineWrap::Connect>("connect"),
                           InstanceMethod<&FleetEngineWrap::Write>("write"),
                           InstanceMethod<&FleetEngineWrap::End>("end"),
                           InstanceMethod<&FleetEngineWrap::Pause>("pause"),
                           InstanceMethod<&FleetEngineWrap::Resume>("resume"),
                           InstanceMethod<&FleetEngineWrap::Destroy>("destroy"),
                           InstanceMethod<&FleetEngineWrap::Close>("close"),
                       });
  }

  explicit FleetEngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FleetEngineWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
        !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array || !info[2].IsFunction()) {
      throwType(env, "FleetEngine(batch: Uint8Array, records: Int32Array, onEvents: function)");
      return;
    }
    Napi::Uint8Array batch = info[0].As<Napi::Uint8Array>();
    Napi::Int32Array records = info[1].As<Napi::Int32Array>();
    if (batch.ByteLength() < 64 * 1024 || records.ElementLength() < 4 * 64) {
      withCode(Napi::RangeError::New(env, "FleetEngine: batch needs >= 64 KiB, records >= 64 records"), "ERR_OUT_OF_RANGE")
          .ThrowAsJavaScriptException();
      return;
    }
    batchRef_ = Napi::Persistent(batch.As<Napi::Object>());
    recordsRef_ = Napi::Persistent(records.As<Napi::Object>());
    onEvents_ = Napi::Persistent(info[2].As<Napi::Function>());
    context_ = std::make_unique<Napi::AsyncContext>(env, "FleetEngine");
    try {
      engine_ = std::make_unique<Engine>(batch.Data(), batch.ByteLength(), reinterpret_cast<Record*>(records.Data()), records.ElementLength() / 4);
    } catch (const std::exception& e) {
      withCode(Napi::Error::New(env, e.what()), "EIO").ThrowAsJavaScriptException();
      return;
    }
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      withCode(Napi::Error::New(env, "FleetEngine: no libuv loop on this thread"), "EIO").ThrowAsJavaScriptException();
      engine_.reset();
      return;
    }
    watch_ = new Watch(this);
    uv_poll_init(loop, &watch_->poll, engine_->fd());
    uv_poll_start(&watch_->poll, UV_READABLE, &FleetEngineWrap::OnPoll);
    poll_ = &watch_->poll;
    // Keeps the loop alive only while a socket is open (updateRef), as net's handles do.
    uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    napi_add_async_cleanup_hook(env, &FleetEngineWrap::OnEnvCleanup, watch_, &watch_->hook);
  }

  ~FleetEngineWrap() override { shutdown(); }

 private:
  static void OnEnvCleanup(napi_async_cleanup_hook_handle hook, void* arg) {
    auto* w = static_cast<Watch*>(arg);
    w->hook = hook;
    w->close();
  }

  // Stops watching and closes every socket (Watch::close resets engine_).
  void shutdown() {
    if (watch_ != nullptr) watch_->close();
  }

  static void OnPoll(uv_poll_t* handle, int status, int events) {
    auto* w = reinterpret_cast<Watch*>(handle);
    if (w->owner != nullptr) w->owner->deliver();
  }

  void deliver() {
    if (!engine_) return;
    const size_t n = engine_->poll();
    if (n > 0) {
      Napi::Env env = Env();
      Napi::HandleScope scope(env);
      // MakeCallback: process.nextTick and promise jobs run after it, as after any I/O callback.
      onEvents_.MakeCallback(Value(), {Napi::Number::New(env, static_cast<double>(n))}, *context_);
      if (env.IsExceptionPending()) {
        Napi::Error e = env.GetAndClearPendingException();
        napi_fatal_exception(env, e.Value());
      }
    }
    updateRef();
  }

  void updateRef() {
    if (poll_ == nullptr || !engine_) return;
    auto* h = reinterpret_cast<uv_handle_t*>(poll_);
    if (engine_->open() > 0) uv_ref(h);
    else uv_unref(h);
  }

  bool live(Napi::Env env) {
    if (engine_) return true;
    withCode(Napi::Error::New(env, "FleetEngine is closed"), "ERR_FLEET_ENGINE_CLOSED").ThrowAsJavaScriptException();
    return false;
  }

  // info[0] as a connection id; throws TypeError otherwise.
  bool id(const Napi::CallbackInfo& info, int* out) {
    if (info.Length() < 1 || !info[0].IsNumber()) {
      throwType(info.Env(), "id must be a number");
      return false;
    }
    *out = info[0].As<Napi::Number>().Int32Value();
    return true;
  }

  // connect(ip, port, localIp?) -> id
  Napi::Value Connect(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber() || (info.Length() > 2 && !info[2].IsUndefined() && !info[2].IsString())) {
      throwType(env, "connect(ip: string, port: number, localIp?: string)");
      return env.Undefined();
    }
    const int port = info[1].As<Napi::Number>().Int32Value();
    sockaddr_storage dst;
    socklen_t dstLen = 0;
    if (port < 1 || port > 65535 || !parseAddress(info[0].As<Napi::String>().Utf8Value(), port, &dst, &dstLen)) {
      throwType(env, "connect: ip must be an IPv4 or IPv6 literal and port in 1..65535");
      return env.Undefined();
    }
    sockaddr_storage src;
    socklen_t srcLen = 0;
    if (info.Length() > 2 && info[2].IsString() && !parseAddress(info[2].As<Napi::String>().Utf8Value(), 0, &src, &srcLen)) {
      throwType(env, "connect: localIp must be an IPv4 or IPv6 literal");
      return env.Undefined();
    }
    if (!live(env)) return env.Undefined();
    const int r = engine_->connect(reinterpret_cast<sockaddr*>(&dst), dstLen, reinterpret_cast<sockaddr*>(&src), srcLen);
    if (r < 0) {
      withCode(Napi::Error::New(env, std::string("connect: ") + errnoName(-r)), errnoName(-r)).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    updateRef();
    return Napi::Number::New(env, r);
  }

  // write(id, bytes: Uint8Array) -> bytes still queued, or -1 when the connection is gone
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int c;
    if (!id(info, &c)) return env.Undefined();
    if (info.Length() < 2 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throwType(env, "write(id, bytes: Uint8Array)");
      return env.Undefined();
    }
    if (!live(env)) return env.Undefined();
    Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
    return Napi::Number::New(env, static_cast<double>(engine_->write(c, bytes.Data(), bytes.ByteLength())));
  }

  Napi::Value End(const Napi::CallbackInfo& info) {
    int c;
    if (id(info, &c) && live(info.Env())) engine_->end(c);
    return info.Env().Undefined();
  }

  Napi::Value Pause(const Napi::CallbackInfo& info) {
    int c;
    if (id(info, &c) && live(info.Env())) engine_->pause(c);
    return info.Env().Undefined();
  }

  Napi::Value Resume(const Napi::CallbackInfo& info) {
    int c;
    if (id(info, &c) && live(info.Env())) engine_->resume(c);
    return info.Env().Undefined();
  }

  // destroy(id, abortive?: boolean): abortive sends an RST
  Napi::Value Destroy(const Napi::CallbackInfo& info) {
    int c;
    if (!id(info, &c) || !live(info.Env())) return info.Env().Undefined();
    engine_->destroy(c, info.Length() > 1 && info[1].ToBoolean().Value());
    updateRef();
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    shutdown();
    return info.Env().Undefined();
  }

  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Napi::AsyncContext> context_;
  Napi::ObjectReference batchRef_;
  Napi::ObjectReference recordsRef_;
  Napi::FunctionReference onEvents_;
  Watch* watch_ = nullptr;
  uv_poll_t* poll_ = nullptr;  // &watch_->poll while watching
};

void Watch::close() {
  if (closing) return;
  closing = true;
  uv_poll_stop(&poll);
  if (owner != nullptr) {
    // After the stop: libuv no longer watches the epoll fd the engine is about to close.
    owner->engine_.reset();
    owner->watch_ = nullptr;
    owner->poll_ = nullptr;
    owner = nullptr;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&poll), [](uv_handle_t* h) {
    auto* w = reinterpret_cast<Watch*>(h);
    napi_async_cleanup_hook_handle hook = w->hook;
    delete w;
    if (hook != nullptr) napi_remove_async_cleanup_hook(hook);
  });
}

}  // namespace

Napi::Function InitFleetEngine(Napi::Env env) { return FleetEngineWrap::Init(env); }

}  // namespace lanstress::fleet
