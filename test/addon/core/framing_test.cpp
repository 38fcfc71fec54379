// lan framing reassembly: a stream split at every byte boundary, many packets
// in one read, L = 0, L = maxPayload, L = maxPayload + 1, packets across the ring's end.
#include <cstring>
#include <random>
#include <vector>

#include "check.h"
#include "framing.h"

using namespace lanstress;

using Bytes = std::vector<uint8_t>;

static Bytes encode(const std::vector<Bytes>& packets) {
  Bytes wire;
  for (const Bytes& p : packets) {
    uint8_t h[2];
    encodeLanHeader(h, static_cast<uint16_t>(p.size()));
    wire.insert(wire.end(), h, h + 2);
    wire.insert(wire.end(), p.begin(), p.end());
  }
  return wire;
}

struct Fed {
  std::vector<Bytes> packets;
  bool violation = false;
};

// Feeds the wire into a ring in the given chunk sizes, as successive receives
// would (each receive takes at most the ring's free space), draining after each.
static Fed feed(const Bytes& wire, const std::vector<size_t>& cuts, uint32_t maxPayload, size_t capacity) {
  Fed fed;
  RingBuffer rb(capacity);
  std::vector<uint8_t> scratch;
  size_t pos = 0;
  size_t cut = 0;
  while (pos < wire.size() && !fed.violation) {
    size_t want = cut < cuts.size() ? cuts[cut++] : wire.size() - pos;
    if (want > wire.size() - pos) want = wire.size() - pos;
    size_t end = pos + want;
    while (pos < end && !fed.violation) {
      size_t took = rb.write(wire.data() + pos, end - pos);
      pos += took;
      DrainResult r = drainLan(rb, maxPayload, scratch, [&](const uint8_t* p, size_t len) {
        fed.packets.emplace_back(p, p + len);
        return true;
      });
      fed.violation = r.violation;
      if (took == 0 && !r.packets && !r.violation) {
        CHECK(!"a full ring made no progress: capacity below one packet");
        return fed;
      }
    }
  }
  return fed;
}

static void splitAtEveryByte() {
  const uint32_t maxPayload = 300;
  std::vector<Bytes> packets = {Bytes(0), Bytes(1, 0xaa), Bytes(300, 0x11), Bytes(0), Bytes(17, 0x42), Bytes(2, 0xff)};
  for (size_t i = 0; i < packets.size(); ++i) {
    for (size_t j = 0; j < packets[i].size(); ++j) packets[i][j] = static_cast<uint8_t>(i * 31 + j);
  }
  Bytes wire = encode(packets);
  size_t capacity = minRingCapacity(Framing::Lan, maxPayload);
  for (size_t at = 0; at <= wire.size(); ++at) {
    Fed fed = feed(wire, {at}, maxPayload, capacity);
    CHECK(!fed.violation);
    CHECK(fed.packets == packets);
  }
  // Byte by byte.
  Fed fed = feed(wire, std::vector<size_t>(wire.size(), 1), maxPayload, capacity);
  CHECK(fed.packets == packets);
  // A ring just big enough for one packet forces packets across its end.
  Fed tight = feed(wire, std::vector<size_t>(wire.size() / 7 + 1, 7), maxPayload, 2 + maxPayload);
  CHECK(tight.packets == packets);
}

static void manyInOneRead() {
  std::vector<Bytes> packets;
  for (int i = 0; i < 500; ++i) packets.push_back(Bytes(static_cast<size_t>(i % 5), static_cast<uint8_t>(i)));
  Bytes wire = encode(packets);
  RingBuffer rb(wire.size());
  rb.write(wire.data(), wire.size());
  std::vector<uint8_t> scratch;
  std::vector<Bytes> got;
  DrainResult r = drainLan(rb, 100, scratch, [&](const uint8_t* p, size_t len) {
    got.emplace_back(p, p + len);
    return true;
  });
  CHECK_EQ(r.packets, 500u);
  CHECK(got == packets);
  CHECK(rb.empty());
}

