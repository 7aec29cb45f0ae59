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
export const EXIT_CODE_MEANINGS: Record<keyof typeof ExitCode, string> = {
  OK: 'success (also: an empty listing)',
  FAILED: 'the operation failed (e.g. a migration ended in error)',
  USAGE: 'usage error: unknown command, option or help topic, invalid option value, nothing configured',
  NOT_FOUND: 'not found, or a name that matches several volumes',
  AUTH: 'authentication or permission (HTTP 401/403; most commands need an admin role)',
  REJECTED: "request rejected, by the API (HTTP 400, 409, ...) or by volmig's own checks",
  UNAVAILABLE: 'API unreachable, TLS failure, or server error (HTTP 5xx)',
  TIMEOUT: 'timed out waiting (the operation goes on server side)',
  INTERRUPTED: 'interrupted (Ctrl+C)',
  TERMINATED: 'stopped by SIGTERM',
};

export function exitCodeRows(): [code: string, meaning: string][] {
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
  '--os-endpoint': 'Also clouds.yaml volume_endpoint_override, and auth.endpoint with noauth.',
  '--os-interface': 'Default: public.',
  '--os-volume-api-version': 'No clouds.yaml key: volume_api_version there is ignored. Default: negotiated, up to 3.72.',
  '--insecure': 'OS_INSECURE takes 1, true, yes or on.',
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
      'volmig finds its cloud as the OpenStack clients do. Each setting comes from the first of these that gives it:',
      'the --os-* option, its OS_* variable (an openrc file sets them), the clouds.yaml entry chosen by --os-cloud or',
      'OS_CLOUD with its secure.yaml entry merged over it, and last volmig\'s own settings file (volmig help config).',
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
        '$OS_CLIENT_CONFIG_FILE (an error if it does not exist), ./clouds.yaml, ~/.config/openstack/clouds.yaml, ' +
          '/etc/openstack/clouds.yaml. Read as YAML 1.1, as openstacksdk does (verify: no is false).',
      ],
      [
        'secure.yaml',
        '$OS_CLIENT_SECURE_FILE, secure.yaml beside the clouds.yaml used, ./secure.yaml, ' +
          '~/.config/openstack/secure.yaml, /etc/openstack/secure.yaml. Its entry for the cloud is merged over the ' +
          'clouds.yaml entry: the place for passwords and secrets.',
      ],
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
export const SETTINGS_KEY_MEANINGS: Record<string, string> = {
  cloud: 'default cloud (a clouds.yaml name) when neither --os-cloud nor OS_CLOUD is given; see volmig help environment.',
  migration_progress_report_interval:
    'poll interval of waits and watches (migrate, retype, progress, evacuate): an interval. Default: the ' +
    "pools' own migration_progress_report_interval (migrate, retype, progress), else 5s.",
  output: 'table or json; json makes --json the default (completion and sandbox excepted).',
  timeout: 'default --timeout of migrate --wait, retype --wait, progress --watch and smoke: a duration.',
  stall_timeout: 'default --stall-timeout of migrate --wait, retype --wait and progress --watch: a duration.',
  http_timeout: 'per-request timeout when neither --http-timeout nor the cloud\'s api_timeout gives one: an HTTP timeout. Default: 60s.',
  connect_timeout: 'TCP connect timeout: an HTTP timeout. Default: 10s.',
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
