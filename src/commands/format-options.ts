// -f/--format, -c/--column and --no-headers, shared by list, show, pools and history (the openstack CLI's options).
import type { Command } from 'commander';
import { OUTPUT_FORMATS, isOutputFormat } from '../model/output-format.js';
import type { FormatRequest } from '../ui/formats.js';
import type { CommandEnv } from './context.js';

export interface FormatFlags {
  format?: string;
  column?: string[];
  /** commander's `--no-headers`: false when given. */
  headers?: boolean;
}

export function addFormatOptions(command: Command, columnsHelp: string): Command {
  return command
    .addOption(
      command
        .createOption('-f, --format <format>', "output format (default: table, or the settings' output)")
        .choices(OUTPUT_FORMATS),
    )
    .option('-c, --column <name>', `print this column (repeatable; as the table headers name them: ${columnsHelp})`, collect)
    .option('--no-headers', 'no header line (table and csv)');
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * The format of this run: -f, else --json, else the settings file's `output`, else table. --json with another
 * -f is a contradiction, said before anything is sent.
 */
export async function formatRequest(env: CommandEnv, flags: FormatFlags): Promise<FormatRequest> {
  const columns = flags.column ?? [];
  const noHeaders = flags.headers === false;
  if (flags.format !== undefined) {
    // cli.ts turns -f json into --json, and never applies the settings' `output: json` when -f is given: --json
    // here was typed.
    if (env.globals.json && flags.format !== 'json') {
      const { UsageError } = await import('../errors.js');
      throw new UsageError(`--json and -f ${flags.format} contradict each other (--json is -f json)`);
    }
    return { format: flags.format as FormatRequest['format'], columns, noHeaders };
  }
  if (env.globals.json) return { format: 'json', columns, noHeaders };
  const output = (await env.settings()).output;
  return { format: isOutputFormat(output) ? output : 'table', columns, noHeaders };
}
