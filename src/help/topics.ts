// The help topics: `volmig help exit-codes`, `help environment` and `help config`, also sections of the man page.
// Their facts come from the code where the code holds them (ExitCode, the global options, the settings keys and
// search places, the duration bounds); test/help/topics.test.ts checks the rest against src/config.
import { ExitCode } from '../errors.js';
import { CLOUD_OPTIONS, type GlobalOptionSpec } from '../config/global-options.js';
import { SETTINGS_KEYS, SETTINGS_SEARCH_PLACES } from '../config/settings-loader.js';
import { HTTP_TIMEOUT_BOUNDS, INTERVAL_BOUNDS } from '../model/duration.js';
import { HELP_TOPICS, type HelpTopicName } from './layout.js';
import { examples, list, para, titledExamples, type HelpBlock } from './text.js';

/** What each exit code means; the README's table says the same (test/help/topics.test.ts compares them). */
const EXIT_CODE_MEANINGS: Record<keyof typeof ExitCode, string> = {
  OK: 'success (also: an empty listing)',
  FAILED: 'the operation failed (e.g. a migration ended in error)',
  USAGE: 'usage error: unknown command, option or help topic, invalid option value, nothing configured',
  NOT_FOUND: 'not found, or a name that matches several volumes',
  AUTH:
    'authentication or permission: Keystone refused the login (HTTP 400 or 401 on POST /v3/auth/tokens), or the ' +
    'Block Storage API answered 401/403 (most commands need an admin role)',
  REJECTED: "request rejected, by the Block Storage API (HTTP 400, 409, ...) or by volmig's own checks",
  UNAVAILABLE: 'API unreachable, TLS failure, server error (HTTP 5xx), or an answer volmig cannot use (not JSON, a malformed body, larger than 64 MiB)',
  TIMEOUT: 'timed out waiting (the operation goes on server side)',
  INTERRUPTED: 'interrupted (Ctrl+C)',
  TERMINATED: 'stopped by SIGTERM (as for Ctrl-C: the migrations go on, the journal and the resume line are written)',
};

function exitCodeRows(): [code: string, meaning: string][] {
  return (Object.keys(ExitCode) as (keyof typeof ExitCode)[]).map((key) => [String(ExitCode[key]), EXIT_CODE_MEANINGS[key]]);
}

function exitCodesTopic(): HelpBlock[] {
  return [
    para('Every command exits with one of these codes. A command\'s own help says which of them it uses and when.'),
    list('Exit codes:', exitCodeRows()),
    para(
      'An error is one line on stderr starting with "Error:", sometimes followed by a hint line; a stack trace',
      'appears only with --debug.',
    ),
    examples('volmig migrate db-1 node2@ceph#rbd --wait; echo "exit $?"'),
  ];
}

/** Where each --os-* option's value comes from when the option is not given, and any default. */
const CLOUD_OPTION_NOTES: Record<string, string> = {
  '--os-auth-type':
    'Without one: password for a clouds.yaml entry; otherwise token when a token is given, ' +
    'v3applicationcredential when an application credential is, else password.',
  '--os-endpoint':
    'Also clouds.yaml volumev3_endpoint_override, volumev2_, volume_ (in that order), and auth.endpoint with noauth; ' +
    'with Keystone auth the Block Storage requests go there after authenticating.',
  '--os-interface': 'Also clouds.yaml block_storage_interface / volume_interface. Default: public.',
  '--os-region-name': 'Also clouds.yaml block_storage_region_name; must be one of regions: when the cloud lists them (default: the first).',
  '--os-volume-api-version': "clouds.yaml volume_api_version: '3.60' pins it, 3 negotiates. Default: negotiated, up to 3.72.",
  '--os-default-domain': 'Also OS_DEFAULT_DOMAIN_ID, OS_DEFAULT_DOMAIN_NAME and clouds.yaml default_domain_id / default_domain_name.',
  '--insecure': 'OS_INSECURE, OS_VERIFY and OS_ENDPOINT_TYPE are not read, as the openstack CLI does not read them.',
  '--http-timeout': "Then http_timeout in volmig's settings file (volmig help config).",
};

