import type { ProgressSink } from '../migration/progress.js';
import type { Output } from './output.js';

/**
 * Picks the display for a watch: JSON lines with --json, bars and spinners on an interactive terminal, plain lines
 * otherwise (pipes, CI, TERM=dumb). cli-progress and ora are loaded only for the terminal case.
 */
export async function createProgressSink(out: Output, volumes: number, now: () => number): Promise<ProgressSink> {
  if (out.json) {
    const { JsonLinesProgressSink } = await import('./progress-json.js');
    return new JsonLinesProgressSink(out, now);
  }
  if (out.interactive && !out.quiet) {
    const { TtyProgressSink } = await import('./progress-tty.js');
    return TtyProgressSink.create(out, volumes, now);
  }
  const { PlainProgressSink } = await import('./progress-plain.js');
  return new PlainProgressSink(out);
}
