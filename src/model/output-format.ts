/**
 * The output formats of `-f/--format` (the openstack CLI's names) and of the settings file's `output` key. `json`
 * applies to every command (as --json); the others only to the commands that have -f: list, show, pools, history.
 */
export const OUTPUT_FORMATS = ['table', 'json', 'yaml', 'value', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function isOutputFormat(value: unknown): value is OutputFormat {
  return typeof value === 'string' && (OUTPUT_FORMATS as readonly string[]).includes(value);
}
