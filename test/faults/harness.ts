import type { EventEmitter } from 'node:events';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, inject } from 'vitest';
import { startSandbox, type SandboxHandle, type SandboxOptions } from '../../src/sandbox/index.js';
import type { Volume } from '../../src/model/cinder.js';
import { ExitCode } from '../../src/errors.js';
import { runVolmig } from '../helpers/run.js';
import { sandboxAdminApi } from '../helpers/cli-process.js';
import { FaultProxy, type FaultRule } from './proxy.js';
import { SandboxCounter } from './sandbox-count.js';
import { sandboxVolumes } from '../helpers/sandbox-volumes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    faultRecords: string;
  }
}

export const MIB = 1024 * 1024;

/** The secrets of the suite's Keystone: none of them may ever appear in what volmig prints. */
export const SECRETS = {
  password: 'pw-Fault-9f3c2e71-!secret',
  applicationCredentialId: 'ac-1d2e3f',
  applicationCredentialSecret: 'acs-7b1e0c5d-Sekret-42',
  token: 'gAAAAABstatictoken0123456789abcdef',
};

/** Every exit code the README documents (src/errors.ts ExitCode). */
export const DOCUMENTED_EXITS: ReadonlySet<number> = new Set(Object.values(ExitCode));

/** noauth; Keystone with a password, an application credential or a token; a pre-issued token sent to Cinder as is. */
export type Auth = 'noauth' | 'password' | 'appcred' | 'token' | 'static-token';

export interface CaseResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** What one case of the suite saw, for the figures table (test/faults/global-setup.ts adds them up). */
export interface CaseRecord {
  suite: string;
  name: string;
  faults: Record<string, number>;
  duplicates: number;
  wrongExit: number;
  stackTraces: number;
  secretsSeen: number;
  pastDeadline: number;
  runs: number;
  /** Migrate and retype requests that reached the sandbox (each at most once per volume). */
  reached?: number;
}

export interface FaultCloud {
  sandbox: SandboxHandle;
  proxy: FaultProxy;
  counter: SandboxCounter;
  stateDir: string;
  env(auth?: Auth): Record<string, string>;
  /** volmig in this process (main(argv, io)) through the proxy; `signals` to interrupt it like an operator. */
  run(args: string[], options?: { auth?: Auth; env?: Record<string, string>; signals?: EventEmitter }): Promise<CaseResult>;
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  volume(id: string): Promise<Volume>;
  createVolume(spec: { size: number; name: string; volume_type?: string }): Promise<Volume>;
  waitFor(id: string, done: (v: Volume) => boolean, timeoutMs?: number): Promise<Volume>;
  /** Replaces the fault rules (and drops connections the previous rules stalled); the counters go on. */
  reset(...rules: FaultRule[]): void;
  /** A new case: no rules, counters at zero (every test file calls it beforeEach). */
  beginCase(): void;
  stop(): Promise<void>;
}

export async function startFaultCloud(options: SandboxOptions = {}): Promise<FaultCloud> {
  const stateDir = mkdtempSync(join(tmpdir(), 'volmig-faults-'));
  const sandbox = await startSandbox({
    port: 0,
    seed: 'none',
    gibBytes: 2 * MIB,
    copyRateMiBps: 4,
    phaseDelayMs: 50,
    reportIntervalSeconds: 0.1,
    maxConcurrentCopies: 10,
    ...options,
  });
  const counter = new SandboxCounter(sandbox.port);
  const proxy = new FaultProxy(new URL(sandbox.url), {
    username: 'admin',
    password: SECRETS.password,
    applicationCredentialId: SECRETS.applicationCredentialId,
    applicationCredentialSecret: SECRETS.applicationCredentialSecret,
  });
  await proxy.start();
  proxy.issuedTokens.add(SECRETS.token);
  const api = <T = any>(method: string, path: string, body?: unknown) => sandboxAdminApi<T>(sandbox.url, method, path, body);
  const adminVolumes = sandboxVolumes(sandbox.url);
  const env = (auth: Auth = 'noauth'): Record<string, string> => {
    const base = { XDG_STATE_HOME: stateDir, HOME: stateDir };
    if (auth === 'noauth') return { ...base, OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: proxy.endpoint, OS_PROJECT_ID: 'admin', OS_USER_ID: 'admin' };
    if (auth === 'static-token') return { ...base, OS_AUTH_TYPE: 'token', OS_TOKEN: SECRETS.token, OS_ENDPOINT: `${proxy.endpoint}/admin` };
    const keystone = { ...base, OS_AUTH_URL: proxy.authUrl, OS_IDENTITY_API_VERSION: '3', OS_INTERFACE: 'public' };
    if (auth === 'password') {
      return { ...keystone, OS_USERNAME: 'admin', OS_PASSWORD: SECRETS.password, OS_PROJECT_NAME: 'admin', OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default' };
    }
    if (auth === 'appcred') {
      return {
        ...keystone,
        OS_AUTH_TYPE: 'v3applicationcredential',
        OS_APPLICATION_CREDENTIAL_ID: SECRETS.applicationCredentialId,
        OS_APPLICATION_CREDENTIAL_SECRET: SECRETS.applicationCredentialSecret,
      };
    }
    return { ...keystone, OS_AUTH_TYPE: 'token', OS_TOKEN: SECRETS.token, OS_PROJECT_NAME: 'admin', OS_PROJECT_DOMAIN_NAME: 'Default' };
  };
  const cloud: FaultCloud = {
    sandbox,
    proxy,
    counter,
    stateDir,
    env,
    async run(args, runOptions = {}) {
      const started = Date.now();
      const r = await runVolmig(args, { env: { ...env(runOptions.auth), ...(runOptions.env ?? {}) }, cwd: stateDir, signals: runOptions.signals });
      return { ...r, ms: Date.now() - started };
    },
    api,
    ...adminVolumes,
    reset(...rules) {
      proxy.clear();
      proxy.set(...rules);
    },
    beginCase() {
      proxy.clear();
      proxy.takeInjected();
      counter.reset();
    },
    async stop() {
      counter.close();
      await proxy.stop();
      await sandbox.stop();
    },
  };
  return cloud;
}

export function host(v: Volume): string | null {
  return (v['os-vol-host-attr:host'] as string | null | undefined) ?? null;
}

export function migstat(v: Volume): string | null {
  return (v['os-vol-mig-status-attr:migstat'] as string | null | undefined) ?? null;
}

/** A stack frame line, or the catch-all's words: neither may appear without --debug. */
export const STACK = /^\s+at .+(\(|:\d+:\d+)|this is a bug in volmig/m;

export function secretsIn(text: string): string[] {
  return Object.entries(SECRETS)
    .filter(([name]) => name !== 'applicationCredentialId')
    .filter(([, value]) => text.includes(value))
    .map(([name]) => name);
}

/** `Error:` lines of stderr. */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('Error:'));
}

