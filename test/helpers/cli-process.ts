import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'volmig.js');

/** The built CLI is what users run; `npm test` builds it first. */
export function assertBuilt(): void {
  for (const file of ['migrate.js', 'evacuate.js']) {
    if (!existsSync(join(ROOT, 'dist', 'commands', file))) {
      throw new Error('dist/ is missing or stale: run `npm run build` before the end-to-end tests (npm test does)');
    }
  }
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  done: Promise<Run>;
  /** Resolves once stderr matches. */
  waitForStderr(re: RegExp, timeoutMs?: number): Promise<void>;
}

/**
 * `node bin/volmig.js ...` as users run it, with stdout/stderr piped (so not a TTY) and only PATH inherited:
 * `env` is the rest of its environment.
 */
export function spawnCli(args: string[], options: { cwd: string; env: Record<string, string> }): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    for (const w of [...waiters]) {
      if (!w.re.test(err)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    done,
    waitForStderr(re, timeoutMs = 15_000) {
      if (re.test(err)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`stderr never matched ${re}; got:\n${err}`)), timeoutMs);
        waiters.push({ re, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
  };
}

/**
 * Direct API calls as the sandbox's noauth admin, for setting the scene and reading server state (not through
 * volmig). `apiUrl` is the sandbox's `.../v3`; an empty answer has an undefined body.
 */
export async function sandboxAdminApi<T = any>(apiUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${apiUrl}/admin${path}`, {
    method,
    headers: { 'X-Auth-Token': 'admin:admin', 'OpenStack-API-Version': 'volume latest', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}
