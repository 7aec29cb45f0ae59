import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Volume } from '../../src/model/cinder.js';
import { assertBuilt, ROOT } from '../helpers/cli-process.js';
import { judge, paddedVolume, startFaultCloud, volumeGet, type CaseResult, type FaultCloud } from './harness.js';

/**
 * Memory under large bodies, measured where it matters: the peak RSS of the built CLI as users run it (a child
 * process; its own figure at exit, from process.resourceUsage), against the same command with an ordinary body in
 * the same run. Bodies are read chunk by chunk and decoded as they come, a page's volumes are parsed one at a time,
 * and past the 64 MiB cap nothing more is read.
 */
const SUITE = 'memory';
const MB = 1000 * 1000;
/** 50 MB in MiB: the bounds below are multiples of the body's size. */
const BODY_MIB = (50 * MB) / (1024 * 1024);
let cloud: FaultCloud;
let v: Volume;
let dir: string;
let preload: string;

beforeAll(async () => {
  assertBuilt();
  cloud = await startFaultCloud();
  v = await cloud.createVolume({ size: 1, name: 'mem-vol' });
  dir = mkdtempSync(join(tmpdir(), 'volmig-faults-rss-'));
  preload = join(dir, 'rss.cjs');
  writeFileSync(preload, "process.on('exit', () => require('fs').writeFileSync(process.env.VOLMIG_RSS_FILE, String(process.resourceUsage().maxRSS)));\n");
});
beforeEach(() => cloud.beginCase());
afterAll(async () => cloud?.stop());

let runs = 0;
/** `node bin/volmig.js args` through the proxy; its exit, output and peak RSS in MiB. */
function volmig(args: string[]): Promise<CaseResult & { rssMiB: number }> {
  const file = join(dir, `rss-${++runs}`);
  const started = Date.now();
  const child = spawn(process.execPath, ['--require', preload, join(ROOT, 'bin', 'volmig.js'), ...args], {
    cwd: cloud.stateDir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...cloud.env(), VOLMIG_RSS_FILE: file },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let stdoutBytes = 0;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdoutBytes += d.length;
    if (stdout.length < 4096) stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) =>
    child.on('close', (code) => {
      const rssMiB = Number(readFileSync(file, 'utf8')) / 1024;
      resolve({ code: code ?? -1, stdout: stdoutBytes > stdout.length ? `${stdout}…(${stdoutBytes} characters)` : stdout, stderr, ms: Date.now() - started, rssMiB });
    }),
  );
}

describe('peak memory with large bodies stays low', () => {
  it('a 50 MB volume, a 50 MB page of volumes, 50 MB that is not JSON, and bodies past the cap', async () => {
    const baseline = await volmig(['show', v.id]);
    expect(baseline.code, baseline.stderr).toBe(0);
    const figures: string[] = [`baseline show ${baseline.rssMiB.toFixed(0)} MiB`];
    const results: CaseResult[] = [baseline];

    // One volume whose description is 50 MB: the text and its one parsed copy, little else.
    cloud.reset({ kind: 'huge', method: 'GET', path: volumeGet(v.id), bytes: 50 * MB, wrap: paddedVolume(v) });
    const big = await volmig(['show', v.id]);
    results.push(big);
    expect(big.code, big.stderr).toBe(0);
    expect(big.stdout).toMatch(/^name: +mem-vol$/m);
    figures.push(`show, 50 MB volume ${big.rssMiB.toFixed(0)} MiB`);
    // the text, what JSON.parse makes of it, and the pieces it was read in until they are collected
    expect(big.rssMiB - baseline.rssMiB).toBeLessThan(3.5 * BODY_MIB);

    // A 50 MB page (about 40,000 volumes), listed as it streams: one volume parsed at a time.
    const listBase = await volmig(['list']);
    results.push(listBase);
    const { description: _d, ...rest } = await cloud.volume(v.id);
    cloud.reset({ kind: 'huge', method: 'GET', path: /\/volumes\/detail/, bytes: 50 * MB, wrap: { before: '{"volumes": [', after: ']}', unit: JSON.stringify(rest) } });
    const page = await volmig(['list']);
    results.push(page);
    expect(page.code, page.stderr).toBe(0);
    expect(page.stdout).toMatch(/characters\)$/);
    figures.push(`list, 50 MB page ${page.rssMiB.toFixed(0)} MiB (list baseline ${listBase.rssMiB.toFixed(0)} MiB)`);
    // the page's text and its pieces; the volumes, one at a time
    expect(page.rssMiB - listBase.rssMiB).toBeLessThan(2.75 * BODY_MIB);

    // 50 MB that is not JSON: read (it is under the cap), refused as malformed, exit 6.
    cloud.reset({ kind: 'huge', method: 'GET', path: volumeGet(v.id), bytes: 50 * MB, wrap: { before: '<html>', after: '</html>' } });
    const garbage = await volmig(['show', v.id]);
    results.push(garbage);
    expect(garbage.code).toBe(6);
    expect(garbage.stderr).toMatch(/^Error: the Block Storage API answered GET \S+ with a malformed body: an HTML page instead of JSON/m);
    figures.push(`show, 50 MB not JSON ${garbage.rssMiB.toFixed(0)} MiB`);
    expect(garbage.rssMiB - baseline.rssMiB).toBeLessThan(2.75 * BODY_MIB);

    // Past the cap: with a Content-Length nothing is read; chunked, the read stops at 64 MiB.
    for (const chunked of [false, true]) {
      cloud.reset({ kind: 'huge', method: 'GET', path: volumeGet(v.id), bytes: 200 * MB, chunked, times: 1 });
      const over = await volmig(['show', v.id]);
      results.push(over);
      expect(over.code).toBe(6);
      expect(over.stderr).toMatch(/is larger than 64 MiB; volmig stopped reading it/);
      figures.push(`show, 200 MB ${chunked ? 'chunked' : 'with Content-Length'} ${over.rssMiB.toFixed(0)} MiB`);
      // with Content-Length nothing is read; chunked, at most the 64 MiB before the cap (and its pieces)
      expect(over.rssMiB - baseline.rssMiB).toBeLessThan(chunked ? 100 : 16);
    }
    process.stdout.write(`peak RSS: ${figures.join('; ')}\n`);
    judge(cloud, SUITE, 'large bodies', results, { exit: [0, 6] });
  });
});
