import type { Io } from '../io.js';

export type Confirmation = 'yes' | 'no' | 'interrupted';

/**
 * Asks a yes/no question on stderr and reads one line from io.stdin. Only "y" or "yes" is a yes; an empty
 * answer, end of input or anything else is a no. Ctrl-C while waiting is 'interrupted'.
 */
export function askConfirmation(io: Io, question: string): Promise<Confirmation> {
  const stdin = io.stdin;
  if (!stdin) return Promise.resolve('no');
  io.stderr.write(`${question} [y/N] `);
  return new Promise<Confirmation>((resolve) => {
    let buffer = '';
    const done = (answer: Confirmation) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      io.signals?.off('SIGINT', onSigint);
      // Let the process end once the answer is in: an unpaused stdin keeps the event loop alive.
      stdin.pause?.();
      resolve(answer);
    };
    const onData = (chunk: Buffer | string) => {
      buffer += chunk.toString();
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      const answer = buffer.slice(0, nl).trim().toLowerCase();
      done(answer === 'y' || answer === 'yes' ? 'yes' : 'no');
    };
    const onEnd = () => {
      io.stderr.write('\n');
      done(/^\s*(y|yes)\s*$/i.test(buffer) ? 'yes' : 'no');
    };
    const onSigint = () => {
      io.stderr.write('\n');
      done('interrupted');
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    io.signals?.on('SIGINT', onSigint);
    stdin.resume?.();
  });
}
