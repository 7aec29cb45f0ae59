/** Per-backend limit on concurrent copies; a copy between two backends holds a slot on each. */
export class CopySlots {
  private readonly limit: number;
  private readonly active = new Map<string, number>();
  private readonly waiters: { backends: string[]; grant: () => void }[] = [];

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  available(backends: string[]): boolean {
    return backends.every((b) => (this.active.get(b) ?? 0) < this.limit);
  }

  /** Resolves with the release function once every backend has a free slot (first come, first served). */
  acquire(backends: string[], signal: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        for (const b of backends) this.active.set(b, (this.active.get(b) ?? 0) + 1);
        signal.removeEventListener('abort', onAbort);
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          for (const b of backends) this.active.set(b, (this.active.get(b) ?? 1) - 1);
          this.wake();
        });
      };
      const waiter = { backends, grant };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error('aborted'));
      };
      if (signal.aborted) return reject(new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      if (this.waiters.length === 0 && this.available(backends)) grant();
      else this.waiters.push(waiter);
    });
  }

  private wake(): void {
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i]!;
      if (this.available(w.backends)) {
        this.waiters.splice(i, 1);
        w.grant();
      } else i++;
    }
  }
}