function optionRow(spec: GlobalOptionSpec): [string, string] {
  const long = spec.flags.split(/[ ,]+/).find((f) => f.startsWith('--'))!;
  const sources = [spec.env ? `env: ${spec.env.join(', ')}` : undefined, spec.cloudsYaml ? `clouds.yaml: ${spec.cloudsYaml}` : undefined]
    .filter(Boolean)
    .join('; ');
  const note = CLOUD_OPTION_NOTES[long];
  return [long, `${spec.description}${sources ? ` (${sources})` : ''}.${note ? ` ${note}` : ''}`];
}

function environmentTopic(): HelpBlock[] {
  return [
    para(
      'volmig finds its cloud as the openstack CLI does. Each setting comes from the first of these that gives it:',
      'the --os-* option, its OS_* variable (an openrc file sets them), the clouds.yaml entry chosen by --os-cloud or',
      'OS_CLOUD with its secure.yaml entry (and profile) merged over it, and last volmig\'s own settings file (volmig',
      "help config). One exception, as openstacksdk: the chosen cloud's project and domain keys (project_name,",
      'project_id, *_domain_id, *_domain_name, domain_*) and token beat OS_* variables; --os-* options still win.',
      'The options go before or after the command name.',
    ),
    para(
      'The cloud is chosen by --os-cloud, else OS_CLOUD, else the cloud key of volmig\'s settings file. That key is',
      'used only when no option or variable gives an auth type, auth URL, endpoint, token or application',
      'credential, so that an exported sandbox line is never mixed with a default cloud\'s credentials.',
    ),
    list('Options, their variables and clouds.yaml keys:', CLOUD_OPTIONS.map(optionRow)),
    list('Files (the first that exists is used):', [
      [
        'clouds.yaml',
        '$OS_CLIENT_CONFIG_FILE (passed over when it does not exist), then clouds.yaml, clouds.yml or clouds.json in ' +
          './, $XDG_CONFIG_HOME/openstack (default ~/.config/openstack/clouds.yaml), ~/.config/openstack, ' +
          '/etc/xdg/openstack, /etc/openstack/clouds.yaml. Read as PyYAML reads YAML 1.1 (verify: no is false).',
      ],
      [
        'secure.yaml',
        '$OS_CLIENT_SECURE_FILE, then secure.yaml, .yml or .json in the same directories, searched on its own. Its ' +
          'entry for the cloud is merged over the clouds.yaml entry: the place for passwords and secrets.',
      ],
      ['clouds-public.yaml', "profile: <name> takes the cloud's defaults from a local clouds-public.yaml; nothing is fetched."],
    ]),
    para(
      'noauth (Cinder without Keystone, and volmig sandbox): the endpoint comes from --os-endpoint or OS_ENDPOINT,',
      'the token is user:project from --os-user-id and --os-project-id, and an endpoint ending in /v3 gets the',
      'project id appended.',
    ),
    list('Other variables:', [
      ['NO_COLOR', 'any non-empty value: no colour.'],
      ['FORCE_COLOR', 'colour even off a terminal (0 or false: never); NO_COLOR, TERM=dumb and --no-color win over it.'],
      ['TERM', 'dumb: no colour and no animation.'],
      ['XDG_STATE_HOME', 'the journal is $XDG_STATE_HOME/volmig/journal.jsonl, else ~/.local/state/volmig/journal.jsonl.'],
      ['XDG_CACHE_HOME', "shell completion caches the cloud's names for 30 s in $XDG_CACHE_HOME/volmig, else ~/.cache/volmig."],
      ['HOME', 'the ~ above, and the last place searched for volmig\'s settings file.'],
    ]),
    examples(
      'volmig --os-cloud prod pools',
      'export OS_CLOUD=prod; volmig list',
      'export OS_AUTH_TYPE=noauth OS_ENDPOINT=http://127.0.0.1:8776/v3 OS_PROJECT_ID=admin OS_USER_ID=admin',
    ),
  ];
}

