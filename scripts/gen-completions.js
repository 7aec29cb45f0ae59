#!/usr/bin/env node
// Writes the shell completion scripts from the built program (run by `npm run completions` after the build):
// completions/volmig.bash, completions/_volmig (zsh), completions/volmig.fish.
// test/package.test.ts checks that the committed files equal this output.
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { main } from '../dist/cli.js';

export const COMPLETION_FILES = { bash: 'volmig.bash', zsh: '_volmig', fish: 'volmig.fish' };

/** The script `volmig completion <shell>` prints, produced in-process with captured output. */
export async function generateCompletion(shell) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (s) => ((stdout += s), true), isTTY: false },
    stderr: { write: (s) => ((stderr += s), true), isTTY: false },
    env: { NO_COLOR: '1' },
    isTTY: false,
    dispatcher: undefined,
    cwd: process.cwd(),
  };
  const code = await main(['node', 'volmig', 'completion', shell], io);
  if (code !== 0) throw new Error(`volmig completion ${shell} exited ${code}: ${stderr.trim()}`);
  return stdout;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = new URL('../completions/', import.meta.url);
  await mkdir(dir, { recursive: true });
  for (const [shell, file] of Object.entries(COMPLETION_FILES)) {
    const target = new URL(file, dir);
    await writeFile(target, await generateCompletion(shell));
    console.log(`wrote ${fileURLToPath(target)}`);
  }
}
