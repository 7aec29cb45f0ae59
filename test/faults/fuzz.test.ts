import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Volume } from '../../src/model/cinder.js';
import { EventEmitter } from 'node:events';
import { DOCUMENTED_EXITS, errorLines, migstat, secretsIn, STACK, startFaultCloud, writeRecord, type Auth, type FaultCloud } from './harness.js';
import type { FaultRule } from './proxy.js';

/**
 * A generated fuzz of the command line (deterministic: VOLMIG_FUZZ_SEED, default below; VOLMIG_FUZZ_CASES, default
 * 600): every command with random options and values, valid and not, missing and extra arguments, unknown
 * options, global options anywhere, half of the cases under a random fault of the proxy. Whatever the case, it
 * ends in one `Error:` line at most and an exit code from the documented table, never a stack trace, never "a bug
 * in volmig", never a secret, never a migrate or retype request sent twice, never past its --timeout by more than
 * about a second.
 */
const SEED = Number(process.env.VOLMIG_FUZZ_SEED ?? 0x5eed12);
const CASES = Number(process.env.VOLMIG_FUZZ_CASES ?? 600);
const BATCH = 50;

/** mulberry32: a small seeded generator, the same sequence on every machine. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let cloud: FaultCloud;
const vols: Volume[] = [];
/** Generated once the volumes exist (the cases name them), always in the same order from the seed. */
let cases: Generated[] = [];

beforeAll(async () => {
  cloud = await startFaultCloud();
  for (let i = 0; i < 4; i++) vols.push(await cloud.createVolume({ size: 1, name: `fz-${i}` }));
  const rand = generator(SEED);
  cases = Array.from({ length: CASES }, () => generate(rand));
});
afterAll(async () => cloud?.stop());

type Values = () => string;

function pools(rand: () => number) {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const chance = (p: number) => rand() < p;
  /** A valid value three times in four, else one that is not. */
  const either = (valid: readonly string[], invalid: readonly string[]): Values => () => (chance(0.75) ? pick(valid) : pick(invalid));
  const volumeRef: Values = () =>
    chance(0.75) ? (chance(0.5) ? pick(vols).id : pick(vols).name!) : pick(['00000000-0000-4000-8000-000000000000', '', ' ', '-', 'x'.repeat(300), '💥', '../../etc/passwd', "a'b\"c", '%00', 'fz-', 'FZ-0', '7']);
  const hostValue = either(['sandbox@vendor#pool-a', 'sandbox@vendor-lite#pool-c', 'sandbox@vendor-lite#pool-d', 'sandbox@vendor#pool-b', 'sandbox@vendor'], ['sandbox', 'nowhere@x#y', '@#', '#', 'a@b#c#d', '', 'sandbox@lvm-down#lvm-down', 'sandbox@lvm-off#lvm-off']);
  const duration = either(['1s', '2s', '1500ms', '2'], ['0', '-1', 'abc', '1h', '10x', '', '1e3', '99999999999', '0.1']);
  const interval = either(['0.5', '1'], ['0.4', 'abc', '-2', '86401', '', '0']);
  const count = either(['1', '2', '3'], ['0', '-1', '2.5', 'abc', '1e9', '']);
  const typeRef = either(['vendor', 'vendor-lite', '__DEFAULT__'], ['lvm-1', 'gold', '', '00000000-0000-4000-8000-000000000000']);
  const status = either(['none', 'migrating', 'success', 'error', 'available', 'in-use'], ['target:abc', 'bogus', '']);
  const notifyUrl: Values = () => pick(['bogus://x', 'rabbit://', 'rabbit://u:p@', 'http://127.0.0.1:1/', 'rabbit://u:p@host:99999/']);
  return { pick, chance, volumeRef, hostValue, duration, interval, count, typeRef, status, notifyUrl };
}

interface Option {
  flag: string;
  value?: Values;
}

interface Generated {
  args: string[];
  auth: Auth;
  rules: FaultRule[];
  /** A unknown option is in it: commander refuses it before anything runs (exit 2). */
  unknownOption: boolean;
  /** --wait/--watch with a --timeout volmig accepts: the command must end within about a second of it. */
  deadlineMs?: number;
}