export interface Expectation {
  /** The exit codes this case may end with (the first is what a test normally asserts). */
  exit: number | number[];
  /** The command's deadline in ms from its start (--timeout / --stall-timeout). */
  deadlineMs?: number;
  /** --debug runs may print stacks. */
  debug?: boolean;
}

/**
 * Checks what every case of the suite must show whatever its fault, records the figures, and asserts them: a
 * documented exit code that is the expected one, no stack trace, no secret, no duplicate request, no watch past
 * its deadline (more than about a second after it).
 */
export function judge(cloud: FaultCloud, suite: string, name: string, results: CaseResult | CaseResult[], expectation: Expectation): CaseRecord {
  const list = Array.isArray(results) ? results : [results];
  const allowed = Array.isArray(expectation.exit) ? expectation.exit : [expectation.exit];
  const maxActions = cloud.counter.maxPerVolume();
  const record: CaseRecord = {
    suite,
    name,
    faults: cloud.proxy.takeInjected(),
    duplicates: maxActions > 1 ? maxActions - 1 : 0,
    wrongExit: list.filter((r) => !allowed.includes(r.code) || !DOCUMENTED_EXITS.has(r.code)).length,
    stackTraces: expectation.debug ? 0 : list.filter((r) => STACK.test(r.stdout) || STACK.test(r.stderr)).length,
    secretsSeen: list.reduce((n, r) => n + secretsIn(r.stdout + r.stderr).length, 0),
    pastDeadline: expectation.deadlineMs === undefined ? 0 : list.filter((r) => r.ms > expectation.deadlineMs! + 1500).length,
    runs: list.length,
    reached: cloud.counter.actions('os-migrate_volume') + cloud.counter.actions('os-retype'),
  };
  writeRecord(record);
  for (const r of list) {
    const shown = `exit ${r.code} after ${r.ms} ms\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
    expect(allowed, shown).toContain(r.code);
    if (!expectation.debug) expect(r.stderr + r.stdout, shown).not.toMatch(STACK);
    expect(secretsIn(r.stdout + r.stderr), shown).toEqual([]);
    if (expectation.deadlineMs !== undefined) expect(r.ms, `${shown}\n(deadline ${expectation.deadlineMs} ms)`).toBeLessThan(expectation.deadlineMs + 1500);
  }
  expect(maxActions, 'migrate/retype requests of one volume that reached the sandbox').toBeLessThanOrEqual(1);
  return record;
}

/** Figures of a case that is not one volmig run (the fuzz adds its own up). */
export function writeRecord(record: CaseRecord): void {
  const dir = inject('faultRecords');
  if (!dir) return;
  appendFileSync(join(dir, `${process.pid}.jsonl`), `${JSON.stringify(record)}\n`);
}

/** POST .../volumes/{id}/action */
export const ACTION = /\/volumes\/[^/]+\/action$/;
export const MIGRATE_BODY = /os-migrate_volume/;
export const RETYPE_BODY = /os-retype/;

/** GET of one volume (the reads a watch makes), or of that one volume only. */
export function volumeGet(id?: string): RegExp {
  return new RegExp(`/volumes/${id ?? '[0-9a-f-]{36}'}$`);
}

const IN_FLIGHT = new Set(['starting', 'migrating', 'completing']);

/** Waits until nothing moves any more on the volume (what a fault left running goes on to its end). */
export function settle(cloud: FaultCloud, id: string, timeoutMs = 20_000): Promise<Volume> {
  return cloud.waitFor(id, (v) => v.status !== 'retyping' && !IN_FLIGHT.has(String(migstat(v))), timeoutMs);
}

/** A pool of the default layout other than the volume's (the file-I/O backends: quick copies, no dd). */
export function otherPool(v: Volume): string {
  return host(v)?.startsWith('sandbox@vendor#') ? 'sandbox@vendor-lite#pool-c' : 'sandbox@vendor#pool-a';
}

/** The type that makes a retype of `v` migrate it to the other file-I/O backend. */
export function otherType(v: Volume): string {
  return host(v)?.startsWith('sandbox@vendor#') ? 'vendor-lite' : 'vendor';
}

/** `{"volume": {..., "description": "<padding>"}}` around `bytes` of padding: a valid body of that size. */
export function paddedVolume(v: Volume): { before: string; after: string } {
  const { description: _d, ...rest } = v;
  const text = JSON.stringify({ volume: rest });
  return { before: `${text.slice(0, -2)},"description":"`, after: '"}}' };
}

/** Lines of stderr, without the empty last one. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}
