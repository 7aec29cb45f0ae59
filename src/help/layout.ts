// How commander lays out volmig's help: every line within the help width (the terminal's, or 80 when piped),
// counted in characters; root help without the two dozen --os-* options (they stay accepted everywhere and
// `volmig help environment` lists them all), and what root help says after its commands: the help topics and a
// few examples. The topics' text is in ./topics.ts, loaded only by `volmig help <topic>` and the man page.
import type { Command, Help, Option } from 'commander';
import { displayWidth, examples, formatRow, list, termColumn, wrapWords, type HelpBlock } from './text.js';

/** The one --os-* option root help shows; the others stand behind ROOT_CLOUD_SUMMARY. */
const ROOT_SHOWN_CLOUD_OPTIONS: readonly string[] = ['--os-cloud'];

/** The row root help shows in place of the other --os-* options. */
const ROOT_CLOUD_SUMMARY = {
  flags: '--os-<name> <value>',
  description:
    'the other OpenStack connection options (--os-auth-url, --os-username, --os-project-name, --os-endpoint, ...); ' +
    'all of them with their OS_* variables: volmig help environment',
} as const;

function isHiddenFromRoot(option: Option): boolean {
  return Boolean(option.long?.startsWith('--os-')) && !ROOT_SHOWN_CLOUD_OPTIONS.includes(option.long!);
}

/**
 * Overrides for `program.configureHelp()`, inherited by every command defined after it. `OptionClass` is
 * commander's Option, passed in so that this module loads no commander code of its own.
 */
export function volmigHelpConfiguration(OptionClass: typeof Option): Partial<Help> {
  const summary = new OptionClass(ROOT_CLOUD_SUMMARY.flags, ROOT_CLOUD_SUMMARY.description);
  return {
    displayWidth: (text: string) => displayWidth(text),
    // `[options]` after every command name says nothing (every command has options); arguments do.
    subcommandTerm: (cmd: Command) => [cmd.name(), ...cmd.registeredArguments.map(argumentTerm)].join(' '),
    boxWrap: (text: string, width: number) => wrapWords(text, width).join('\n'),
    formatItem(term: string, termWidth: number, description: string, helper: Help): string {
      const width = helper.helpWidth ?? 80;
      return formatRow(term, description, termColumn(termWidth, width), width).join('\n');
    },
    formatHelp(cmd: Command, helper: Help): string {
      const base = Object.getPrototypeOf(helper) as Help;
      if (cmd.parent) return base.formatHelp.call(helper, cmd, helper);
      // Root help: the same layout, from a helper whose option list has the summary row in place of the --os-* ones.
      const root = Object.create(helper) as Help;
      root.visibleOptions = (c: Command) => {
        const options = base.visibleOptions.call(helper, c);
        if (c !== cmd) return options;
        const first = options.findIndex(isHiddenFromRoot);
        const shown = options.filter((o) => !isHiddenFromRoot(o));
        if (first >= 0) shown.splice(first, 0, summary);
        return shown;
      };
      return base.formatHelp.call(root, cmd, root);
    },
  };
}

function argumentTerm(arg: { name(): string; required: boolean; variadic: boolean }): string {
  const name = arg.name() + (arg.variadic ? '...' : '');
  return arg.required ? `<${name}>` : `[${name}]`;
}

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
