// Session ids: 64-bit, never reused in the life of the process (seed 001).
//
// Layout (also the completion key the backends carry, see completion_port.h):
//
//    63 62 61                                      24 23                   0
//   +-----+------------------------------------------+---------------------+
//   | 0 0 |            generation (38 bits)          |  slot index (24)    |
//   +-----+------------------------------------------+---------------------+
//
//  - slot index: position in the SessionTable's fixed array (up to 16M slots).
//  - generation: per slot, starts at 1 and grows by one at every reuse of the
//    slot, so id 0 is never a valid id (generation 0 does not exist).
//  - bits 62-63 are always 0 in an id; a backend that must squeeze the op type
//    into one 64-bit word (io_uring user_data) stores it there.
//
// Wrap: a slot whose generation would pass the table's maximum generation
// (kMaxGeneration unless a test asks for less) is RETIRED: it never goes back
// on the free list. Ids therefore never repeat; the price is one slot of
// capacity per 2^38-1 reuses of that one slot.
#pragma once

#include <cstdint>

namespace lanstress {

struct SessionId {
  static constexpr unsigned kSlotBits = 24;
  static constexpr unsigned kGenerationBits = 38;
  static constexpr uint64_t kSlotMask = (uint64_t{1} << kSlotBits) - 1;
  static constexpr uint64_t kMaxGeneration = (uint64_t{1} << kGenerationBits) - 1;
  static constexpr uint32_t kMaxSlots = uint32_t{1} << kSlotBits;
  static constexpr uint64_t kInvalid = 0;

  static constexpr uint64_t make(uint32_t slot, uint64_t generation) {
    return (generation << kSlotBits) | (uint64_t{slot} & kSlotMask);
  }
  static constexpr uint32_t slot(uint64_t id) { return static_cast<uint32_t>(id & kSlotMask); }
  static constexpr uint64_t generation(uint64_t id) { return (id >> kSlotBits) & kMaxGeneration; }
  // True for every id the table could ever have issued (non-zero generation, top bits clear).
  static constexpr bool wellFormed(uint64_t id) {
    return generation(id) != 0 && (id >> (kSlotBits + kGenerationBits)) == 0;
  }
};

static_assert(SessionId::kSlotBits + SessionId::kGenerationBits == 62, "two top bits stay free for op tags");

}  // namespace lanstress