const FAULTS: FaultRule[] = [
  { kind: '5xx', path: /\/v3\/admin\//, times: 1 },
  { kind: '5xx', status: 500, path: /\/v3\/admin\// },
  { kind: 'html', path: /\/v3\/admin\//, times: 2 },
  { kind: 'truncated', path: /\/v3\/admin\//, times: 1 },
  { kind: 'reset-before', path: /\/v3\/admin\//, times: 1 },
  { kind: 'reset-after', path: /\/action$/, times: 1 },
  { kind: 'shape', path: /\/volumes\/detail/, transform: (j: any) => ({ ...j, volumes: 'none' }) },
  { kind: 'shape', path: /\/volumes\/[0-9a-f-]{36}$/, transform: () => ({ volume: [null] }) },
  { kind: 'shape', path: /get_pools/, transform: () => ({ pools: [null] }) },
  { kind: 'shape', path: /\/types/, transform: () => ({ volume_types: {} }) },
  { kind: 'shape', path: /os-services/, transform: () => ({ services: 'up' }) },
  { kind: 'shape', path: /^\/$/, transform: () => ({ versions: 3 }) },
  { kind: 'echo', path: /\/identity\/v3\/auth\/tokens$/ },
  { kind: 'echo', path: /\/v3\/admin\//, times: 1 },
  { kind: 'token-expiry', path: /\/v3\/admin\//, times: 1 },
  { kind: 'huge', path: /\/volumes\/[0-9a-f-]{36}$/, bytes: 65 * 1024 * 1024, times: 1 },
];

function generate(rand: () => number): Generated {
  const p = pools(rand);
  const { pick, chance } = p;
  const wait: Option = { flag: '--wait' };
  const deadlines: Option[] = [
    { flag: '--timeout', value: p.duration },
    { flag: '--stall-timeout', value: p.duration },
    { flag: '--interval', value: p.interval },
  ];
  const commands: Record<string, { positional: Values[]; options: Option[] }> = {
    list: {
      positional: [],
      options: [
        { flag: '--migration-status', value: p.status },
        { flag: '--status', value: p.status },
        { flag: '--host', value: p.hostValue },
        { flag: '--name', value: p.volumeRef },
        { flag: '--all-projects' },
        { flag: '--long' },
        { flag: '--show-targets' },
        { flag: '--limit', value: p.count },
      ],
    },
    show: { positional: [p.volumeRef], options: [{ flag: '--all-projects' }] },
    pools: { positional: [], options: [] },
    migrate: {
      positional: [p.volumeRef, p.hostValue],
      options: [{ flag: '--force' }, { flag: '--force-host-copy' }, { flag: '--cluster', value: () => pick(['c1', '']) }, wait, ...deadlines, { flag: '--dry-run' }, { flag: '--skip-checks' }, { flag: '--notify', value: p.notifyUrl }],
    },
    retype: {
      positional: [p.volumeRef, p.typeRef],
      options: [{ flag: '--migration-policy', value: () => pick(['never', 'on-demand', 'always', '']) }, wait, ...deadlines, { flag: '--dry-run' }, { flag: '--skip-checks' }],
    },
    progress: { positional: [p.volumeRef], options: [{ flag: '--all' }, { flag: '--watch' }, ...deadlines] },
    evacuate: {
      positional: [],
      options: [
        { flag: '--from', value: p.hostValue },
        { flag: '--to', value: () => pick(['sandbox@vendor-lite#pool-d', 'sandbox@lvm-2#lvm-2,sandbox@vendor-lite#pool-d', 'x', '']) },
        { flag: '--volume-type', value: p.typeRef },
        { flag: '--project', value: () => pick(['admin', 'nobody', '']) },
        { flag: '--include-in-use' },
        { flag: '--concurrency', value: p.count },
        { flag: '--max-per-destination', value: p.count },
        { flag: '--order', value: () => pick(['size', 'created', 'random', '']) },
        { flag: '--force' },
        { flag: '--dry-run' },
        { flag: '--continue-on-error' },
        { flag: '--timeout', value: p.duration },
        { flag: '--interval', value: p.interval },
        { flag: '--yes' },
      ],
    },
    history: { positional: [], options: [{ flag: '--volume', value: p.volumeRef }] },
    recover: { positional: [p.volumeRef], options: [{ flag: '--sample', value: () => pick(['1s', '0', 'abc', '']) }, { flag: '--assume-stuck' }, { flag: '--min-age', value: p.duration }] },
    smoke: { positional: [], options: [{ flag: '--pools', value: () => pick(['x', 'a@b#c,d@e#f', '', ',']) }, { flag: '--size', value: p.count }, { flag: '--lock' }, { flag: '--timeout', value: p.duration }] },
    completion: { positional: [() => pick(['bash', 'zsh', 'fish', 'tcsh', ''])], options: [] },
    help: { positional: [() => pick(['migrate', 'exit-codes', 'environment', 'config', 'nope', 'list'])], options: [] },
  };
  const names = Object.keys(commands);
  const name = chance(0.03) ? pick(['migrat', 'frobnicate', '', '--']) : pick(names);
  const spec = commands[name] ?? { positional: [], options: [] };
  const args: string[] = [];
  let unknownOption = false;
  // positional arguments: usually all of them, sometimes one too few or one too many
  const wanted = spec.positional.length + (chance(0.1) ? -1 : 0) + (chance(0.08) ? 1 : 0);
  for (let i = 0; i < Math.max(0, wanted); i++) args.push(i < spec.positional.length ? spec.positional[i]!() : pick(['extra', 'fz-1', '-']));
  // options: a few, any order, sometimes twice, sometimes without their value
  const chosen = spec.options.filter(() => chance(0.3));
  for (const option of chosen) {
    args.push(option.flag);
    if (option.value && !chance(0.04)) args.push(option.value());
  }
  // smoke never gets a valid pool list (it would test every pair of pools); a wait is mostly bounded
  if (name === 'smoke' && !args.includes('--pools')) args.push('--pools', 'x');
  if ((args.includes('--wait') || args.includes('--watch') || args.includes('--yes')) && !args.includes('--timeout') && chance(0.7)) args.push('--timeout', pick(['1s', '2s', '1500ms']));
  if (chance(0.06)) {
    args.push(pick(['--bogus', '--no-such-option', '-Z']));
    unknownOption = true;
  }
  const globals: string[] = [];
  if (chance(0.25)) globals.push('--json');
  if (chance(0.1)) globals.push('--quiet');
  if (chance(0.1)) globals.push('--no-color');
  if (chance(0.1)) globals.push('--http-timeout', pick(['1s', '0', 'abc', '2h', '5']));
  if (chance(0.08)) globals.push('--os-volume-api-version', pick(['3.0', '3.72', '3.99', '4.0', 'x', '3', '3.16']));
  if (chance(0.03)) globals.push('--os-cloud', 'no-such-cloud');
  // globals before or after the command
  const argv = name === '--' ? ['--', ...args] : chance(0.5) ? [...globals, ...(name ? [name] : []), ...args] : [...(name ? [name] : []), ...args, ...globals];
  const rules = chance(0.5) ? [{ ...pick(FAULTS) }] : [];
  const auth: Auth = chance(0.2) ? pick(['password', 'appcred', 'token'] as const) : 'noauth';
  let deadlineMs: number | undefined;
  const timeout = /^(1s|2s|1500ms|2)$/.exec(argv[argv.indexOf('--timeout') + 1] ?? '')?.[1];
  const waits = argv.includes('--wait') || (name === 'progress' && argv.includes('--watch')) || (name === 'evacuate' && argv.includes('--yes'));
  if (waits && timeout && argv.filter((a) => a === '--timeout').length === 1 && ['migrate', 'retype', 'progress', 'evacuate'].includes(name)) {
    deadlineMs = timeout === '1500ms' ? 1500 : timeout === '1s' ? 1000 : 2000;
  }
  return { args: argv, auth, rules, unknownOption, deadlineMs };
}

interface Failure {
  n: number;
  args: string[];
  problem: string;
  code: number;
  stderr: string;
}

const IN_FLIGHT = new Set(['starting', 'migrating', 'completing']);

describe(`command-line fuzz: ${CASES} cases, seed ${SEED}`, () => {
  for (let start = 0; start < CASES; start += BATCH) {
    it(`cases ${start + 1} to ${Math.min(CASES, start + BATCH)}`, async () => {
      const failures: Failure[] = [];
      const figures = { wrongExit: 0, stackTraces: 0, secretsSeen: 0, pastDeadline: 0, duplicates: 0 };
      for (let i = start; i < Math.min(CASES, start + BATCH); i++) {
        const c = cases[i]!;
        cloud.beginCase();
        cloud.reset(...c.rules);
        const fail = (problem: string, r: { code: number; stderr: string }) => failures.push({ n: i + 1, args: c.args, problem, code: r.code, stderr: r.stderr.slice(0, 600) });
        // a run that does not end is stopped like an operator would (Ctrl-C), and counted as a failure
        const signals = new EventEmitter();
        let interrupted = false;
        const guard = setTimeout(() => ((interrupted = true), signals.emit('SIGINT')), 20_000);
        const r = await cloud.run(c.args, { auth: c.auth, signals });
        clearTimeout(guard);
        const out = r.stdout + r.stderr;
        if (process.env.VOLMIG_FUZZ_LOG) (await import('node:fs')).appendFileSync(process.env.VOLMIG_FUZZ_LOG, `${JSON.stringify({ n: i + 1, args: c.args, auth: c.auth, faults: c.rules.map((x) => x.kind), code: r.code, ms: r.ms, err: errorLines(r.stderr)[0] ?? r.stderr.split('\n')[0] })}\n`);
        type Figure = keyof typeof figures;
        const count = (figure: Figure | null, problem: string, by = 1) => {
          if (figure) figures[figure] += by;
          fail(problem, r);
        };
        if (!DOCUMENTED_EXITS.has(r.code)) count('wrongExit', `exit ${r.code} is not documented`);
        else if (c.unknownOption && r.code !== 2) count('wrongExit', 'an unknown option must be a usage error (exit 2)');
        else if (r.code === 1 && /this is a bug in volmig/.test(out)) count('wrongExit', 'exit 1 "bug"');
        else if ((r.code === 130 || r.code === 143) && !interrupted) count('wrongExit', 'an interruption nobody made');
        if (STACK.test(out)) count('stackTraces', 'a stack trace');
        if (secretsIn(out).length > 0) count('secretsSeen', `a secret: ${secretsIn(out).join(', ')}`);
        if (errorLines(r.stderr).length > 1) count(null, 'more than one Error: line');
        if (r.code !== 0 && r.stderr.trim() === '' && !interrupted) count(null, 'a failure that says nothing');
        if (interrupted) count(null, 'did not end within 20 s');
        if (c.deadlineMs !== undefined && r.code !== 2 && r.ms > c.deadlineMs + 1500) count('pastDeadline', `ended ${r.ms} ms after its start, deadline ${c.deadlineMs} ms`);
        const most = cloud.counter.maxPerVolume();
        if (most > 1) count('duplicates', `${most} migrate/retype requests of one volume reached the sandbox`, most - 1);
        writeRecord({ suite: 'fuzz', name: `case ${i + 1}`, faults: cloud.proxy.takeInjected(), duplicates: 0, wrongExit: 0, stackTraces: 0, secretsSeen: 0, pastDeadline: 0, runs: 1, reached: cloud.counter.actions('os-migrate_volume') + cloud.counter.actions('os-retype') });
        // what the case started goes on to its end before the next one looks
        cloud.reset();
        for (const v of vols) {
          const now = await cloud.volume(v.id);
          if (IN_FLIGHT.has(String(migstat(now))) || now.status === 'retyping') await cloud.waitFor(v.id, (x) => !IN_FLIGHT.has(String(migstat(x))) && x.status !== 'retyping');
        }
      }
      writeRecord({ suite: 'fuzz', name: `cases ${start + 1}+`, faults: {}, ...figures, runs: 0 });
      expect(failures, JSON.stringify(failures, null, 2)).toEqual([]);
    });
  }

  it('the cases cover every command, valid and invalid runs, and faults', () => {
    const commands = new Set(cases.map((c) => c.args.find((a) => /^[a-z]+$/.test(a))));
    for (const name of ['list', 'show', 'pools', 'migrate', 'retype', 'progress', 'evacuate', 'history', 'recover', 'smoke', 'completion', 'help']) expect(commands).toContain(name);
    expect(cases.filter((c) => c.rules.length > 0).length).toBeGreaterThan(CASES / 5);
    expect(cases.filter((c) => c.deadlineMs !== undefined).length).toBeGreaterThan(5);
    expect(CASES).toBeGreaterThanOrEqual(500);
  });
});
