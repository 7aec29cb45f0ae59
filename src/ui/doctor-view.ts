import type { ChalkInstance } from 'chalk';
import type { DoctorCheck, DoctorReport } from '../migration/doctor.js';
import { displayWidth, wrapWords } from '../help/text.js';
import { NONE } from './format.js';
import { renderKeyValue } from './table.js';

/** The widest key of the two key-value sections, `region, interface:`. */
const KEY_WIDTH = 'region, interface:'.length;

export const CHECK_NAMES: Record<DoctorCheck['name'], string> = {
  configuration: 'configuration',
  authentication: 'authentication',
  'block-storage': 'block storage',
  admin: 'may migrate',
  'progress-server': 'progress: server',
  'progress-ceph': 'progress: ceph',
  'progress-process': 'progress: process',
  completion: 'completion',
};

function mark(check: DoctorCheck, c: ChalkInstance): string {
  if (check.ok === true) return c.green('ok  ');
  if (check.ok === null) return c.dim('-   ');
  return check.optional ? c.yellow('no  ') : c.red('FAIL');
}

function orNone(v: string | null | undefined): string {
  return v === null || v === undefined || v === '' ? NONE : v;
}

/**
 * The doctor's one screen: where the configuration came from, the endpoints, one line per check, a verdict. With
 * `columns` (a terminal's width) a check's text is wrapped under itself, so the report still reads as columns
 * instead of lines the terminal folds at its edge.
 */
export function renderDoctor(report: DoctorReport, c: ChalkInstance, columns?: number): string[] {
  const cf = report.configuration;
  const ep = report.endpoints;
  const cloudFile = cf.clouds_file ? `${cf.clouds_file}${cf.cloud ? ` (cloud ${cf.cloud}, chosen by ${cf.cloud_selected_by ?? '?'})` : ''}` : NONE;
  const identity = [cf.user ? `user ${cf.user}` : null, cf.project ? `project ${cf.project}` : null].filter(Boolean).join(', ');
  // `key:   value` rows, indented by two; on a terminal a long value goes on under itself (renderKeyValue aligns
  // the lines of a value), a path broken only at a space.
  const valueRoom = columns === undefined ? undefined : columns - (2 + KEY_WIDTH + 2);
  const keyValues = (pairs: [string, string][]): string[] =>
    renderKeyValue(
      valueRoom === undefined || valueRoom < 40 ? pairs : pairs.map(([k, v]) => [k, wrapWords(v, valueRoom).join('\n')]),
      KEY_WIDTH,
    ).map((l) => `  ${l}`);
  const lines: string[] = ['Configuration'];
  lines.push(
    ...keyValues([
      ['settings file', orNone(cf.settings_file)],
      ['clouds.yaml', cloudFile],
      ...(cf.secure_file ? [['secure.yaml', cf.secure_file] as [string, string]] : []),
      ...(cf.vendor_file ? [['clouds-public', cf.vendor_file] as [string, string]] : []),
      ['environment', cf.environment.length ? cf.environment.join(', ') : NONE],
      ['flags', cf.flags.length ? cf.flags.join(', ') : NONE],
      ['auth', cf.auth_type ? `${cf.auth_type}${identity ? `, ${identity}` : ''}` : NONE],
      ['region, interface', `${orNone(cf.region)}, ${orNone(cf.interface)}`],
    ]),
  );
  lines.push('Endpoints');
  const range = ep.server_max_microversion ? `server ${ep.server_min_microversion ?? '?'} to ${ep.server_max_microversion}, ` : '';
  lines.push(
    ...keyValues([
      ['identity', orNone(ep.identity)],
      ['block storage', ep.block_storage ? `${ep.block_storage} (${ep.block_storage_from === 'override' ? 'endpoint override' : 'from the catalog'})` : NONE],
      ['microversion', ep.microversion ? `${ep.microversion} in use${ep.pinned ? ` (pinned to ${ep.pinned})` : ''} (${range}volmig up to ${ep.volmig_max_microversion})` : NONE],
    ]),
  );
  lines.push('Checks');
  const width = Math.max(...report.checks.map((k) => CHECK_NAMES[k.name].length));
  const indent = `  ${' '.repeat(4)}  ${' '.repeat(width)}  `;
  // Below about 40 columns of text, wrapping would only make a tall narrow column: let the terminal fold instead.
  const room = columns !== undefined && columns - indent.length >= 40 ? columns - indent.length : undefined;
  const fold = (text: string, reserve = 0): string[] => (room === undefined ? [text] : wrapWords(text, room - reserve));
  for (const check of report.checks) {
    const [first, ...rest] = check.detail.split('\n').flatMap((line) => fold(line.trimStart()));
    lines.push(`  ${mark(check, c)}  ${CHECK_NAMES[check.name].padEnd(width)}  ${first}`);
    for (const line of rest) lines.push(`${indent}${line}`);
    if (check.hint && check.ok === false) {
      check.hint.split('\n').forEach((line, i) => {
        const lead = i === 0 ? '→ ' : '  ';
        // A command to copy is kept whole, as one line: moved left when it does not fit under the column.
        if (/^\s*(volmig|source|echo|mkdir|export)\b/.test(line)) {
          const fits = room === undefined || displayWidth(line) + lead.length <= room;
          lines.push(`${fits ? indent : '    '}${lead}${line}`);
          return;
        }
        fold(line, lead.length).forEach((part, j) => lines.push(`${indent}${j === 0 ? lead : '  '}${part}`));
      });
    }
  }
  lines.push(...(columns !== undefined && columns >= 40 ? wrapWords(verdict(report), columns) : [verdict(report)]));
  return lines;
}

/** The last line: ready, or not and why (the first line of the error). */
export function verdict(report: DoctorReport): string {
  if (report.exit_code !== 0) return `Not ready (exit ${report.exit_code}): ${(report.error ?? 'a check failed').split('\n')[0]}`;
  const admin = report.checks.find((k) => k.name === 'admin');
  const tail = admin?.ok === false ? ', but these credentials may not migrate (no admin role)' : admin?.ok === true ? ', and these credentials may migrate' : '';
  return `Ready: volmig authenticates and reaches the Block Storage API${tail}.`;
}
