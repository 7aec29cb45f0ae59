/**
 * Runs the BUILT `volmig sandbox` as a subprocess on port 0 and reads where it listens from the export line
 * it prints (`export OS_AUTH_TYPE=noauth OS_ENDPOINT=http://127.0.0.1:<port>/v3 ...`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, VOLMIG_BIN } from './volmig.js';

export interface SandboxProcess {
  child: ChildProcess;
  env: Record<string, string>;
  dataDir: string;
  output(): string;
  stop(): Promise<void>;
}

/** `export A=1 B='x y' C="z"` -> {A: '1', B: 'x y', C: 'z'} */
export function parseExportLine(text: string): Record<string, string> | undefined {
  const line = text.split('\n').find((l) => /^\s*export\s+\w+=/.test(l));
  if (!line) return undefined;
  const env: Record<string, string> = {};
  const re = /(\w+)=("([^"]*)"|'([^']*)'|(\S*))/g;
  for (const m of line.replace(/^\s*export\s+/, '').matchAll(re)) {
    env[m[1]!] = m[3] ?? m[4] ?? m[5] ?? '';
  }
  return env;
}

export async function startSandbox(extraArgs: string[] = [], timeoutMs = 30_000): Promise<SandboxProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'volmig-conf-sandbox-'));
  const args = [VOLMIG_BIN, 'sandbox', '--port', '0', '--data-dir', dataDir, ...extraArgs,
    ...(process.env.VOLMIG_SANDBOX_ARGS ? process.env.VOLMIG_SANDBOX_ARGS.split(' ').filter(Boolean) : [])];
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dataDir, LANG: 'C.UTF-8' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const env = await new Promise<Record<string, string>>((resolve, reject) => {
    const t0 = Date.now();
    const timer = setInterval(() => {
      const parsed = parseExportLine(out);
      if (parsed?.OS_ENDPOINT) {
        clearInterval(timer);
        resolve(parsed);
      } else if (child.exitCode !== null || Date.now() - t0 > timeoutMs) {
        clearInterval(timer);
        child.kill('SIGKILL');
        reject(new Error(`volmig sandbox did not print its export line (exit ${child.exitCode}) after ${Date.now() - t0} ms:\n${out}`));
      }
    }, 50);
  });
  return {
    child,
    env,
    dataDir,
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        const closed = new Promise((r) => child.once('close', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await closed;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