/** What each key of volmig's settings file does (every key of SETTINGS_SCHEMA, in its order). */
const SETTINGS_KEY_MEANINGS: Record<string, string> = {
  cloud: 'default cloud (a clouds.yaml name) when neither --os-cloud nor OS_CLOUD is given; see volmig help environment.',
  migration_progress_report_interval:
    'poll interval of waits and watches (migrate, retype, progress, evacuate): an interval. Default: the ' +
    "pools' own migration_progress_report_interval (migrate, retype, progress), else 5s.",
  output:
    'the default -f: table, json, yaml, value or csv. json makes --json the default of every command (completion ' +
    'and sandbox excepted); the others apply where -f exists (list, show, pools, history).',
  timeout: 'default --timeout of migrate --wait, retype --wait, progress --watch and smoke: a duration.',
  stall_timeout: 'default --stall-timeout of migrate --wait, retype --wait and progress --watch: a duration.',
  notify: 'publish the migrations volmig watches to this oslo.messaging transport URL (like --notify; rabbit://user:pass@host:5672/).',
  http_timeout: 'per-request timeout when neither --http-timeout nor the cloud\'s api_timeout gives one: an HTTP timeout. Default: 60s.',
  connect_timeout: 'TCP connect timeout: an HTTP timeout. Default: 10s.',
  ceph: 'how volmig reads progress from Ceph RBD pools: clusters (fsid or name, conf, keyring, client_id) and rbd (the executable).',
};

function bound(ms: number): string {
  return ms < 1000 ? `${ms / 1000}s` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${ms / 1000}s`;
}

function configTopic(): HelpBlock[] {
  const files = SETTINGS_SEARCH_PLACES.map((p) => (p === 'package.json' ? 'package.json (its "volmig" key)' : p));
  return [
    para(
      "volmig's settings file holds volmig's defaults, never credentials (those are in clouds.yaml and secure.yaml,",
      'see volmig help environment). No file is fine: every setting has a default.',
    ),
    para(
      'It is searched for in the current directory, then in each parent up to the first directory holding a',
      'package.json, then in $HOME. In each directory the first of these names is used:',
      `${files.join(', ')}. .volmigrc is YAML or JSON.`,
    ),
    list('Keys:', SETTINGS_KEYS.map((key) => [key, SETTINGS_KEY_MEANINGS[key] ?? ''] as const)),
    para(
      'An unknown key or a wrong value is a usage error (exit 2) that names the file and the key.',
    ),
    list('Durations (settings keys and every --interval and --timeout option):', [
      ['45', 'a bare number is seconds'],
      ['90s 10m 1h30m', 'seconds, minutes and hours; also 250ms, 1.5h and 2d'],
      ['interval', `from ${bound(INTERVAL_BOUNDS.minMs!)} to ${bound(INTERVAL_BOUNDS.maxMs!)}`],
      ['HTTP timeout', `from ${bound(HTTP_TIMEOUT_BOUNDS.minMs!)} to ${bound(HTTP_TIMEOUT_BOUNDS.maxMs!)}`],
      ['timeout', 'any positive duration'],
    ]),
    titledExamples(
      'Example (.volmigrc.yaml):',
      'cloud: prod',
      'migration_progress_report_interval: 10s',
      'timeout: 2h',
      'http_timeout: 60',
    ),
  ];
}

const TOPIC_BLOCKS: Record<HelpTopicName, () => HelpBlock[]> = {
  environment: environmentTopic,
  config: configTopic,
  'exit-codes': exitCodesTopic,
};

export interface HelpTopic {
  name: HelpTopicName;
  summary: string;
  blocks: HelpBlock[];
}

export function helpTopics(): HelpTopic[] {
  return HELP_TOPICS.map((t) => ({ name: t.name, summary: t.summary, blocks: TOPIC_BLOCKS[t.name]() }));
}

export function findHelpTopic(name: string): HelpTopic | undefined {
  return helpTopics().find((t) => t.name === name);
}
