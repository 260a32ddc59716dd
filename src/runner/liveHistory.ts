import type { RunEvent, RunEventType } from '../core/train/events';

/**
 * How many events of a type a live history keeps before it halves them. These are the types a
 * run sends without bound (every step, epoch and checkpoint of a run that may go on for days);
 * the views draw at most a few hundred loss points and a thousand epochs, so a history this
 * size looks the same. A realistic run (under 10,000 epochs) keeps every epoch.
 */
export const LIVE_HISTORY_LIMITS: Readonly<Partial<Record<RunEventType, number>>> = { step: 4_000, epoch: 10_000, checkpoint: 100 };

interface Lane {
  /** Keep one event of this type in `stride` (doubles each time the lane is halved). */
  stride: number;
  seen: number;
  kept: number;
}

/**
 * A followed run's events, in order, for the panels and inline hints opened while it runs. The
 * run's `events.jsonl` keeps everything; in memory, the unbounded types are thinned evenly (one
 * in two, then one in four, ...) so that a run of any length costs the extension host bounded
 * memory and a bounded fold. The latest event of each thinned type is always present (the
 * epoch a card shows, the current step), at the end, until a later one replaces it.
 */
export class LiveHistory {
  private readonly kept: RunEvent[] = [];
  private readonly lanes = new Map<RunEventType, Lane>();
  /** The latest event of each thinned type that its stride skipped, in arrival order. */
  private pending: RunEvent[] = [];

  constructor(private readonly limits: Readonly<Partial<Record<RunEventType, number>>> = LIVE_HISTORY_LIMITS) {}

  add(event: RunEvent): void {
    const limit = this.limits[event.type];
    if (limit === undefined) {
      // Kept in order after the skipped latest events it came after.
      this.kept.push(...this.pending, event);
      this.pending = [];
      return;
    }
    let lane = this.lanes.get(event.type);
    if (!lane) this.lanes.set(event.type, (lane = { stride: 1, seen: 0, kept: 0 }));
    this.pending = this.pending.filter((e) => e.type !== event.type);
    if (lane.seen++ % lane.stride !== 0) {
      this.pending.push(event);
      return;
    }
    this.kept.push(event);
    if (++lane.kept > limit) this.halve(event.type, lane);
  }

  /** The events kept, in order (a new array only while a skipped latest event is pending). */
  get events(): readonly RunEvent[] {
    return this.pending.length ? [...this.kept, ...this.pending] : this.kept;
  }

  private halve(type: RunEventType, lane: Lane): void {
    let i = 0;
    let write = 0;
    for (const e of this.kept) if (e.type !== type || i++ % 2 === 0) this.kept[write++] = e;
    this.kept.length = write;
    lane.kept = Math.ceil(lane.kept / 2);
    lane.stride *= 2;
  }
}
