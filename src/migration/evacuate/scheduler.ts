/**
 * Who may start next under the two caps (total in flight, in flight per destination), in plan order. A move
 * whose destination is full waits without holding back moves to other destinations. Followed migrations are
 * adopted whatever the caps: they already run, and they count against the caps for what comes next.
 */
export class SlotScheduler<T extends { destination: string | null }> {
  private readonly queue: T[];
  private readonly perDestination = new Map<string, number>();
  private inFlight = 0;
  private stopped = false;

  constructor(
    items: T[],
    private readonly caps: { concurrency: number; maxPerDestination: number },
  ) {
    this.queue = [...items];
  }

  get running(): number {
    return this.inFlight;
  }

  get pending(): number {
    return this.stopped ? 0 : this.queue.length;
  }

  /** Items never started (after stop(), the ones that will not be). */
  get remaining(): T[] {
    return [...this.queue];
  }

  runningOn(destination: string): number {
    return this.perDestination.get(destination) ?? 0;
  }

  adopt(item: T): void {
    this.inFlight += 1;
    if (item.destination !== null) this.perDestination.set(item.destination, this.runningOn(item.destination) + 1);
  }

  take(): T | undefined {
    if (this.stopped || this.inFlight >= this.caps.concurrency) return undefined;
    const index = this.queue.findIndex((item) => item.destination === null || this.runningOn(item.destination) < this.caps.maxPerDestination);
    if (index < 0) return undefined;
    const [item] = this.queue.splice(index, 1);
    this.adopt(item!);
    return item;
  }

  release(item: T): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (item.destination !== null) this.perDestination.set(item.destination, Math.max(0, this.runningOn(item.destination) - 1));
  }

  /** A taken item that could not start yet (its read failed): it frees its slot and is first in line again. */
  putBack(item: T): void {
    this.release(item);
    this.queue.unshift(item);
  }

  stop(): void {
    this.stopped = true;
  }
}

