/**
 * `volmig doctor`: what volmig is talking to and whether it may migrate, found with harmless calls only (GETs:
 * the versions document, one volume of the own project, get_pools, os-services). It never prints a secret: the
 * configuration is described by where it came from (file paths, variable and flag names), never by its values,
 * except the non-secret identity (user, project, region, interface) and URLs without their credentials.
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlockStorageClient } from '../api/block-storage.js';
import { CinderApiError } from '../api/errors.js';
import { compareMicroversions, formatMicroversion, parsePin } from '../api/microversion.js';
import type { CloudConfig } from '../config/cloud.js';
import type { GlobalOptions } from '../config/global-options.js';
import type { VolmigSettings } from '../config/settings.js';
import { ExitCode, VolmigError } from '../errors.js';
import type { Io } from '../io.js';
import { PROGRESS_MICROVERSION, VOLMIG_MAX_MICROVERSION, type Pool } from '../model/cinder.js';
import { stripUrlCredentials } from './journal.js';
import { cephAccess, procReadable } from './sources/access.js';
import { rbdLocationOf, type RbdLocation } from './sources/ceph.js';

/** ok: passed; false: failed; null: could not be told (a step before it failed). */
export interface DoctorCheck {
  name: 'configuration' | 'authentication' | 'block-storage' | 'admin' | 'progress-server' | 'progress-ceph' | 'progress-process' | 'completion';
  ok: boolean | null;
  /** Optional checks never change the exit code. */
  optional: boolean;
  detail: string;
  /** What to do about it, when it failed. */
  hint?: string;
}

export interface DoctorReport {
  configuration: {
    settings_file: string | null;
    clouds_file: string | null;
    secure_file: string | null;
    vendor_file: string | null;
    cloud: string | null;
    cloud_selected_by: string | null;
    /** The OS_* (and CINDER_ENDPOINT, CEPH_CONF) variables set that volmig reads: names only. */
    environment: string[];
    /** The --os-* flags given: names only. */
    flags: string[];
    auth_type: string | null;
    user: string | null;
    project: string | null;
    region: string | null;
    interface: string | null;
  };
  endpoints: {
    identity: string | null;
    block_storage: string | null;
    /** catalog, or override (--os-endpoint, OS_ENDPOINT, CINDER_ENDPOINT, block_storage_endpoint_override). */
    block_storage_from: 'catalog' | 'override' | null;
    microversion: string | null;
    server_min_microversion: string | null;
    server_max_microversion: string | null;
    volmig_max_microversion: string;
    pinned: string | null;
  };
  checks: DoctorCheck[];
  exit_code: number;
  /** The error that decided a non-zero exit code, for the one Error: line. */
  error: string | null;
}

export interface DoctorDeps {
  io: Io;
  globals: GlobalOptions;
  settings: () => Promise<VolmigSettings>;
  resolveCloud: (settings: VolmigSettings) => Promise<CloudConfig>;
  connect: (cloud: CloudConfig) => Promise<BlockStorageClient>;
  /** Where procfs is (tests); default /proc. */
  procRoot?: string;
}

/** The variables volmig reads for the connection (src/config/cloud.ts) and for its probes: shown by name if set. */
const ENV_NAMES = [
  'OS_CLOUD', 'OS_CLIENT_CONFIG_FILE', 'OS_CLIENT_SECURE_FILE', 'OS_AUTH_TYPE', 'OS_AUTH_URL', 'OS_ENDPOINT', 'CINDER_ENDPOINT',
  'OS_USERNAME', 'OS_USER_ID', 'OS_USER_DOMAIN_ID', 'OS_USER_DOMAIN_NAME', 'OS_PASSWORD', 'OS_PROJECT_ID', 'OS_TENANT_ID',
  'OS_PROJECT_NAME', 'OS_TENANT_NAME', 'OS_PROJECT_DOMAIN_ID', 'OS_PROJECT_DOMAIN_NAME', 'OS_DOMAIN_ID', 'OS_DOMAIN_NAME',
  'OS_DEFAULT_DOMAIN', 'OS_DEFAULT_DOMAIN_ID', 'OS_DEFAULT_DOMAIN_NAME', 'OS_IDENTITY_API_VERSION', 'OS_TOKEN',
  'OS_APPLICATION_CREDENTIAL_ID', 'OS_APPLICATION_CREDENTIAL_NAME', 'OS_APPLICATION_CREDENTIAL_SECRET', 'OS_REGION_NAME',
  'OS_INTERFACE', 'OS_CACERT', 'OS_VOLUME_API_VERSION', 'OS_INSECURE', 'CEPH_CONF',
];

