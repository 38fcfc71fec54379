// Thin N-API binding over lanstress::LanServer (node-addon-api, C++ exceptions
// disabled: every failure becomes a pending JS exception and an early return).
//
// Events: server threads never call JS. Hooks append to one queue under a
// short mutex and schedule ONE thread-safe-function call per batch; the call
// drains the whole queue on the JS thread. One queue keeps each session's
// events in order (accept before its recv events before its release).
#include <napi.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../core/lan_server.h"

namespace {

using lanstress::Backend;
using lanstress::DisconnectReason;
using lanstress::Framing;
using lanstress::LanServerOptions;
using lanstress::Mode;

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
  std::vector<Event> take() {
    std::lock_guard<std::mutex> lk(mu_);
    scheduled_ = false;
    std::vector<Event> out;
    out.swap(queue_);
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
  void onRecv(uint64_t id, const uint8_t* payload, size_t len) override {
    Event e{Event::Recv};
    e.id = id;
    e.bytes.assign(payload, payload + len);
    push(std::move(e));
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
    queue_.push_back(std::move(e));
    if (!scheduled_ && alive_) {
      // NonBlockingCall never waits for JS; napi_closing after release is fine (stop drains inline).
      if (tsfn_.NonBlockingCall() == napi_ok) scheduled_ = true;
    }
  }

  std::mutex mu_;
  std::vector<Event> queue_;
  bool scheduled_ = false;
  bool alive_ = false;
  EventTsfn tsfn_;
};

Napi::Error withCode(Napi::Error err, const std::string& code) {
  err.Set("code", Napi::String::New(err.Env(), code));
  return err;
}

void throwType(Napi::Env env, const std::string& msg) {
  withCode(Napi::TypeError::New(env, msg), "ERR_INVALID_ARG_TYPE").ThrowAsJavaScriptException();
}

// Reads ServerOptions; missing fields keep the defaults. Collects every problem.
class OptionReader {
 public:
  OptionReader(Napi::Object obj, LanServerOptions* out) : obj_(obj), o_(out) {}

  void u32(const char* name, uint32_t* field) {
    double v;
    if (number(name, &v)) {
      if (v < 0 || v > 4294967295.0 || v != static_cast<double>(static_cast<uint64_t>(v))) {
        rangeProblems.push_back(std::string("options.") + name + " must be a non-negative integer");
      } else {
        *field = static_cast<uint32_t>(v);
      }
    }
  }
  void u64(const char* name, uint64_t* field) {
    double v;
    if (number(name, &v)) {
      if (v < 0 || v > 9007199254740991.0 || v != static_cast<double>(static_cast<uint64_t>(v))) {
        rangeProblems.push_back(std::string("options.") + name + " must be a non-negative integer");
      } else {
        *field = static_cast<uint64_t>(v);
      }
    }
  }
  void dbl(const char* name, double* field) { number(name, field); }
  void boolean(const char* name, bool* field) {
    Napi::Value v = obj_.Get(name);
    if (v.IsUndefined()) return;
    if (!v.IsBoolean()) {
      typeProblems.push_back(std::string("options.") + name + " must be a boolean");
      return;
    }
    *field = v.As<Napi::Boolean>().Value();
  }
  bool str(const char* name, std::string* field) {
    Napi::Value v = obj_.Get(name);
    if (v.IsUndefined()) return false;
    if (!v.IsString()) {
      typeProblems.push_back(std::string("options.") + name + " must be a string");
      return false;
    }
    *field = v.As<Napi::String>().Utf8Value();
    return true;
  }
  void list(const char* name, std::vector<std::string>* field) {
    Napi::Value v = obj_.Get(name);
    if (v.IsUndefined()) return;
    if (!v.IsArray()) {
      typeProblems.push_back(std::string("options.") + name + " must be an array of strings");
      return;
    }
    Napi::Array a = v.As<Napi::Array>();
    field->clear();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Value item = a.Get(i);
      if (!item.IsString()) {
        typeProblems.push_back(std::string("options.") + name + "[" + std::to_string(i) + "] must be a string");
        continue;
      }
      field->push_back(item.As<Napi::String>().Utf8Value());
    }
  }

  std::vector<std::string> typeProblems;
  std::vector<std::string> rangeProblems;

 private:
  bool number(const char* name, double* out) {
    Napi::Value v = obj_.Get(name);
    if (v.IsUndefined()) return false;
    if (!v.IsNumber()) {
      typeProblems.push_back(std::string("options.") + name + " must be a number");
      return false;
    }
    *out = v.As<Napi::Number>().DoubleValue();
    return true;
  }

