// Thin N-API binding over lanstress::LanServer (node-addon-api, C++ exceptions
// disabled: every failure becomes a pending JS exception and an early return).
//
// Events: server threads never call JS. Hooks append to one queue under a
// short mutex and schedule ONE thread-safe-function call per batch; the call
// drains the whole queue on the JS thread. One queue keeps each session's
// events in order (accept before its recv events before its release).
//
// Backpressure (js mode): a JavaScript onRecv slower than the network would
// grow that queue without bound, a copy of every packet received. So a worker
// that finds more than kMaxQueuedRecvs packets or kMaxQueuedRecvBytes bytes
// waiting for the JS thread waits until the JS thread takes the queue: it
// stops receiving meanwhile, the sockets' kernel buffers fill and TCP slows
// the peers down. Each such wait counts in handlerWaits. stop() and the
// finalizer end every wait first (a worker waiting on a JS thread that is
// inside stop() would never be released). Accept, release and error events
// never wait: there is at most one of each per session.
#include <napi.h>

#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../core/build_info.h"
#include "../core/lan_server.h"
#ifndef _WIN32
#include "fleet_binding.h"
#endif

namespace {

using lanstress::Backend;
using lanstress::DisconnectReason;
using lanstress::LanServerOptions;
using lanstress::Mode;
using lanstress::OptionSpec;
using lanstress::OptionType;

struct Event {
  enum Kind : uint8_t { Accept, Release, Recv, Error };
  explicit Event(Kind k) : kind(k) {}
  Kind kind;
  uint64_t id = 0;
  uint16_t port = 0;
  DisconnectReason reason = DisconnectReason::None;
  std::string text;     // accept: ip; error: code
  std::string message;  // error
  std::vector<uint8_t> bytes;
};

// What may wait for the JS thread before a worker stops receiving: a handler
// that keeps up never comes near (it takes each batch as it forms), and a
// slow one holds at most this much (twice: the batch it is running and the
// next), whatever the peers send.
constexpr size_t kMaxQueuedRecvs = 1024;
constexpr size_t kMaxQueuedRecvBytes = 4u << 20;

class LanServerWrap;
void callJs(Napi::Env env, Napi::Function, LanServerWrap* self, void*);
using EventTsfn = Napi::TypedThreadSafeFunction<LanServerWrap, void, callJs>;

// Hooks -> batched queue -> thread-safe function.
class EventQueue final : public lanstress::LanServerHooks {
 public:
  bool wantAccept = false, wantRelease = false, wantRecv = false, wantError = false;

  void attach(EventTsfn tsfn) {
    std::lock_guard<std::mutex> lk(mu_);
    tsfn_ = tsfn;
    alive_ = true;
  }
  // After this no call is scheduled; events still queue and are drained by whoever calls take().
  void detach() {
    std::lock_guard<std::mutex> lk(mu_);
    alive_ = false;
  }
  // For good: no worker waits for the JS thread any more (stop, finalizer).
  void stopWaiting() {
    std::lock_guard<std::mutex> lk(mu_);
    noWait_ = true;
    room_.notify_all();
  }
  std::vector<Event> take() {
    std::lock_guard<std::mutex> lk(mu_);
    scheduled_ = false;
    std::vector<Event> out;
    out.swap(queue_);
    queuedRecvs_ = 0;
    queuedRecvBytes_ = 0;
    room_.notify_all();
    return out;
  }

  void onAccept(uint64_t id, const char* ip, uint16_t port) override {
    if (!wantAccept) return;
    Event e{Event::Accept};
    e.id = id;
    e.text = ip;
    e.port = port;
    push(std::move(e));
  }
  void onRelease(uint64_t id, DisconnectReason reason) override {
    if (!wantRelease) return;
    Event e{Event::Release};
    e.id = id;
    e.reason = reason;
    push(std::move(e));
  }
  bool onRecv(uint64_t id, const uint8_t* payload, size_t len) override {
    Event e{Event::Recv};
    e.id = id;
    e.bytes.assign(payload, payload + len);
    std::unique_lock<std::mutex> lk(mu_);
    bool waited = false;
    while (alive_ && !noWait_ && (queuedRecvs_ >= kMaxQueuedRecvs || queuedRecvBytes_ >= kMaxQueuedRecvBytes)) {
      waited = true;
      room_.wait(lk);
    }
    queuedRecvs_ += 1;
    queuedRecvBytes_ += len;
    pushLocked(std::move(e));
    return waited;
  }
  void onError(const char* code, const std::string& message) override {
    if (!wantError) return;
    Event e{Event::Error};
    e.text = code;
    e.message = message;
    push(std::move(e));
  }

