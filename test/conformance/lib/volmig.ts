import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root; the suite runs the BUILT volmig from here (`npm run build` first). */
export const REPO = resolve(import.meta.dirname, '../../..');
export const VOLMIG_BIN = join(REPO, 'bin/volmig.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  args: string[];
}

export interface CliOptions {
  /** Extra environment (merged over the target's, which is merged over a clean base). */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

export interface RunningCli {
  child: ChildProcess;
  /** Output so far (grows while the process runs). */
  readonly stdout: string;
  readonly stderr: string;
  done: Promise<CliResult>;
  /** Resolves once stderr (or stdout) matches, rejects if the process ends first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/**
 * Environment for a volmig subprocess: nothing from the developer's shell that could change the answer
 * (no OS_*, no clouds.yaml from $HOME, no FORCE_COLOR); HOME and XDG dirs point at a per-suite folder
 * so that files volmig writes (journal, caches) can be inspected.
 */
export function baseEnv(home: string): Record<string, string> {
  mkdirSync(home, { recursive: true });
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local/state'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DATA_HOME: join(home, '.local/share'),
    LANG: 'C.UTF-8',
    TZ: 'UTC',
  };
}

export function startVolmig(args: string[], env: Record<string, string | undefined>, timeoutMs = 240_000): RunningCli {
  const t0 = Date.now();
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v;
  // cwd: an empty folder, so that no .volmigrc or clouds.yaml of the repository is picked up
  const child = spawn(process.execPath, [VOLMIG_BIN, ...args], {
    cwd: clean.HOME ?? REPO,
    env: clean,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const l of listeners) l();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const l of listeners) l();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<CliResult>((res) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const l of listeners) l();
      res({ code, signal, stdout, stderr, ms: Date.now() - t0, args });
    });
  });
  let exited = false;
  void done.then(() => {
    exited = true;
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done,
    waitFor(pattern: RegExp, waitMs = 120_000) {
      return new Promise<void>((res, rej) => {
        const check = () => {
          if (pattern.test(stderr) || pattern.test(stdout)) {
            cleanup();
            res();
          } else if (exited) {
            cleanup();
            rej(new Error(`volmig ${args.join(' ')} exited before printing ${pattern}\nstdout: ${stdout}\nstderr: ${stderr}`));
          }
        };
        const t = setTimeout(() => {
          cleanup();
          rej(new Error(`timed out waiting for ${pattern} from volmig ${args.join(' ')}\nstderr: ${stderr}`));
        }, waitMs);
        const cleanup = () => {
          clearTimeout(t);
          listeners.delete(check);
        };
        listeners.add(check);
        void done.then(check);
        check();
      });
    },
  };
}

/** One line for assertion messages: the command, its exit code and its output. */
export function describeRun(r: CliResult): string {
  return `volmig ${r.args.join(' ')} -> exit ${r.code}${r.signal ? ` (${r.signal})` : ''} in ${r.ms} ms\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

/** JSON lines of `--json` watch output (one object per line; anything else is a failure). */
export function jsonLines(stdout: string): any[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        throw new Error(`not a JSON line on stdout: ${l}`);
      }
    });
}
