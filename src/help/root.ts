// What root help says after its commands: the help topics and a few examples. The topics' text is in ./topics.ts,
// loaded only by `volmig help <topic>` and the man page generator.
import { examples, list, type HelpBlock } from './text.js';

export const HELP_TOPICS = [
  { name: 'environment', summary: 'OS_* variables, --os-* options, clouds.yaml: which wins' },
  { name: 'config', summary: "volmig's own settings file: keys, where it is found, durations" },
  { name: 'exit-codes', summary: 'what each exit code means' },
] as const;

export type HelpTopicName = (typeof HELP_TOPICS)[number]['name'];

export const ROOT_FOOTER: readonly HelpBlock[] = [
  list(
    'Help topics (volmig help <topic>):',
    HELP_TOPICS.map((t) => [t.name, t.summary] as const),
  ),
  examples(
    'volmig --os-cloud prod pools',
    'volmig list --migration-status migrating --all-projects',
    'volmig migrate db-1 node2@ceph#rbd --dry-run',
    'volmig help migrate',
  ),
];