 private:
  void push(Event&& e) {
    std::lock_guard<std::mutex> lk(mu_);
    pushLocked(std::move(e));
  }
  void pushLocked(Event&& e) {
    queue_.push_back(std::move(e));
    if (!scheduled_ && alive_) {
      // NonBlockingCall never waits for JS; napi_closing after release is fine (stop drains inline).
      if (tsfn_.NonBlockingCall() == napi_ok) scheduled_ = true;
    }
  }

  std::mutex mu_;
  std::condition_variable room_;  // take() emptied the queue, or stopWaiting()
  std::vector<Event> queue_;
  size_t queuedRecvs_ = 0;
  size_t queuedRecvBytes_ = 0;
  bool scheduled_ = false;
  bool alive_ = false;
  bool noWait_ = false;
  EventTsfn tsfn_;
};

Napi::Error withCode(Napi::Error err, const std::string& code) {
  err.Set("code", Napi::String::New(err.Env(), code));
  return err;
}

void throwType(Napi::Env env, const std::string& msg) {
  withCode(Napi::TypeError::New(env, msg), "ERR_INVALID_ARG_TYPE").ThrowAsJavaScriptException();
}

// Reads ServerOptions through the core's option table (server_options.h):
// missing keys keep the defaults; every problem is collected. A value of the
// wrong JS type is a type problem, a value out of range a range problem.
struct OptionProblems {
  std::vector<std::string> type;
  std::vector<std::string> range;
};

OptionProblems readOptions(Napi::Object obj, LanServerOptions* o) {
  OptionProblems p;
  for (const OptionSpec& spec : lanstress::optionTable()) {
    Napi::Value v = obj.Get(spec.name);
    if (v.IsUndefined()) continue;
    const std::string key = std::string("options.") + spec.name;
    std::string problem;
    switch (spec.type()) {
      case OptionType::Integer:
      case OptionType::Number:
        if (!v.IsNumber()) {
          p.type.push_back(key + " must be a number");
          continue;
        }
        problem = lanstress::setOptionFromNumber(spec, v.As<Napi::Number>().DoubleValue(), o);
        break;
      case OptionType::Switch:
        if (!v.IsBoolean()) {
          p.type.push_back(key + " must be a boolean");
          continue;
        }
        lanstress::setOptionSwitch(spec, v.As<Napi::Boolean>().Value(), o);
        break;
      case OptionType::Text:
      case OptionType::Choice:
        if (!v.IsString()) {
          p.type.push_back(key + " must be a string");
          continue;
        }
        problem = lanstress::setOptionFromText(spec, v.As<Napi::String>().Utf8Value(), o);
        break;
      case OptionType::List: {
        if (!v.IsArray()) {
          p.type.push_back(key + " must be an array of strings");
          continue;
        }
        Napi::Array a = v.As<Napi::Array>();
        std::vector<std::string> items;
        for (uint32_t i = 0; i < a.Length(); ++i) {
          Napi::Value item = a.Get(i);
          if (item.IsString()) items.push_back(item.As<Napi::String>().Utf8Value());
          else p.type.push_back(key + "[" + std::to_string(i) + "] must be a string");
        }
        lanstress::setOptionList(spec, std::move(items), o);
        break;
      }
    }
    if (!problem.empty()) p.range.push_back(key + " " + problem);
  }
  return p;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : "; ") + s;
  return out;
}

// lanstress::writeStats' Writer for the JS object stats() returns: the same
// keys and nesting as the standalone's JSON lines (core/stats.h).
class StatsObjectWriter {
 public:
  explicit StatsObjectWriter(Napi::Env env) : env_(env) { open_.push_back({Napi::Object::New(env), false, 0}); }
  Napi::Object result() const { return open_.front().target; }
  void begin(const char* key) { push(key, Napi::Object::New(env_), false); }
  void beginArray(const char* key) { push(key, Napi::Array::New(env_), true); }
  void end() { open_.pop_back(); }
  void endArray() { open_.pop_back(); }
  void number(const char* key, uint64_t v) { put(key, Napi::Number::New(env_, static_cast<double>(v))); }
  void text(const char* key, const std::string& v) { put(key, Napi::String::New(env_, v)); }
  void flag(const char* key, bool v) { put(key, Napi::Boolean::New(env_, v)); }
  void null(const char* key) { put(key, env_.Null()); }

 private:
  struct Open {
    Napi::Object target;
    bool array;
    uint32_t next;  // the next index, in an array
  };
  void put(const char* key, Napi::Value v) {
    Open& o = open_.back();
    if (o.array) o.target.Set(o.next++, v);
    else o.target.Set(key, v);
  }
  void push(const char* key, Napi::Object child, bool array) {
    put(key, child);
    open_.push_back({child, array, 0});
  }
  Napi::Env env_;
  std::vector<Open> open_;
};

