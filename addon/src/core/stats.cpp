#include "stats.h"

#include "session_table.h"

namespace lanstress {

namespace {

// writeStats' Writer for one line of JSON.
class JsonWriter {
 public:
  std::string out;
  void begin(const char* key) { open(key, '{'); }
  void end() { close('}'); }
  void beginArray(const char* key) { open(key, '['); }
  void endArray() { close(']'); }
  void number(const char* key, uint64_t v) { put(key, std::to_string(v)); }
  void text(const char* key, const std::string& v) { put(key, "\"" + v + "\""); }
  void flag(const char* key, bool v) { put(key, v ? "true" : "false"); }
  void null(const char* key) { put(key, "null"); }

 private:
  void name(const char* key) {
    if (!first_) out += ',';
    first_ = false;
    if (key) out += std::string("\"") + key + "\":";
  }
  void put(const char* key, const std::string& value) {
    name(key);
    out += value;
  }
  void open(const char* key, char bracket) {
    name(key);
    out += bracket;
    first_ = true;
  }
  void close(char bracket) {
    out += bracket;
    first_ = false;
  }
  bool first_ = true;
};

}  // namespace

std::string statsJsonMembers(const ServerStats& s) {
  JsonWriter w;
  writeStats(s, w);
  return w.out;
}

void tallySlots(const SessionTable& table, ServerStats* st) {
  st->zombies.clear();
  table.forEachView([st](uint32_t, const SlotView* v) {
    if (!v) return;
    if (v->ioCount) ++st->pendingIoSessions;
    if (v->reason) ++st->disconnectingSessions;
    if (v->stranded()) ++st->strandedSessions;
    if (v->reason && v->ioCount && st->zombies.size() < kMaxZombies) {
      Zombie z;
      z.id = v->id;
      z.ioCount = v->ioCount;
      z.disconnecting = true;
      z.sendFlag = v->sendFlag;
      z.reason = static_cast<DisconnectReason>(v->reason);
      st->zombies.push_back(z);
    }
  });
}

}  // namespace lanstress
