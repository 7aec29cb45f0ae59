import { appendFileSync } from 'node:fs';

/** `<data-dir>/sandbox.log`: one line per event, `2026-11-27 09:12:48.618 INFO message`, written synchronously. */
export class SandboxLog {
  readonly path: string;
  private readonly echo?: (line: string) => void;

  constructor(path: string, echo?: (line: string) => void) {
    this.path = path;
    this.echo = echo;
  }

  info(message: string): void {
    this.write('INFO', message);
  }

  warn(message: string): void {
    this.write('WARNING', message);
  }

  error(message: string): void {
    this.write('ERROR', message);
  }

  private write(level: string, message: string): void {
    const stamp = new Date().toISOString().replace('T', ' ').slice(0, 23);
    const line = `${stamp} ${level} ${message}`;
    appendFileSync(this.path, `${line}\n`);
    this.echo?.(line);
  }
}