class LanServerWrap final : public Napi::ObjectWrap<LanServerWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "LanServer",
                       {
                           InstanceMethod<&LanServerWrap::Start>("start"),
                           InstanceMethod<&LanServerWrap::Stop>("stop"),
                           InstanceMethod<&LanServerWrap::SendPacket>("sendPacket"),
                           InstanceMethod<&LanServerWrap::Disconnect>("disconnect"),
                           InstanceMethod<&LanServerWrap::Stats>("stats"),
                           InstanceAccessor<&LanServerWrap::SessionCount>("sessionCount"),
                       });
  }

  explicit LanServerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LanServerWrap>(info) {
    Napi::Env env = info.Env();
    events_.reset(new EventQueue());
    if (info.Length() > 0 && !info[0].IsUndefined() && !info[0].IsNull()) {
      if (!info[0].IsObject()) {
        throwType(env, "handlers must be an object");
        return;
      }
      Napi::Object h = info[0].As<Napi::Object>();
      if (!handler(h, "onAccept", &onAccept_, &events_->wantAccept)) return;
      if (!handler(h, "onRelease", &onRelease_, &events_->wantRelease)) return;
      if (!handler(h, "onRecv", &onRecv_, &events_->wantRecv)) return;
      if (!handler(h, "onError", &onError_, &events_->wantError)) return;
    }
    server_.reset(new lanstress::LanServer(events_.get()));
  }

  ~LanServerWrap() override {
    // Finalizer (GC or environment teardown): no JS may run, so nothing is scheduled and nobody waits for it.
    if (events_) {
      events_->detach();
      events_->stopWaiting();
    }
    if (server_) server_->stop();
  }

 private:
  bool handler(Napi::Object h, const char* name, Napi::FunctionReference* ref, bool* want) {
    Napi::Value v = h.Get(name);
    if (v.IsUndefined()) return true;
    if (!v.IsFunction()) {
      throwType(Env(), std::string("handlers.") + name + " must be a function");
      return false;
    }
    *ref = Napi::Persistent(v.As<Napi::Function>());
    *want = true;
    return true;
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      throwType(env, "options must be an object");
      return env.Undefined();
    }
    LanServerOptions o;
    OptionProblems problems = readOptions(info[0].As<Napi::Object>(), &o);
    // js mode without an onRecv handler has nobody to answer: it echoes natively.
    if (o.mode == Mode::Callback && !events_->wantRecv) o.mode = Mode::Echo;
    if (!problems.type.empty()) {
      throwType(env, joined(problems.type));
      return env.Undefined();
    }
    for (const lanstress::OptionProblem& p : lanstress::validateOptions(o)) {
      problems.range.push_back("options." + p.field + " " + p.message);
    }
    if (!problems.range.empty()) {
      withCode(Napi::RangeError::New(env, joined(problems.range)), "ERR_INVALID_ARG_VALUE")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (server_->running()) {
      withCode(Napi::Error::New(env, "the server is already running"), "EALREADY").ThrowAsJavaScriptException();
      return env.Undefined();
    }

    // The thread-safe function keeps the event loop alive while serving and
    // holds this object (Ref) until its own finalizer runs, so no scheduled
    // call can outlive the wrapper.
    EventTsfn tsfn = EventTsfn::New(env, "lanserver.events", 0, 1, this,
                                    [](Napi::Env, void*, LanServerWrap* self) { self->Unref(); });
    Ref();
    events_->attach(tsfn);
    tsfn_ = tsfn;

    lanstress::ListenInfo li;
    lanstress::ServerError err;
    bool ok = false;
    try {
      ok = server_->start(o, &li, &err);
    } catch (const std::exception& e) {
      err = lanstress::ServerError{"EIO", e.what()};
    }
    if (!ok) {
      events_->detach();
      tsfn_.Release();
      withCode(Napi::Error::New(env, err.message + " (" + err.code + ")"), err.code).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("host", li.host);
    out.Set("port", Napi::Number::New(env, li.port));
    out.Set("backend", lanstress::backendName(li.backend));
    return out;
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    bool wasRunning = server_->running();
    // This thread is the JS thread: a worker waiting for it to take the queue would hold stop() forever.
    if (wasRunning) events_->stopWaiting();
    try {
      server_->stop();
    } catch (const std::exception& e) {
      withCode(Napi::Error::New(env, std::string("stop: ") + e.what()), "EIO").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!wasRunning) return env.Undefined();
    // Every release (reason stopping) is queued by now: deliver them before
    // stop() returns, so onRelease has fired once per onAccept.
    events_->detach();
    tsfn_.Release();
    dispatch(env);
    return env.Undefined();
  }

  static bool bigintId(const Napi::CallbackInfo& info, uint64_t* id) {
    if (info.Length() < 1 || !info[0].IsBigInt()) {
      throwType(info.Env(), "id must be a bigint");
      return false;
    }
    bool lossless = false;
    *id = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
    // A negative or over-wide bigint cannot name a session: it is a stale id, not a type error.
    if (!lossless) *id = 0;
    return true;
  }

  Napi::Value SendPacket(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t id;
    if (!bigintId(info, &id)) return env.Undefined();
    if (info.Length() < 2 || !info[1].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throwType(env, "payload must be a Uint8Array or Buffer");
      return env.Undefined();
    }
    Napi::Uint8Array payload = info[1].As<Napi::Uint8Array>();
    if (payload.ByteLength() > lanstress::kLanMaxPayload) {
      withCode(Napi::RangeError::New(env, "payload is longer than 65535 bytes"), "ERR_OUT_OF_RANGE")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    bool ok = false;
    try {
      ok = server_->sendPacket(id, payload.Data(), payload.ByteLength());
    } catch (const std::exception& e) {
      withCode(Napi::Error::New(env, std::string("sendPacket: ") + e.what()), "ENOMEM").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Boolean::New(env, ok);
  }

  Napi::Value Disconnect(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t id;
    if (!bigintId(info, &id)) return env.Undefined();
    return Napi::Boolean::New(env, server_->disconnect(id));
  }

  Napi::Value SessionCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(server_->sessionCount()));
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    StatsObjectWriter w(info.Env());
    lanstress::writeStats(server_->stats(), w);
    return w.result();
  }

 public:
  // Runs the queued events on the JS thread. A handler that throws does not
  // stop the batch: the first exception is re-thrown once the batch is done.
  void dispatch(Napi::Env env) {
    std::vector<Event> batch = events_->take();
    if (batch.empty()) return;
    Napi::HandleScope scope(env);
    Napi::Value first;
    auto call = [&](Napi::FunctionReference& fn, std::initializer_list<napi_value> args) {
      if (fn.IsEmpty()) return;
      fn.Call(Value(), args);
      if (env.IsExceptionPending()) {
        Napi::Error e = env.GetAndClearPendingException();
        if (first.IsEmpty()) first = e.Value();
      }
    };
    for (Event& e : batch) {
      Napi::HandleScope inner(env);
      switch (e.kind) {
        case Event::Accept:
          call(onAccept_, {Napi::BigInt::New(env, e.id), Napi::String::New(env, e.text), Napi::Number::New(env, e.port)});
          break;
        case Event::Release:
          call(onRelease_, {Napi::BigInt::New(env, e.id), Napi::String::New(env, lanstress::reasonName(e.reason))});
          break;
        case Event::Recv:
          call(onRecv_, {Napi::BigInt::New(env, e.id), Napi::Buffer<uint8_t>::Copy(env, e.bytes.data(), e.bytes.size())});
          break;
        case Event::Error:
          call(onError_, {Napi::String::New(env, e.text), Napi::String::New(env, e.message)});
          break;
      }
    }
    if (!first.IsEmpty()) Napi::Error(env, first).ThrowAsJavaScriptException();
  }

 private:
  std::unique_ptr<EventQueue> events_;
  std::unique_ptr<lanstress::LanServer> server_;
  EventTsfn tsfn_;
  Napi::FunctionReference onAccept_, onRelease_, onRecv_, onError_;
};

void callJs(Napi::Env env, Napi::Function, LanServerWrap* self, void*) {
  // env is null when the function is torn down with the environment: nothing may run then.
  if (env != nullptr && self != nullptr) self->dispatch(env);
}

Napi::Value AvailableBackends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<Backend> list = lanstress::availableBackends();
  Napi::Array out = Napi::Array::New(env, list.size());
  for (uint32_t i = 0; i < list.size(); ++i) out.Set(i, lanstress::backendName(list[i]));
  return out;
}

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  const lanstress::BuildInfo& b = lanstress::buildInfo();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("buildType", b.buildType);
  o.Set("flags", b.flags + " -DNAPI_DISABLE_CPP_EXCEPTIONS (" + b.compiler + ")");
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("LanServer", LanServerWrap::Init(env));
  exports.Set("availableBackends", Napi::Function::New(env, AvailableBackends));
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo));
#ifndef _WIN32
  exports.Set("FleetEngine", lanstress::fleet::InitFleetEngine(env));
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(lanserver, Init)
