import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { assertBuilt, ROOT } from '../helpers/cli-process.js';
import { startTestSandbox, type TestSandbox } from '../sandbox/helpers.js';

// The committed script, run by a real bash (5.x on Debian), as a user's shell would run it.
const SCRIPT = join(ROOT, 'completions', 'volmig.bash');
const BASH_COMPLETION = '/usr/share/bash-completion/bash_completion';
const hasBashCompletion = existsSync(BASH_COMPLETION);
if (!hasBashCompletion) console.warn(`${BASH_COMPLETION} not found: the bash-completion half of these tests is skipped (apt-get install bash-completion runs it)`);

const dir = mkdtempSync(join(tmpdir(), 'volmig-bash-'));
const bin = join(dir, 'bin');
let sandbox: TestSandbox;
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  // `volmig` on PATH: the built CLI, as an installed one would be.
  mkdirSync(bin);
  writeFileSync(join(bin, 'volmig'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin', 'volmig.js')}" "$@"\n`);
  chmodSync(join(bin, 'volmig'), 0o755);
  sandbox = await startTestSandbox({ seed: 'demo' });
  env = {
    PATH: `${bin}:/usr/bin:/bin`,
    HOME: dir,
    XDG_CACHE_HOME: join(dir, 'cache'),
    OS_AUTH_TYPE: 'noauth',
    OS_ENDPOINT: sandbox.url,
    OS_PROJECT_ID: 'admin',
    OS_USER_ID: 'admin',
  };
});
afterAll(async () => {
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** bash -c, asynchronously: the sandbox it talks to runs in this process. */
function bash(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['--norc', '--noprofile', '-c', script], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * What <Tab> at the end of `line` puts in COMPREPLY, as bash calls the function (COMP_LINE, COMP_POINT and the
 * default COMP_WORDBREAKS, which split at '=', ':' and '@'); candidates joined by '|'.
 */
const TAB = `tab() { COMP_LINE=$1; COMP_POINT=\${#COMP_LINE}; COMPREPLY=(); _volmig; local IFS='|'; echo "\${COMPREPLY[*]}"; }`;

describe('the bash completion script in a real bash', () => {
  test('can be sourced twice: no error (no readonly variables), exit 0', async () => {
    const r = await bash(`source '${SCRIPT}' && source '${SCRIPT}' && complete -p volmig`);
    expect(r).toEqual({ code: 0, stdout: 'complete -F _volmig volmig\n', stderr: '' });
  });

  test('leaves no variable behind: sourcing defines only _volmig; a completion sets only COMPREPLY', async () => {
    const r = await bash(
      [
        'compgen -v | sort > before',
        `source '${SCRIPT}'; source '${SCRIPT}'`,
        'compgen -v | sort > sourced',
        'declare -F | grep -c volmig',
        TAB,
        "tab 'volmig li' > /dev/null",
        'compgen -v | sort > completed',
        'comm -13 before sourced | grep -v -x -e PIPESTATUS -e _ || echo same-after-source',
        // bash's own: PIPESTATUS and _ change with every command.
        'comm -13 before completed | grep -v -x -e COMPREPLY -e COMP_LINE -e COMP_POINT -e PIPESTATUS -e _ || echo same-after-completion',
      ].join('\n'),
    );
    expect(r.stderr).toBe('');
    // COMP_LINE and COMP_POINT are set by this test's tab() (bash sets them itself on a real <Tab>).
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(['1', 'same-after-source', 'same-after-completion']);
  });

  test('without the bash-completion package: commands, the cloud\'s volumes and pools (after @ and =), types', async () => {
    const r = await bash(
      [
        `source '${SCRIPT}'`,
        'declare -F _get_comp_words_by_ref >/dev/null && echo bash-completion-loaded',
        TAB,
        "tab 'volmig po'",
        "tab 'volmig migrate demo-lvm-2-'",
        "tab 'volmig migrate demo-lvm-2-1g sandbox@vendor#pool-'",
        "tab 'volmig evacuate --from sandbox@lvm-1 --to=sandbox@lvm-2'",
        "tab 'volmig list --migration-status=compl'",
        "tab 'volmig retype demo-lvm-2-1g vendor'",
      ].join('\n'),
    );
    expect(r.stderr).toBe('');
    // Each candidate is cut where readline will insert it: after '=', from '@' on (bash keeps '@' in the word).
    expect(r.stdout.split('\n')).toEqual([
      'pools',
      'demo-lvm-2-2g|demo-lvm-2-1g',
      '@vendor#pool-a|@vendor#pool-b',
      '@lvm-2#lvm-2',
      'completing',
      'vendor|vendor-lite',
      '',
    ]);
  });

  test.skipIf(!hasBashCompletion)('with the bash-completion package (skipped where Debian\'s bash-completion is not installed): its loader finds the file in the user directory, the same answers', async () => {
    const completions = join(dir, 'data', 'bash-completion', 'completions');
    mkdirSync(completions, { recursive: true });
    spawnSync('cp', [SCRIPT, join(completions, 'volmig')]);
    const r = await bash(
      [
        `source '${BASH_COMPLETION}'`,
        `export XDG_DATA_HOME='${join(dir, 'data')}'`,
        '_completion_loader volmig 2>/dev/null || __load_completion volmig',
        'complete -p volmig',
        `source '${SCRIPT}'; source '${SCRIPT}'`,
        TAB,
        "tab 'volmig migrate demo-lvm-2-1g sandbox@lvm'",
        "tab 'volmig show demo-pool-c-'",
      ].join('\n'),
    );
    expect(r.stderr).toBe('');
    // bash-completion takes '@' out of COMP_WORDBREAKS: readline then replaces the whole word.
    expect(r.stdout.split('\n')).toEqual(['complete -F _volmig volmig', 'sandbox@lvm-1#lvm-1|sandbox@lvm-2#lvm-2', 'demo-pool-c-2g|demo-pool-c-1g', '']);
  });
});
