import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { CaseRecord } from './harness.js';
import { FAULT_KINDS } from './proxy.js';

/**
 * Every case of the suite appends its figures to a file here; at the end they are added up into one table, printed
 * on stdout (and written as JSON to $VOLMIG_FAULTS_FIGURES when set, for .ci/run). The figures that must be 0 fail
 * the run when they are not (each case also asserts its own); vitest ignores an error thrown here, so the exit code
 * is set instead.
 */
export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'volmig-fault-records-'));
  project.provide('faultRecords', dir);
  const started = Date.now();
  return () => {
    const records: CaseRecord[] = [];
    for (const name of readdirSync(dir)) {
      for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) if (line) records.push(JSON.parse(line) as CaseRecord);
    }
    rmSync(dir, { recursive: true, force: true });
    const { table, failed, figures } = figuresTable(records, Date.now() - started);
    process.stdout.write(`\n${table}\n`);
    if (process.env.VOLMIG_FAULTS_FIGURES) writeFileSync(process.env.VOLMIG_FAULTS_FIGURES, `${JSON.stringify({ ...figures, failed }, null, 2)}\n`);
    if (failed.length > 0) {
      process.stdout.write(`FAULT SUITE FAILED: figures that must be 0: ${failed.join(', ')}\n`);
      process.exitCode = 1;
    }
  };
}

export function figuresTable(records: CaseRecord[], ms: number): { table: string; failed: string[]; figures: Record<string, number> } {
  const byKind = new Map<string, number>();
  for (const r of records) for (const [kind, n] of Object.entries(r.faults)) byKind.set(kind, (byKind.get(kind) ?? 0) + n);
  const sum = (key: keyof CaseRecord) => records.reduce((n, r) => n + ((r[key] as number | undefined) ?? 0), 0);
  const rows: [string, number][] = [];
  for (const kind of FAULT_KINDS) rows.push([`faults injected: ${kind}`, byKind.get(kind) ?? 0]);
  rows.push(['faults injected: total', [...byKind.values()].reduce((a, b) => a + b, 0)]);
  rows.push(['fault cases', records.filter((r) => r.suite !== 'fuzz').length]);
  rows.push(['fuzzed command lines', records.filter((r) => r.suite === 'fuzz' && r.runs === 1).length]);
  rows.push(['volmig runs', sum('runs')]);
  rows.push(['migrate/retype requests reaching the sandbox', sum('reached')]);
  const mustBeZero: [string, number][] = [
    ['duplicate migrate/retype requests', sum('duplicates')],
    ['wrong exit codes', sum('wrongExit')],
    ['stack traces', sum('stackTraces')],
    ['secrets seen', sum('secretsSeen')],
    ['watches past their deadline', sum('pastDeadline')],
  ];
  const width = Math.max(...[...rows, ...mustBeZero].map(([k]) => k.length));
  const lines = ['fault suite figures', '-'.repeat(width + 10)];
  for (const [k, v] of rows) lines.push(`${k.padEnd(width)}  ${String(v).padStart(7)}`);
  lines.push('-'.repeat(width + 10));
  for (const [k, v] of mustBeZero) lines.push(`${k.padEnd(width)}  ${String(v).padStart(7)}${v === 0 ? '' : '  <- must be 0'}`);
  lines.push(`(${(ms / 1000).toFixed(1)} s)`);
  return {
    table: lines.join('\n'),
    failed: mustBeZero.filter(([, v]) => v !== 0).map(([k, v]) => `${k} ${v}`),
    figures: Object.fromEntries([...rows, ...mustBeZero, ['seconds', Math.round(ms / 100) / 10]]),
  };
}
