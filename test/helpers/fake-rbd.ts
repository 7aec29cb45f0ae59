/**
 * A fake `rbd` executable for the Ceph progress probe's tests: a POSIX shell script put first on PATH. It answers by
 * its last argument (the image spec `pool/image`, or the pool of `du --pool <pool>`): files in its folder named after
 * that spec ('/' becomes '__') give stdout (`.out`), stderr (`.err`), the exit code (`.code`) and a delay (`.sleep`:
 * the script writes its pid to `.pid` and execs sleep, so killing that pid ends it). Every call is logged, one line
 * of arguments each, in calls.log.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = `#!/bin/sh
printf '%s\\n' "$*" >> "$FAKE_RBD_DIR/calls.log"
for last; do :; done
key=$(printf '%s' "$last" | sed 's#/#__#g')
f="$FAKE_RBD_DIR/$key"
[ -f "$f.err" ] && cat "$f.err" >&2
if [ -f "$f.sleep" ]; then echo $$ > "$f.pid"; exec sleep "$(cat "$f.sleep")"; fi
[ -f "$f.out" ] && cat "$f.out"
exit "$(cat "$f.code" 2>/dev/null || echo 0)"
`;

export interface DuImage {
  name: string;
  used: number;
  provisioned?: number;
  snapshot?: string;
}

export class FakeRbd {
  readonly dir = mkdtempSync(join(tmpdir(), 'volmig-fake-rbd-'));
  /** Environment for the probe: the fake first on PATH, its folder, and CEPH_CONF unless overridden. */
  readonly env: Record<string, string>;

  constructor(extraEnv: Record<string, string> = {}) {
    writeFileSync(join(this.dir, 'rbd'), SCRIPT);
    chmodSync(join(this.dir, 'rbd'), 0o755);
    writeFileSync(join(this.dir, 'calls.log'), '');
    this.env = { PATH: `${this.dir}:/usr/bin:/bin`, FAKE_RBD_DIR: this.dir, ...extraEnv };
  }

  private file(spec: string, ext: string): string {
    return join(this.dir, `${spec.replaceAll('/', '__')}.${ext}`);
  }

  private clear(spec: string) {
    for (const ext of ['out', 'err', 'code', 'sleep', 'pid']) rmSync(this.file(spec, ext), { force: true });
  }

  /** `rbd du --format json <spec>` answers these images (spec: `pool/image` or a pool). */
  du(spec: string, images: DuImage[]): this {
    this.clear(spec);
    const rows = images.map((i) => ({
      name: i.name,
      ...(i.snapshot ? { snapshot: i.snapshot } : {}),
      id: 'abc123',
      provisioned_size: i.provisioned ?? 3 * 2 ** 30,
      used_size: i.used,
    }));
    const total = rows.reduce((a, r) => a + r.used_size, 0);
    writeFileSync(this.file(spec, 'out'), JSON.stringify({ images: rows, total_provisioned_size: 0, total_used_size: total }) + '\n');
    return this;
  }

  /** The call for `spec` fails: this stderr, this exit code. */
  fails(spec: string, stderr: string, code: number): this {
    this.clear(spec);
    writeFileSync(this.file(spec, 'err'), stderr);
    writeFileSync(this.file(spec, 'code'), String(code));
    return this;
  }

  /** The call for `spec` hangs for `seconds` (until killed). */
  hangs(spec: string, seconds = 30): this {
    this.clear(spec);
    writeFileSync(this.file(spec, 'sleep'), String(seconds));
    return this;
  }

  /** pid of the hanging call for `spec`, once it has started. */
  pidOf(spec: string): number | null {
    const f = this.file(spec, 'pid');
    return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : null;
  }

  /** Each call's arguments, oldest first. */
  calls(): string[][] {
    return readFileSync(join(this.dir, 'calls.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' '));
  }

  resetCalls(): void {
    writeFileSync(join(this.dir, 'calls.log'), '');
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
