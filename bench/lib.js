// Shared by the benchmarks: running a child while measuring its wall time and peak RSS, medians, the machine.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

// Peak RSS is the child's own VmHWM (/proc/self/status), read by the child as it exits: polling /proc/<pid>
// from outside would miss a peak in its last milliseconds, and once it has exited the entry is gone.
const NODE_HWM_HOOK =
  'data:text/javascript,' +
  encodeURIComponent(
    "import { readFileSync } from 'node:fs';\n" +
      "process.on('exit', () => { const m = /VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));" +
      " process.stderr.write('\\nBENCH_VMHWM_KB ' + (m ? m[1] : '0') + '\\n'); });",
  );
const PYTHON_HWM_WRAPPER = [
  'import atexit, runpy, sys',
  'def _hwm():',
  "    for line in open('/proc/self/status'):",
  "        if line.startswith('VmHWM:'):",
  "            sys.stderr.write('\\nBENCH_VMHWM_KB ' + line.split()[1] + '\\n'); sys.stderr.flush()",
  'atexit.register(_hwm)',
  'sys.argv = sys.argv[1:]',
  "runpy.run_path(sys.argv[0], run_name='__main__')",
].join('\n');

/** The interpreter a Python console script names in its shebang (Debian's /usr/bin/python3, not a python3 on PATH). */
function pythonOf(script) {
  const first = readFileSync(script, 'utf8').split('\n')[0] ?? '';
  const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
  if (!m) return '/usr/bin/python3';
  return m[1].endsWith('/env') && m[2] ? m[2] : m[1];
}

/** Where an executable is on PATH, or undefined. */
export function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path ? path : undefined;
}

/**
 * Runs one command to its end. `kind` says how to make it report its peak RSS: 'node' (a script run by this
 * node) or 'python' (a Python console script). stdout is read and counted as lines, never kept.
 */
export function measure({ kind, script, args, env = process.env, cwd = ROOT }) {
  let command;
  let argv;
  if (kind === 'node') {
    command = process.execPath;
    argv = ['--import', NODE_HWM_HOOK, script, ...args];
  } else {
    command = pythonOf(script);
    argv = ['-c', PYTHON_HWM_WRAPPER, script, ...args];
  }
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let bytes = 0;
    let stderr = '';
    const tail = [];
    let partial = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      bytes += chunk.length;
      const parts = (partial + chunk).split('\n');
      partial = parts.pop();
      lines += parts.length;
      for (const p of parts.slice(-3)) {
        tail.push(p);
        if (tail.length > 3) tail.shift();
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      if (stderr.length < 200_000) stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      if (partial) lines += 1;
      const hwm = /BENCH_VMHWM_KB (\d+)/.exec(stderr);
      resolve({
        code,
        wallMs,
        peakKiB: hwm ? Number(hwm[1]) : undefined,
        lines,
        bytes,
        tail,
        stderr: stderr.replace(/\n?BENCH_VMHWM_KB \d+\n/, '').trim(),
      });
    });
  });
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function machine() {
  const list = cpus();
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? list[0]?.model ?? 'unknown CPU';
  return { cores: list.length, model, load: loadavg().map((l) => l.toFixed(2)).join(' ') };
}

export const MiB = 1024;
