import type { ProgressSink } from '../migration/progress.js';
import type { Output } from './output.js';

/**
 * Picks the display for a watch: JSON lines with --json, bars and spinners on an interactive terminal, plain lines
 * otherwise (pipes, CI, TERM=dumb). cli-progress and ora are loaded only for the terminal case.
 */
export async function createProgressSink(out: Output, volumes: number, now: () => number): Promise<ProgressSink> {
  let sink: ProgressSink;
  if (out.json) {
    const { JsonLinesProgressSink } = await import('./progress-json.js');
    sink = new JsonLinesProgressSink(out, now);
  } else if (out.interactive && !out.quiet) {
    const { TtyProgressSink } = await import('./progress-tty.js');
    sink = await TtyProgressSink.create(out, volumes, now);
  } else {
    const { PlainProgressSink } = await import('./progress-plain.js');
    sink = new PlainProgressSink(out);
  }
  return withResumeLine(sink, out);
}

/**
 * Every display ends an interrupted watch the same way: one line on stderr (kept by --quiet, because it is the only
 * way back to the watch) saying the migration goes on and how to resume.
 */
function withResumeLine(sink: ProgressSink, out: Output): ProgressSink {
  return {
    update: (s) => sink.update(s),
    notice: (m, id, kind) => sink.notice(m, id, kind),
    result: (r) => sink.result(r),
    stop: () => sink.stop(),
    watchStopped: (resumeCommand, migrations) => {
      const what = migrations === 1 ? 'the migration continues' : 'the migrations continue';
      out.stderrWrite(`Stopped watching; ${what} on the server. Resume with: ${resumeCommand}\n`);
    },
  };
}