  Napi::Object obj_;
  LanServerOptions* o_;
};

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : "; ") + s;
  return out;
}

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
    // Finalizer (GC or environment teardown): no JS may run, so nothing is scheduled.
    if (events_) events_->detach();
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
    OptionReader r(info[0].As<Napi::Object>(), &o);
    r.str("host", &o.host);
    r.u32("port", &o.port);
    r.u32("workers", &o.workers);
    r.u32("maxSessions", &o.maxSessions);
    r.u32("maxPayload", &o.maxPayload);
    r.u64("sendQueueLimit", &o.sendQueueLimit);
    r.u32("backlog", &o.backlog);
    r.u32("room", &o.room);
    r.dbl("kick", &o.kick);
    r.u32("echoDelayUs", &o.echoDelayUs);
    r.u64("seed", &o.seed);
    r.u32("sendBuffer", &o.sendBuffer);
    r.boolean("probes", &o.probes);
    r.list("allow", &o.allow);
    r.list("deny", &o.deny);
    std::string s;
    if (r.str("backend", &s) && !lanstress::parseBackend(s, &o.backend)) {
      r.rangeProblems.push_back("options.backend must be 'auto', 'epoll' or 'io_uring' (got '" + s + "')");
    }
    if (r.str("mode", &s)) {
      if (s == "echo") o.mode = Mode::Echo;
      else if (s == "broadcast") o.mode = Mode::Broadcast;
      // js mode without an onRecv handler has nobody to answer: it echoes natively.
      else if (s == "js") o.mode = events_->wantRecv ? Mode::Callback : Mode::Echo;
      else r.rangeProblems.push_back("options.mode must be 'echo', 'broadcast' or 'js' (got '" + s + "')");
    }
    if (r.str("framing", &s)) {
      if (s == "lan") o.framing = Framing::Lan;
      else if (s == "raw") o.framing = Framing::Raw;
      else r.rangeProblems.push_back("options.framing must be 'lan' or 'raw' (got '" + s + "')");
    }
    if (!r.typeProblems.empty()) {
      throwType(env, joined(r.typeProblems));
      return env.Undefined();
    }
    for (const lanstress::OptionProblem& p : lanstress::validateOptions(o)) {
      r.rangeProblems.push_back("options." + p.field + " " + p.message);
    }
    if (!r.rangeProblems.empty()) {
      withCode(Napi::RangeError::New(env, joined(r.rangeProblems)), "ERR_INVALID_ARG_VALUE")
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
    Napi::Env env = info.Env();
    lanstress::ServerStats st = server_->stats();
    auto n = [&env](uint64_t v) { return Napi::Number::New(env, static_cast<double>(v)); };
    Napi::Object o = Napi::Object::New(env);
    o.Set("accepted", n(st.accepted));
    Napi::Object rejected = Napi::Object::New(env);
    rejected.Set("full", n(st.rejectedFull));
    rejected.Set("denied", n(st.rejectedDenied));
    o.Set("rejected", rejected);
    o.Set("released", n(st.released));
    o.Set("sessions", n(st.sessions));
    o.Set("peakSessions", n(st.peakSessions));
    o.Set("recvPackets", n(st.recvPackets));
    o.Set("recvBytes", n(st.recvBytes));
    o.Set("sendPackets", n(st.sendPackets));
    o.Set("sendBytes", n(st.sendBytes));
    Napi::Object d = Napi::Object::New(env);
    for (int i = 0; i < lanstress::kReasonCount; ++i) {
      d.Set(lanstress::reasonName(static_cast<DisconnectReason>(i + 1)), n(st.disconnects[i]));
    }
    o.Set("disconnects", d);
    o.Set("staleIdCalls", n(st.staleIdCalls));
    o.Set("probeCalls", n(st.probeCalls));
    Napi::Object a = Napi::Object::New(env);
    a.Set("doubleRelease", n(st.doubleRelease));
    a.Set("ioCountUnderflow", n(st.ioCountUnderflow));
    a.Set("releaseWithPendingIo", n(st.releaseWithPendingIo));
    a.Set("staleIdAccepted", n(st.staleIdAccepted));
    a.Set("strandedSend", n(st.strandedSend));
    a.Set("releaseStalled", n(st.releaseStalled));
    a.Set("dirtySlot", n(st.dirtySlot));
    o.Set("anomalies", a);
    o.Set("pendingIoSessions", n(st.pendingIoSessions));
    o.Set("disconnectingSessions", n(st.disconnectingSessions));
    o.Set("strandedSessions", n(st.strandedSessions));
    o.Set("livePackets", n(st.livePackets));
    o.Set("freeSlots", n(st.freeSlots));
    Napi::Array zombies = Napi::Array::New(env, st.zombies.size());
    for (size_t i = 0; i < st.zombies.size(); ++i) {
      const lanstress::Zombie& z = st.zombies[i];
      Napi::Object zo = Napi::Object::New(env);
      zo.Set("id", Napi::String::New(env, std::to_string(z.id)));  // 64 bits: a string, as in the JSON lines
      zo.Set("ioCount", n(z.ioCount));
      zo.Set("disconnecting", Napi::Boolean::New(env, z.disconnecting));
      zo.Set("sendFlag", Napi::Boolean::New(env, z.sendFlag));
      zo.Set("reason", z.reason == DisconnectReason::None ? env.Null()
                                                          : Napi::String::New(env, lanstress::reasonName(z.reason)));
      zombies.Set(static_cast<uint32_t>(i), zo);
    }
    o.Set("zombies", zombies);
    return o;
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

std::string buildFlags() {
  std::string f = "-std=c++17";
#ifdef __OPTIMIZE__
  f += " -O2";
#endif
#ifdef NDEBUG
  f += " -DNDEBUG";
#endif
#ifdef __SANITIZE_ADDRESS__
  f += " -fsanitize=address";
#endif
#ifdef __SANITIZE_THREAD__
  f += " -fsanitize=thread";
#endif
#ifdef LANSTRESS_FAULT
  f += " -DLANSTRESS_FAULT_" LANSTRESS_FAULT;
#endif
  f += " -DNAPI_DISABLE_CPP_EXCEPTIONS (g++ " __VERSION__ ")";
  return f;
}

Napi::Value AvailableBackends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<Backend> list = lanstress::availableBackends();
  Napi::Array out = Napi::Array::New(env, list.size());
  for (uint32_t i = 0; i < list.size(); ++i) out.Set(i, lanstress::backendName(list[i]));
  return out;
}

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
#ifdef NDEBUG
  o.Set("buildType", "Release");
#else
  o.Set("buildType", "Debug");
#endif
  o.Set("flags", buildFlags());
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("LanServer", LanServerWrap::Init(env));
  exports.Set("availableBackends", Napi::Function::New(env, AvailableBackends));
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo));
  return exports;
}

}  // namespace

NODE_API_MODULE(lanserver, Init)
