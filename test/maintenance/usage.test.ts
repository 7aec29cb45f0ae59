import { describe, expect, it } from 'vitest';
import { runVolmig } from '../helpers/run.js';

// Bad flags are refused before any configuration is read or any request is sent: no cloud is configured here.
describe('maintenance commands: usage errors are one line and exit 2', () => {
  const cases: [string[], string][] = [
    [['evacuate', '--to', 'n@b#p'], "Error: required option '--from <host@backend[#pool]>' not specified"],
    [['evacuate', '--from', 'n@a'], "Error: required option '--to <host@backend[#pool]...>' not specified"],
    [['evacuate', '--from', 'n', '--to', 'n@b#p'], "Error: invalid value for --from: 'n' (expected host@backend or host@backend#pool)"],
    [['evacuate', '--from', 'n@a', '--to', 'n@b@c'], "Error: invalid value for --to: 'n@b@c' (expected host@backend#pool or host@backend)"],
    [['evacuate', '--from', 'n@a', '--to', 'n@a'], 'Error: --to n@a is part of --from n@a: a volume cannot be evacuated onto its own backend'],
    [['evacuate', '--from', 'n@a', '--to', 'n@a#p1'], 'Error: --to n@a#p1 is part of --from n@a: a volume cannot be evacuated onto its own backend'],
    [['evacuate', '--from', 'n@a', '--to', 'n@b#p', '--concurrency', '0'], "Error: invalid value for --concurrency: '0' (expected a positive whole number)"],
    [['evacuate', '--from', 'n@a', '--to', 'n@b#p', '--order', 'name'], "Error: invalid value for --order: 'name' (expected size or created)"],
    [['evacuate', '--from', 'n@a', '--to', 'n@b#p', '--timeout', 'soon'], "Error: invalid value for --timeout: 'soon' (expected a positive duration such as 90s, 10m, 1h30m or plain seconds)"],
    [['smoke', '--pools', 'a@b#c'], 'Error: --pools needs at least two pools (got a@b#c)'],
    [['smoke', '--pools', 'a@b#c,nonsense'], "Error: invalid value for --pools: 'a@b#c,nonsense' (expected host@backend#pool,host@backend#pool,...)"],
    [['smoke', '--size', '0.5'], "Error: invalid value for --size: '0.5' (expected a whole number of GiB, at least 1)"],
    [['show', ''], 'Error: an empty volume reference: give a volume id, or a name that matches exactly one volume'],
    [['show', '  '], 'Error: an empty volume reference: give a volume id, or a name that matches exactly one volume'],
    // the wait durations mean nothing without a wait: refused, never silently ignored
    [['migrate', 'v', 'n@b#p', '--timeout', '10m'], 'Error: --timeout applies only with --wait: add --wait, or leave --timeout out'],
    [['migrate', 'v', 'n@b#p', '--stall-timeout', '1m'], 'Error: --stall-timeout applies only with --wait: add --wait, or leave --stall-timeout out'],
    [['migrate', 'v', 'n@b#p', '--interval', '2'], 'Error: --interval applies only with --wait: add --wait, or leave --interval out'],
    [['retype', 'v', 't', '--timeout', '10m'], 'Error: --timeout applies only with --wait: add --wait, or leave --timeout out'],
    [['progress', 'v', '--timeout', '10m'], 'Error: --timeout applies only with --watch: add --watch, or leave --timeout out'],
    [['progress', 'v', '--stall-timeout', '1m'], 'Error: --stall-timeout applies only with --watch: add --watch, or leave --stall-timeout out'],
    [['recover', 'v', '--sample', 'x'], "Error: invalid value for --sample: 'x' (expected a positive duration such as 90s, 10m, 1h30m or plain seconds)"],
  ];
  for (const [args, message] of cases) {
    it(args.join(' '), async () => {
      const r = await runVolmig(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')[0]).toBe(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});
