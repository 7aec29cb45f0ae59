import { ExitCode } from './errors.js';
import type { Io, SignalSource } from './io.js';

type StopSignal = 'SIGINT' | 'SIGTERM';

/** The reason a run's AbortSignal carries when the operator stopped it (read by describeAbortReason). */
export class InterruptReason {
  readonly describe: string;
  constructor(readonly signal: StopSignal) {
    this.describe = signal === 'SIGINT' ? 'interrupted (Ctrl-C)' : 'stopped (SIGTERM)';
  }
}

/**
 * The one owner of SIGINT and SIGTERM for a CLI run (the sandbox server keeps its own). The first signal aborts
 * `signal`: every request in flight stops, every wait ends and says how to resume. Then volmig lets go, so that a
 * second Ctrl-C meets Node's default and ends the process at once — unless a command asked to hear it
 * (`onSecond`: smoke stops cleaning up). The letting go waits for the current signal to be handled: signal-exit,
 * which ora loads, kills the process on a SIGINT when its own listeners are the only ones left.
 */
export class RunInterruption {
  private readonly controller = new AbortController();
  private readonly secondListeners = new Set<() => void>();
  private source: SignalSource | undefined;
  private received: StopSignal | null = null;
  private readonly onSigint = () => this.receive('SIGINT');
  private readonly onSigterm = () => this.receive('SIGTERM');

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Which signal stopped the run, if one did. */
  get stoppedBy(): StopSignal | null {
    return this.received;
  }

  /** 130 after Ctrl-C, 143 after SIGTERM (the shell's 128 + signal number). */
  get exitCode(): number {
    return this.received === 'SIGTERM' ? ExitCode.TERMINATED : ExitCode.INTERRUPTED;
  }

  attach(io: Io): void {
    if (this.source || !io.signals) return;
    this.source = io.signals;
    this.source.on('SIGINT', this.onSigint);
    this.source.on('SIGTERM', this.onSigterm);
  }

  detach(): void {
    if (!this.source) return;
    this.source.off('SIGINT', this.onSigint);
    this.source.off('SIGTERM', this.onSigterm);
    this.source = undefined;
  }

  /** Hear a second interruption instead of letting Node end the process; returns the unsubscribe. */
  onSecond(listener: () => void): () => void {
    this.secondListeners.add(listener);
    return () => this.secondListeners.delete(listener);
  }

  private receive(signal: StopSignal): void {
    if (this.received !== null) {
      const listeners = [...this.secondListeners];
      this.secondListeners.clear();
      for (const l of listeners) l();
      setImmediate(() => this.detach());
      return;
    }
    this.received = signal;
    this.controller.abort(new InterruptReason(signal));
    if (this.secondListeners.size === 0) setImmediate(() => this.detach());
  }
}
