import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { UsageError } from '../../src/errors.js';
import type { Io } from '../../src/io.js';
import { runVolmig } from '../helpers/run.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'volmig-settings-ceph-'));
  await mkdir(join(root, 'home'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const io = (): Io => ({ stdout: { write: () => true }, stderr: { write: () => true }, env: { HOME: join(root, 'home') }, isTTY: false, cwd: root });
const FSID = '09bf89f8-ea39-4580-8e39-7f3af9559968';

async function settingsFrom(yaml: string) {
  const file = join(root, '.volmigrc.yaml');
  await writeFile(file, yaml);
  return { file, settings: await loadSettings(io()) };
}

describe('settings: ceph', () => {
  it('clusters by fsid or name; relative conf/keyring paths are resolved against the settings file; client. prefix dropped', async () => {
    const { file, settings } = await settingsFrom(
      [
        'ceph:',
        '  rbd: /opt/ceph/bin/rbd',
        '  clusters:',
        `    - fsid: ${FSID.toUpperCase()}`,
        '      conf: ceph/prod.conf',
        '      keyring: /etc/ceph/prod.client.volmig.keyring',
        '      client_id: client.volmig',
        '    - name: backup',
        '      conf: /etc/ceph/backup.conf',
        '',
      ].join('\n'),
    );
    expect(settings).toEqual({
      filepath: file,
      ceph: {
        rbd: '/opt/ceph/bin/rbd',
        clusters: [
          { fsid: FSID, conf: join(root, 'ceph/prod.conf'), keyring: '/etc/ceph/prod.client.volmig.keyring', client_id: 'volmig' },
          { name: 'backup', conf: '/etc/ceph/backup.conf' },
        ],
      },
    });
  });

  it.each([
    ['ceph: 42\n', "setting 'ceph' must be a mapping with rbd and/or clusters, not 42"],
    ['ceph:\n  monitors: [a]\n', "unknown setting 'ceph.monitors' (known settings: ceph.rbd, ceph.clusters)"],
    ['ceph:\n  clusters: {fsid: x}\n', "setting 'ceph.clusters' must be a list of clusters"],
    ['ceph:\n  clusters:\n    - conf: /etc/ceph/ceph.conf\n', "setting 'ceph.clusters[0]' needs fsid or name (which cluster it is for)"],
    ['ceph:\n  clusters:\n    - fsid: not-a-uuid\n', "setting 'ceph.clusters[0].fsid' must be the cluster's fsid (a UUID, as `ceph fsid` prints it), not \"not-a-uuid\""],
    [`ceph:\n  clusters:\n    - name: a\n    - fsid: ${FSID}\n      keyring: 42\n`, "setting 'ceph.clusters[1].keyring' must be a non-empty string, not 42"],
    [`ceph:\n  clusters:\n    - fsid: ${FSID}\n      user: volmig\n`, "unknown setting 'ceph.clusters[0].user' (known settings: ceph.clusters[0].fsid, ceph.clusters[0].name, ceph.clusters[0].conf, ceph.clusters[0].keyring, ceph.clusters[0].client_id)"],
    [`ceph:\n  clusters:\n    - fsid: ${FSID}\n    - fsid: ${FSID}\n`, `setting 'ceph.clusters[1].fsid': cluster ${FSID} is listed twice`],
    ['ceph:\n  rbd: ""\n', "setting 'ceph.rbd' must be a non-empty string, not \"\""],
  ])('%j is a usage error naming the file and the nested key', async (yaml, message) => {
    const file = join(root, '.volmigrc.yaml');
    await writeFile(file, yaml);
    const err = await loadSettings(io()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain(`${file}: ${message}`);
  });

  it('through the CLI: a bad ceph setting exits 2 with one line naming file and key', async () => {
    const file = join(root, '.volmigrc.yaml');
    await writeFile(file, 'ceph:\n  clusters:\n    - conf: /etc/ceph/ceph.conf\n');
    const result = await runVolmig(['pools'], { cwd: root, env: { HOME: join(root, 'home') } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`Error: ${file}: setting 'ceph.clusters[0]' needs fsid or name (which cluster it is for)\n`);
  });
});
