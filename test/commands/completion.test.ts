import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { runVolmig } from '../helpers/run.js';

const FILES = { bash: 'volmig.bash', zsh: '_volmig', fish: 'volmig.fish' } as const;

test.each(Object.entries(FILES))('completions/%s equals what `volmig completion` prints now', async (shell, file) => {
  const r = await runVolmig(['completion', shell]);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  const committed = readFileSync(new URL(`../../completions/${file}`, import.meta.url), 'utf8');
  // If this fails after a change to the program: `npm run completions` and commit completions/.
  expect(r.stdout).toBe(committed);
});

test('each script calls volmig back with the `complete --` protocol', async () => {
  expect((await runVolmig(['completion', 'bash'])).stdout).toContain('out=$(volmig complete -- "${words[@]:1}" "$cur" 2>/dev/null) || return 0');
  expect((await runVolmig(['completion', 'zsh'])).stdout).toMatch(/^#compdef volmig\n/);
  expect((await runVolmig(['completion', 'fish'])).stdout).toContain('complete -c volmig');
});

test('an unknown shell is a usage error', async () => {
  expect(await runVolmig(['completion', 'tcsh'])).toEqual({
    code: 2,
    stdout: '',
    stderr: "Error: invalid value for <shell>: 'tcsh' (expected bash, zsh, fish)\n",
  });
});

/** What the shell gets back for the words typed so far: one `value\tdescription` per line, then `:<directive>`. */
async function complete(...words: string[]): Promise<string[]> {
  const r = await runVolmig(['complete', '--', ...words]);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout.trimEnd().split('\n');
}

test('completes command names from the commander program (hidden ones left out)', async () => {
  const lines = await complete('');
  const names = lines.slice(0, -1).map((l) => l.split('\t')[0]);
  expect(names).toEqual(expect.arrayContaining(['list', 'show', 'pools', 'completion', 'help']));
  expect(names).not.toContain('complete');
  expect(lines.at(-1)).toBe(':4');
  expect(await complete('po')).toEqual([
    'pools\tlist backend pools (host@backend#pool) with capacity and the migration_progress_report capability',
    ':4',
  ]);
});

test('completes a command\'s options, the global options after it, and known option values', async () => {
  expect(await complete('list', '--mig')).toEqual([
    '--migration-status\tnone, starting, migrating, completing, success, error, deleting or target:<volume id>',
    ':4',
  ]);
  expect((await complete('list', '--js'))[0]).toBe('--json\tprint JSON on stdout (no colour, no animation)');
  expect(await complete('list', '--migration-status', '')).toEqual([
    'none\t',
    'starting\t',
    'migrating\t',
    'completing\t',
    'success\t',
    'error\t',
    'deleting\t',
    ':4',
  ]);
  expect(await complete('list', '--status', 'in')).toEqual(['in-use\t', ':4']);
  expect(await complete('completion', '')).toEqual(['bash\t', 'zsh\t', 'fish\t', ':4']);
});

test('the committed bash script parses in bash', async () => {
  const { spawnSync } = await import('node:child_process');
  const result = spawnSync('bash', ['-n', new URL('../../completions/volmig.bash', import.meta.url).pathname], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
});
