/**
 * The pool's open-loop schedule: items armed for a due time (ns) are handed back once that time
 * has come, at the first advance() at or after it, never before. Slots are one millisecond each,
 * so arming and firing cost the items due, not a scan of them all.
 *
 * The current millisecond's slot is scanned at every advance() and an item there waits only
 * until its own due time, not for the millisecond to end: latency runs from the due time, so
 * firing a whole tick late put up to a millisecond of the fleet's own timer granularity into
 * every corrected figure.
 */

/** What the wheel keeps on an item: the tick (ms) it is armed for or -1, and its due time. */
export interface WheelItem {
  armedTick: number;
  armedDueNs: number;
}

export class TimingWheel<T extends WheelItem> {
  private slots: T[][];
  private spare: T[] = [];
  /** The current millisecond: the ticks before it are done, its slot is partly done. */
  private tick: number;

  /** slotCount: a power of two; due times further ahead wait in the last slot and are re-armed from there. */
  constructor(startNs: number, private readonly slotCount = 1024) {
    if (slotCount < 2 || (slotCount & (slotCount - 1)) !== 0) throw new RangeError(`slotCount ${slotCount} is not a power of two ≥ 2`);
    this.slots = Array.from({ length: slotCount }, () => []);
    this.tick = Math.floor(startNs / 1e6);
  }

  /** Arms item for dueNs, replacing any earlier arming (a stale slot entry is skipped by its tick). */
  arm(item: T, dueNs: number): void {
    let t = Math.floor(dueNs / 1e6);
    if (t < this.tick) t = this.tick;
    else if (t - this.tick >= this.slotCount) t = this.tick + this.slotCount - 1;
    item.armedDueNs = dueNs;
    if (item.armedTick === t) return;
    item.armedTick = t;
    this.slots[t & (this.slotCount - 1)]!.push(item);
  }

  /** Calls fire(item, nowNs) for every item due by nowNs, once each, in tick order. fire may arm again. */
  advance(nowNs: number, fire: (item: T, nowNs: number) => void): void {
    const nowMs = Math.floor(nowNs / 1e6);
    for (let t = this.tick; t <= nowMs; t++) {
      this.tick = t;
      this.fireSlot(t, nowNs, fire);
    }
  }

  private fireSlot(tick: number, nowNs: number, fire: (item: T, nowNs: number) => void): void {
    const i = tick & (this.slotCount - 1);
    const list = this.slots[i]!;
    if (list.length === 0) return;
    // Whatever is armed into this slot meanwhile (by fire, or an item not due yet) goes to a fresh list.
    this.slots[i] = this.spare;
    for (const item of list) {
      if (item.armedTick !== tick) continue;
      item.armedTick = -1;
      // Later this millisecond, or parked in the last slot: armed again where it belongs now.
      if (item.armedDueNs > nowNs) this.arm(item, item.armedDueNs);
      else fire(item, nowNs);
    }
    list.length = 0;
    this.spare = list;
  }
}
