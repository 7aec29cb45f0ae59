import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { generateManPage, roffText } from '../../src/help/manpage.js';

const MAN_PAGE = fileURLToPath(new URL('../../volmig.1', import.meta.url));
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

test('volmig.1 equals the man page the command tree makes now', async () => {
  // If this fails after a change to a command, an option or a help topic: `npm run man` and commit volmig.1.
  expect(readFileSync(MAN_PAGE, 'utf8')).toBe(await generateManPage());
});

test('the man page documents every command, every option and every help topic', async () => {
  const page = await generateManPage();
  for (const name of ['list', 'show', 'pools', 'migrate', 'retype', 'progress', 'evacuate', 'history', 'sandbox', 'smoke', 'recover', 'completion', 'help']) {
    expect(page, name).toMatch(new RegExp(`^\\.SS "volmig ${name} `, 'm'));
  }
  for (const flag of ['--os-application-credential-secret', '--http-timeout', '--stall-timeout', '--max-per-destination', '--all-projects']) {
    expect(page, flag).toContain(`\\fB${roffText(flag)}\\fR`);
  }
  for (const section of ['ENVIRONMENT', 'CONFIGURATION', '"EXIT STATUS"', 'EXAMPLES']) expect(page).toMatch(new RegExp(`^\\.SH ${section}$`, 'm'));
  expect(page).toMatch(/^\.TP\n\\fB143\\fR\nstopped by SIGTERM /m);
});

test('roff text: hyphens, backslashes, leading dots and non-ASCII are escaped', () => {
  expect(roffText('--os-cloud')).toBe('\\-\\-os\\-cloud');
  expect(roffText('a\\b')).toBe('a\\eb');
  expect(roffText('.volmigrc is YAML\n\'quoted')).toBe("\\&.volmigrc is YAML\n\\&'quoted");
  expect(roffText('OS_X ↔ --os-x')).toBe('OS_X \\[u2194] \\-\\-os\\-x');
});

// Optional checks where the tools exist (they are not installed by CI): groff finds no problem in the markup, and
// man renders it within 80 columns.
test.skipIf(!has('groff'))('groff reads volmig.1 without a warning', () => {
  const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', MAN_PAGE], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stderr).toBe('');
});

test.skipIf(!has('man'))('man -l volmig.1 renders at 80 columns with no line wider', () => {
  const text = execFileSync('man', ['-l', MAN_PAGE], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat' } });
  expect(text).toMatch(/^VOLMIG\(1\) +User Commands +VOLMIG\(1\)/);
  expect(text).toContain('volmig migrate [options] <volume> [host]');
  const widest = Math.max(...text.split('\n').map((l) => [...l].length));
  expect(widest).toBeLessThanOrEqual(80);
});
