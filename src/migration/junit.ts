/**
 * JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters): one <testsuites> root, one <testsuite>
 * per run, one <testcase> per check; a failing case carries <failure message="..."> with the reason in its text.
 */
export interface JUnitCase {
  name: string;
  classname: string;
  /** Seconds, as JUnit expects. */
  time: number;
  failure?: { message: string; type?: string; details?: string };
  error?: { message: string; type?: string; details?: string };
  skipped?: string;
  systemOut?: string;
  properties?: Record<string, string>;
}

export interface JUnitSuite {
  name: string;
  /** ISO 8601 local time without zone, as the JUnit schema wants; any ISO string is accepted. */
  timestamp?: string;
  hostname?: string;
  properties?: Record<string, string>;
  cases: JUnitCase[];
}

export function renderJUnit(suites: JUnitSuite[]): string {
  const all = suites.flatMap((s) => s.cases);
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(
    `<testsuites${attrs({
      name: suites.length === 1 ? suites[0]!.name : 'volmig',
      tests: all.length,
      failures: all.filter((c) => c.failure).length,
      errors: all.filter((c) => c.error && !c.failure).length,
      skipped: all.filter((c) => c.skipped !== undefined && !c.failure && !c.error).length,
      time: seconds(all.reduce((t, c) => t + c.time, 0)),
    })}>`,
  );
  suites.forEach((suite, index) => {
    const cases = suite.cases;
    lines.push(
      `  <testsuite${attrs({
        name: suite.name,
        id: index,
        tests: cases.length,
        failures: cases.filter((c) => c.failure).length,
        errors: cases.filter((c) => c.error && !c.failure).length,
        skipped: cases.filter((c) => c.skipped !== undefined && !c.failure && !c.error).length,
        time: seconds(cases.reduce((t, c) => t + c.time, 0)),
        timestamp: suite.timestamp,
        hostname: suite.hostname,
      })}>`,
    );
    if (suite.properties && Object.keys(suite.properties).length) lines.push(...renderProperties(suite.properties, '    '));
    for (const c of cases) lines.push(...renderCase(c));
    lines.push('  </testsuite>');
  });
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

function renderCase(c: JUnitCase): string[] {
  const open = `    <testcase${attrs({ name: c.name, classname: c.classname, time: seconds(c.time) })}`;
  const body: string[] = [];
  if (c.properties && Object.keys(c.properties).length) body.push(...renderProperties(c.properties, '      '));
  if (c.failure) body.push(outcomeElement('failure', c.failure));
  else if (c.error) body.push(outcomeElement('error', c.error));
  else if (c.skipped !== undefined) body.push(`      <skipped${attrs({ message: c.skipped })}/>`);
  if (c.systemOut) body.push(`      <system-out>${escapeText(c.systemOut)}</system-out>`);
  if (!body.length) return [open + '/>'];
  return [open + '>', ...body, '    </testcase>'];
}

function outcomeElement(tag: 'failure' | 'error', o: { message: string; type?: string; details?: string }): string {
  const head = `      <${tag}${attrs({ message: o.message, type: o.type })}`;
  return o.details ? `${head}>${escapeText(o.details)}</${tag}>` : `${head}/>`;
}

function renderProperties(props: Record<string, string>, indent: string): string[] {
  return [
    `${indent}<properties>`,
    ...Object.entries(props).map(([name, value]) => `${indent}  <property${attrs({ name, value })}/>`),
    `${indent}</properties>`,
  ];
}

function attrs(values: Record<string, string | number | undefined>): string {
  let out = '';
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    out += ` ${key}="${escapeAttr(String(value))}"`;
  }
  return out;
}

function seconds(s: number): string {
  return (Number.isFinite(s) && s > 0 ? s : 0).toFixed(3);
}

// XML 1.0 forbids most control characters even as references; a Cinder message or a log line could contain one.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function escapeText(s: string): string {
  return s.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
