import type { Pool } from '../../model/cinder.js';
import type { ExternalReading } from '../tracker.js';
import type { ProbeAnswer, ProbeSubject, ProgressProbe } from './probe.js';

/**
 * The probes of one run, tried in order for the migrations the server gives no number for. Each probe is asked
 * once per poll for all of its subjects; a probe that fails is said once (then stays quiet until it works again)
 * and the watch goes on without it.
 */
export class ProgressSources {
  private pools: readonly Pool[] | null = null;
  private poolsPromise: Promise<readonly Pool[]> | null = null;
  private readonly failing = new Map<string, string>();

  constructor(
    private readonly probes: readonly ProgressProbe[],
    private readonly loadPools: () => Promise<readonly Pool[]>,
  ) {}

  get empty(): boolean {
    return this.probes.length === 0;
  }

  /** Some probe needs the temporary destination's id to read a migration between these pools. */
  async needsTarget(subject: Pick<ProbeSubject, 'sourceHost' | 'destinationHost'>): Promise<boolean> {
    if (!this.probes.some((p) => p.needsTarget)) return false;
    const pools = await this.poolList();
    return this.probes.some((p) => p.needsTarget?.(subject, pools) ?? false);
  }

  /** One reading per subject that some probe could observe; `notice` hears a failing probe once. */
  async read(subjects: readonly ProbeSubject[], signal: AbortSignal, notice: (message: string) => void = () => {}): Promise<Map<string, ExternalReading>> {
    const readings = new Map<string, ExternalReading>();
    if (this.probes.length === 0 || subjects.length === 0) return readings;
    const pools = await this.poolList();
    let left = [...subjects];
    for (const probe of this.probes) {
      if (left.length === 0 || signal.aborted) break;
      let answers: Map<string, ProbeAnswer>;
      try {
        answers = await probe.sample(left, { pools, signal });
      } catch (err) {
        // The contract says a probe never throws; one that does is treated as failing for everything it was asked.
        answers = new Map(left.map((s) => [s.volumeId, { kind: 'failed', message: err instanceof Error ? err.message : String(err) } as ProbeAnswer]));
      }
      const next: ProbeSubject[] = [];
      let failedMessage: string | null = null;
      for (const subject of left) {
        const answer = answers.get(subject.volumeId);
        if (answer?.kind === 'reading') {
          readings.set(subject.volumeId, { source: probe.source, bytesCopied: answer.reading.bytesCopied, totalBytes: answer.reading.totalBytes });
        } else {
          if (answer?.kind === 'failed') failedMessage ??= answer.message;
          next.push(subject);
        }
      }
      this.report(probe.source, failedMessage, notice);
      left = next;
    }
    return readings;
  }

  private report(source: string, message: string | null, notice: (message: string) => void): void {
    if (message === null) {
      this.failing.delete(source);
      return;
    }
    if (this.failing.get(source) === message) return;
    this.failing.set(source, message);
    notice(`progress source ${source} unavailable: ${message}; going on without it.`);
  }

  private async poolList(): Promise<readonly Pool[]> {
    if (this.pools) return this.pools;
    // Read once per run: not an admin, or no scheduler stats, is not asked again at every poll; the probes then
    // decide with what they have.
    this.poolsPromise ??= this.loadPools().then(
      (p) => (this.pools = p),
      () => (this.pools = []),
    );
    return this.poolsPromise;
  }
}