/** GlobalOptions keys that are connection flags, as the flag is spelled. */
function flagNames(globals: GlobalOptions): string[] {
  const names: string[] = [];
  for (const [key, value] of Object.entries(globals)) {
    if (value === undefined || value === '' || value === false) continue;
    if (key.startsWith('os') || key === 'insecure' || key === 'httpTimeout') names.push(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  }
  return names;
}

function pinnedVersion(text: string | undefined): string | null {
  try {
    const pin = parsePin(text);
    return pin ? formatMicroversion(pin) : null;
  } catch {
    return text ?? null;
  }
}

function describeError(err: unknown): { message: string; hint?: string; code: number } {
  if (err instanceof VolmigError) return { message: err.message, hint: err.hint, code: err.exitCode };
  return { message: err instanceof Error ? err.message : String(err), code: ExitCode.FAILED };
}

export async function diagnose(deps: DoctorDeps): Promise<DoctorReport> {
  const { io, globals } = deps;
  const report: DoctorReport = {
    configuration: {
      settings_file: null,
      clouds_file: null,
      secure_file: null,
      vendor_file: null,
      cloud: null,
      cloud_selected_by: null,
      environment: ENV_NAMES.filter((n) => (io.env[n] ?? '') !== ''),
      flags: flagNames(globals),
      auth_type: null,
      user: null,
      project: null,
      region: null,
      interface: null,
    },
    endpoints: {
      identity: null,
      block_storage: null,
      block_storage_from: null,
      microversion: null,
      server_min_microversion: null,
      server_max_microversion: null,
      volmig_max_microversion: VOLMIG_MAX_MICROVERSION,
      pinned: null,
    },
    checks: [],
    exit_code: ExitCode.OK,
    error: null,
  };
  const add = (check: DoctorCheck) => report.checks.push(check);
  const fail = (name: DoctorCheck['name'], err: unknown, prefix = ''): DoctorReport => {
    const { message, hint, code } = describeError(err);
    add({ name, ok: false, optional: false, detail: `${prefix}${message}`, hint });
    report.exit_code = code;
    report.error = `${prefix}${message}`;
    // What could not be checked because of it (completion can always be).
    for (const later of ['authentication', 'block-storage', 'admin', 'progress-server', 'progress-ceph', 'progress-process'] as const) {
      if (!report.checks.some((c) => c.name === later)) add({ name: later, ok: null, optional: later.startsWith('progress') || later === 'admin', detail: `not checked (${name.replace('-', ' ')} failed)` });
    }
    return report;
  };

  let settings: VolmigSettings;
  let cloud: CloudConfig;
  try {
    settings = await deps.settings();
    report.configuration.settings_file = settings.filepath ?? null;
    cloud = await deps.resolveCloud(settings);
  } catch (err) {
    await addCompletion(report, io);
    return fail('configuration', err);
  }
  const c = report.configuration;
  c.clouds_file = cloud.sourceFiles?.clouds ?? null;
  c.secure_file = cloud.sourceFiles?.secure ?? null;
  c.vendor_file = cloud.sourceFiles?.vendor ?? null;
  c.cloud = cloud.cloudName ?? null;
  c.cloud_selected_by = cloud.cloudSelectedBy ?? null;
  c.auth_type = cloud.authPlugin === cloud.authType ? cloud.authType : `${cloud.authType} (${cloud.authPlugin})`;
  c.user = cloud.auth.username ?? cloud.auth.userId ?? (cloud.authType === 'v3applicationcredential' ? `application credential ${cloud.auth.applicationCredentialId ?? cloud.auth.applicationCredentialName}` : null);
  c.project = cloud.auth.projectName ?? cloud.auth.projectId ?? null;
  c.region = cloud.regionName ?? null;
  c.interface = cloud.interface;
  const e = report.endpoints;
  e.identity = cloud.auth.authUrl && cloud.authType !== 'noauth' ? stripUrlCredentials(cloud.auth.authUrl) : null;
  e.block_storage_from = cloud.endpointOverride ? 'override' : 'catalog';
  // `3` (or `latest`) asks to negotiate, as volume_api_version: 3 in a clouds.yaml does: only 3.N pins.
  e.pinned = pinnedVersion(cloud.volumeApiVersion);
  add({ name: 'configuration', ok: true, optional: false, detail: cloud.description });

  let client: BlockStorageClient;
  try {
    client = await deps.connect(cloud);
  } catch (err) {
    await addCompletion(report, io);
    const { code } = describeError(err);
    return fail(code === ExitCode.AUTH ? 'authentication' : code === ExitCode.USAGE ? 'configuration' : 'block-storage', err);
  }
  e.block_storage = stripUrlCredentials(client.endpoint);
  e.microversion = client.microversion;
  await readVersionRange(client, report);

  // The first request to Cinder with the token: one volume of the own project, which any member may list.
  try {
    for await (const volume of client.listVolumes({ pageSize: 1, max: 1, prefetch: false })) void volume;
  } catch (err) {
    await addCompletion(report, io);
    if (err instanceof CinderApiError && err.status === 401) return fail('authentication', err, 'the Block Storage API refused the token: ');
    return fail('block-storage', err);
  }
  add({
    name: 'authentication',
    ok: true,
    optional: false,
    detail:
      cloud.authType === 'noauth'
        ? `noauth: the Block Storage API accepts user ${cloud.auth.userId ?? c.project} in project ${client.projectId}`
        : `${cloud.authType === 'token' && !cloud.auth.authUrl ? 'the token' : 'Keystone issued a token'}; the Block Storage API accepts it (project ${client.projectId})`,
  });
  add({ name: 'block-storage', ok: true, optional: false, detail: `reached ${e.block_storage}: GET volumes/detail?limit=1 answered` });

  // Admin: the reads that migrate's pre-flight needs; Cinder's default policy allows them to admins only.
  let pools: Pool[] | null = null;
  const refusals: string[] = [];
  const other: string[] = [];
  try {
    pools = await client.getPools();
  } catch (err) {
    (err instanceof CinderApiError && err.status === 403 ? refusals : other).push(`get_pools: ${describeError(err).message}`);
  }
  try {
    await client.listServices({ binary: 'cinder-volume' });
  } catch (err) {
    (err instanceof CinderApiError && err.status === 403 ? refusals : other).push(`os-services: ${describeError(err).message}`);
  }
  if (refusals.length > 0) {
    add({
      name: 'admin',
      ok: false,
      optional: true,
      detail: `no: these credentials may not migrate (${refusals.join('; ')})`,
      hint: "migrate, retype, evacuate and smoke need an admin role in Cinder's policy: use an admin's credentials",
    });
  } else if (other.length > 0) {
    add({ name: 'admin', ok: null, optional: true, detail: `could not be told: ${other.join('; ')}` });
  } else {
    add({ name: 'admin', ok: true, optional: true, detail: `yes: get_pools (${pools!.length} pool${pools!.length === 1 ? '' : 's'}) and os-services answered; these credentials may migrate` });
  }

  await addProgressSources(report, client, pools, settings, io, deps.procRoot);
  await addCompletion(report, io);
  return report;
}

const CHECK_ORDER: DoctorCheck['name'][] = ['configuration', 'authentication', 'block-storage', 'admin', 'progress-server', 'progress-ceph', 'progress-process', 'completion'];

/** The report with its checks in the order the screen shows them. */
export async function doctor(deps: DoctorDeps): Promise<DoctorReport> {
  const report = await diagnose(deps);
  report.checks.sort((a, b) => CHECK_ORDER.indexOf(a.name) - CHECK_ORDER.indexOf(b.name));
  return report;
}

/** The server's microversion range, from the versions document at the service root (unauthenticated on Cinder). */
async function readVersionRange(client: BlockStorageClient, report: DoctorReport): Promise<void> {
  const root = client.endpoint.replace(/\/v3\/[^/]+$/, '/');
  try {
    const res = await client.request<{ versions?: { id?: string; version?: string; min_version?: string }[] }>('GET', root);
    const v3 = res.body?.versions?.find((v) => typeof v?.id === 'string' && /^v3(\.|$)/.test(v.id));
    report.endpoints.server_min_microversion = v3?.min_version || null;
    report.endpoints.server_max_microversion = v3?.version || null;
  } catch {
    // The range is for information: the microversion in use was negotiated already.
  }
}

async function addProgressSources(report: DoctorReport, client: BlockStorageClient, pools: Pool[] | null, settings: VolmigSettings, io: Io, procRoot?: string): Promise<void> {
  const add = (check: Omit<DoctorCheck, 'optional'>) => report.checks.push({ ...check, optional: true });
  const max = report.endpoints.server_max_microversion;
  if (compareMicroversions(client.microversion, PROGRESS_MICROVERSION) >= 0) {
    const reporting = (pools ?? []).filter((p) => p.capabilities?.migration_progress_report === true || String(p.capabilities?.migration_progress_report ?? '').toLowerCase() === 'true');
    add({
      name: 'progress-server',
      ok: true,
      detail: `migration_progress at microversion ${client.microversion}${pools ? `; ${reporting.length} of ${pools.length} pools also report their own driver-assisted copies` : ''}`,
    });
  } else {
    const why = report.endpoints.pinned && max && compareMicroversions(max, PROGRESS_MICROVERSION) >= 0
      ? `the microversion is pinned to ${client.microversion} (the server has ${max})`
      : `the server's newest microversion is ${max ?? client.microversion} (upstream Cinder has no migration_progress yet)`;
    add({ name: 'progress-server', ok: false, detail: `no migration_progress: it needs microversion ${PROGRESS_MICROVERSION}, and ${why}` });
  }

  if (pools === null) {
    add({ name: 'progress-ceph', ok: null, detail: 'could not be told: the pools could not be read (an admin role is needed for get_pools)' });
  } else {
    const clusters = new Map<string, { loc: RbdLocation; pools: string[] }>();
    for (const pool of pools) {
      const loc = rbdLocationOf(pool);
      if (!loc) continue;
      const entry = clusters.get(loc.fsid) ?? { loc, pools: [] };
      entry.pools.push(pool.name);
      clusters.set(loc.fsid, entry);
    }
    if (clusters.size === 0) {
      add({ name: 'progress-ceph', ok: null, detail: 'not needed: no pool is Ceph RBD' });
    } else {
      const answers: string[] = [];
      const problems: string[] = [];
      for (const { loc, pools: names } of clusters.values()) {
        const a = await cephAccess(loc, settings.ceph, io.env);
        if (a.ok) answers.push(`cluster ${loc.fsid} (${names.length} pool${names.length === 1 ? '' : 's'}): ${a.rbd} with ${a.client.conf} (${a.client.confOrigin})`);
        else problems.push(`cluster ${loc.fsid}: ${a.why}`);
      }
      add({
        name: 'progress-ceph',
        ok: problems.length === 0,
        detail: [...answers, ...problems].join('; '),
        hint: problems.length > 0 ? 'see README "Progress on your cloud": ceph-common, a ceph.conf and a read-only keyring for the pools' : undefined,
      });
    }
  }

  const proc = await procReadable(procRoot);
  add({
    name: 'progress-process',
    ok: proc,
    detail: proc ? '/proc is readable: the dd of a copy that runs on this host can be read' : '/proc is not readable here: the dd of a copy cannot be read',
  });
}

interface ShellPlace {
  shell: 'bash' | 'zsh' | 'fish';
  path: string;
}

/** The files a shell loads completions from (bash-completion's user and system dirs, zsh's fpath, fish's dirs). */
function completionPlaces(env: Record<string, string | undefined>): ShellPlace[] {
  const home = env.HOME ?? '';
  const data = env.XDG_DATA_HOME?.startsWith('/') ? env.XDG_DATA_HOME : join(home, '.local', 'share');
  const config = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  const bashUser = env.BASH_COMPLETION_USER_DIR ? env.BASH_COMPLETION_USER_DIR.split(':').map((d) => join(d, 'completions')) : [join(data, 'bash-completion', 'completions')];
  const fpath = (env.FPATH ?? '').split(':').filter((d) => d.startsWith('/'));
  return [
    ...[...bashUser, '/usr/local/share/bash-completion/completions', '/usr/share/bash-completion/completions'].map((d) => ({ shell: 'bash' as const, path: join(d, 'volmig') })),
    { shell: 'bash', path: '/etc/bash_completion.d/volmig' },
    ...[...fpath, join(home, '.zsh', 'completions'), join(home, '.zfunc'), '/usr/local/share/zsh/site-functions', '/usr/share/zsh/vendor-completions', '/usr/share/zsh/site-functions'].map((d) => ({ shell: 'zsh' as const, path: join(d, '_volmig') })),
    ...[join(config, 'fish', 'completions'), '/usr/local/share/fish/vendor_completions.d', '/usr/share/fish/vendor_completions.d', '/etc/fish/completions'].map((d) => ({ shell: 'fish' as const, path: join(d, 'volmig.fish') })),
  ];
}

/** rc files in which `source <(volmig completion bash)` and the like would sit. */
function rcFiles(env: Record<string, string | undefined>): ShellPlace[] {
  const home = env.HOME ?? '';
  const config = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return [
    { shell: 'bash', path: join(home, '.bashrc') },
    { shell: 'bash', path: join(home, '.bash_profile') },
    { shell: 'zsh', path: join(env.ZDOTDIR?.startsWith('/') ? env.ZDOTDIR : home, '.zshrc') },
    { shell: 'fish', path: join(config, 'fish', 'config.fish') },
  ];
}

/** Where `volmig completion <shell>` goes for a user, as the help and the README say. */
export function installHint(shell: string): string {
  switch (shell) {
    case 'zsh':
      return 'volmig completion zsh > "${fpath[1]}/_volmig" (then restart zsh)';
    case 'fish':
      return 'volmig completion fish > ~/.config/fish/completions/volmig.fish';
    default:
      return 'volmig completion bash > ~/.local/share/bash-completion/completions/volmig\n(that directory needs the bash-completion package; without it: source <(volmig completion bash) in ~/.bashrc)';
  }
}

async function addCompletion(report: DoctorReport, io: Io): Promise<void> {
  if (report.checks.some((c) => c.name === 'completion')) return;
  if (!io.env.HOME) {
    report.checks.push({ name: 'completion', ok: null, optional: true, detail: 'could not be told: HOME is not set' });
    return;
  }
  const found: ShellPlace[] = [];
  for (const place of completionPlaces(io.env)) {
    try {
      await access(place.path, constants.R_OK);
      found.push(place);
    } catch {}
  }
  for (const rc of rcFiles(io.env)) {
    const text = await readFile(rc.path, 'utf8').catch(() => '');
    if (/volmig\s+completion\s+(bash|zsh|fish)/.test(text)) found.push({ ...rc, path: `${rc.path} (volmig completion)` });
  }
  const shell = /(bash|zsh|fish)$/.exec(io.env.SHELL ?? '')?.[1] ?? 'bash';
  if (found.length > 0) {
    report.checks.push({ name: 'completion', ok: true, optional: true, detail: `installed: ${found.map((f) => `${f.shell} ${f.path}`).join('; ')}` });
  } else {
    report.checks.push({ name: 'completion', ok: false, optional: true, detail: `not installed for ${shell}`, hint: installHint(shell) });
  }
}