static void limits() {
  const uint32_t maxPayload = 1000;
  std::vector<uint8_t> scratch;
  auto run = [&](uint32_t len, Fed* fed) {
    Bytes wire = encode({Bytes(len, 7)});
    *fed = feed(wire, {}, maxPayload, minRingCapacity(Framing::Lan, maxPayload));
  };
  Fed f;
  run(0, &f);
  CHECK(!f.violation);
  CHECK_EQ(f.packets.size(), 1u);
  CHECK_EQ(f.packets[0].size(), 0u);
  run(maxPayload, &f);
  CHECK(!f.violation);
  CHECK_EQ(f.packets.size(), 1u);
  CHECK_EQ(f.packets[0].size(), static_cast<size_t>(maxPayload));
  run(maxPayload + 1, &f);
  CHECK(f.violation);
  CHECK_EQ(f.packets.size(), 0u);

  // A violation is seen from the header alone, before any payload arrives,
  // and the packets before it are delivered first.
  Bytes wire = encode({Bytes(3, 1)});
  wire.push_back(0xff);
  wire.push_back(0xff);
  RingBuffer rb(64);
  rb.write(wire.data(), wire.size());
  std::vector<size_t> lens;
  DrainResult r = drainLan(rb, maxPayload, scratch, [&](const uint8_t*, size_t len) {
    lens.push_back(len);
    return true;
  });
  CHECK(r.violation);
  CHECK_EQ(lens.size(), 1u);
  CHECK_EQ(scanLan(rb, maxPayload).payloadLen, 65535u);

  // The largest payload the wire can carry, at the default-free maximum.
  run(0, &f);
  Bytes big = encode({Bytes(kLanMaxPayload, 9)});
  Fed fb = feed(big, {1, 2, 40000}, kLanMaxPayload, minRingCapacity(Framing::Lan, kLanMaxPayload));
  CHECK(!fb.violation);
  CHECK_EQ(fb.packets.size(), 1u);
}

static void stopEarly() {
  Bytes wire = encode({Bytes(1, 1), Bytes(1, 2), Bytes(1, 3)});
  RingBuffer rb(64);
  rb.write(wire.data(), wire.size());
  std::vector<uint8_t> scratch;
  int calls = 0;
  DrainResult r = drainLan(rb, 10, scratch, [&](const uint8_t*, size_t) { return ++calls < 2; });
  CHECK(r.stopped);
  CHECK_EQ(calls, 2);
  CHECK_EQ(rb.size(), 3u);  // the third packet stays for nobody
}

static void rawChunks() {
  RingBuffer rb(minRingCapacity(Framing::Raw, 0));
  std::vector<uint8_t> scratch;
  rb.write("\xff\xffhello", 7);
  Bytes got;
  DrainResult r = drainRaw(rb, scratch, [&](const uint8_t* p, size_t len) {
    got.assign(p, p + len);
    return true;
  });
  CHECK_EQ(r.packets, 1u);
  CHECK_EQ(got.size(), 7u);
  CHECK(rb.empty());
}

static void randomStreams() {
  std::mt19937 rng(99);
  for (int round = 0; round < 200; ++round) {
    uint32_t maxPayload = rng() % 2000;
    std::vector<Bytes> packets;
    int count = static_cast<int>(rng() % 40);
    for (int i = 0; i < count; ++i) {
      Bytes p(rng() % (maxPayload + 1));
      for (auto& b : p) b = static_cast<uint8_t>(rng());
      packets.push_back(p);
    }
    Bytes wire = encode(packets);
    std::vector<size_t> cuts;
    for (size_t total = 0; total < wire.size();) {
      size_t c = rng() % 3000 + 1;
      cuts.push_back(c);
      total += c;
    }
    Fed fed = feed(wire, cuts, maxPayload, minRingCapacity(Framing::Lan, maxPayload));
    CHECK(!fed.violation);
    CHECK(fed.packets == packets);
  }
}

int main() {
  splitAtEveryByte();
  manyInOneRead();
  limits();
  stopEarly();
  rawChunks();
  randomStreams();
  return check::finish("framing_test");
}
