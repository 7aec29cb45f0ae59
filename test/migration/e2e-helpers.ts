import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxHandle, SandboxLayout, SandboxOptions } from '../../src/sandbox/index.js';
import type { Volume } from '../../src/model/cinder.js';
import { sandboxAdminApi, spawnCli, type Run, type Spawned } from '../helpers/cli-process.js';

/** The default layout plus a backend whose service is down and one that is disabled. */
export async function e2eLayout(): Promise<SandboxLayout> {
  const { DEFAULT_LAYOUT } = await import('../../src/sandbox/index.js');
  const lvm = DEFAULT_LAYOUT.backends.find((b) => b.name === 'lvm-1')!;
  return {
    ...DEFAULT_LAYOUT,
    backends: [
      ...DEFAULT_LAYOUT.backends,
      { ...lvm, name: 'lvm-down', state: 'down', pools: [{ name: 'lvm-down', totalCapacityGb: 100 }] },
      { ...lvm, name: 'lvm-off', enabled: false, pools: [{ name: 'lvm-off', totalCapacityGb: 100 }] },
    ],
  };
}

/** A sandbox in this process on a free port: small volume files and a throttled copy so progress can be watched. */
export async function startE2eSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  const { startSandbox } = await import('../../src/sandbox/index.js');
  return startSandbox({
    port: 0,
    seed: 'demo',
    // 16 MiB files per "GiB" copied at 16 MiB/s: a 1 GiB volume takes about a second, in four 4 MiB file-I/O chunks.
    gibBytes: 16 * 1024 * 1024,
    copyRateMiBps: 16,
    reportIntervalSeconds: 0.1,
    phaseDelayMs: 100,
    layout: await e2eLayout(),
    ...options,
  });
}

const STATE = mkdtempSync(join(tmpdir(), 'volmig-e2e-state-'));

/** `node bin/volmig.js ...` against the sandbox with noauth, stdout/stderr piped (not a TTY). */
export function spawnVolmig(sandbox: SandboxHandle, args: string[], env: Record<string, string> = {}): Spawned {
  return spawnCli(args, {
    cwd: STATE,
    env: {
      HOME: STATE,
      XDG_STATE_HOME: STATE,
      OS_AUTH_TYPE: 'noauth',
      OS_ENDPOINT: sandbox.url,
      OS_PROJECT_ID: 'admin',
      OS_USER_ID: 'admin',
      ...env,
    },
  });
}

export function volmigRun(sandbox: SandboxHandle, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return spawnVolmig(sandbox, args, env).done;
}

/** Direct API calls for setting the scene (noauth admin), not through volmig. */
export function api<T = unknown>(sandbox: SandboxHandle, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  return sandboxAdminApi<T>(sandbox.url, method, path, body);
}

export async function getVolume(sandbox: SandboxHandle, id: string): Promise<Volume> {
  return (await api<{ volume: Volume }>(sandbox, 'GET', `/volumes/${id}`)).body.volume;
}

export async function volumeByName(sandbox: SandboxHandle, name: string): Promise<Volume> {
  const r = await api<{ volumes: Volume[] }>(sandbox, 'GET', `/volumes/detail?name=${encodeURIComponent(name)}`);
  const v = r.body.volumes.find((x) => x.name === name);
  if (!v) throw new Error(`no volume named ${name}`);
  return v;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Creates a volume and waits until it is available. */
export async function createVolume(sandbox: SandboxHandle, body: { size: number; name: string; volume_type?: string }): Promise<Volume> {
  const r = await api<{ volume: Volume }>(sandbox, 'POST', '/volumes', { volume: body });
  if (r.status !== 202) throw new Error(`create volume: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  const id = r.body.volume.id;
  return waitFor(`volume ${body.name} available`, async () => {
    const v = await getVolume(sandbox, id);
    return v.status === 'available' ? v : undefined;
  });
}

export function migstat(v: Volume): string | null {
  return (v['os-vol-mig-status-attr:migstat'] as string | null | undefined) ?? null;
}

export function host(v: Volume): string | null {
  return (v['os-vol-host-attr:host'] as string | null | undefined) ?? null;
}

/** Percentages in plain progress lines, in order. */
export function percents(stderr: string): number[] {
  return [...stderr.matchAll(/ (\d+)% /g)].map((m) => Number(m[1]));
}

/** Any ANSI escape sequence (colour, cursor movement). */
export const ESC = new RegExp(String.fromCharCode(27) + '\\[');
