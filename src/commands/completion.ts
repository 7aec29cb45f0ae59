import type { Command, Option as CommanderOption } from 'commander';
import type { CommandContext } from './context.js';

const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;

export function registerCompletion(program: Command, ctx: CommandContext): void {
  program
    .command('completion')
    .description('print the shell completion script for bash, zsh or fish')
    .summary('print the shell completion script')
    .argument('<shell>', `one of ${COMPLETION_SHELLS.join(', ')}`)
    .action((shell: string, _opts: Record<string, unknown>, cmd: Command) =>
      ctx.action(cmd, async (env) => {
        if (!(COMPLETION_SHELLS as readonly string[]).includes(shell)) {
          const { invalidOption } = await import('./context.js');
          throw invalidOption('<shell>', shell, COMPLETION_SHELLS.join(', '));
        }
        const { RootCommand } = await import('@bomb.sh/tab');
        const tree = new RootCommand();
        env.out.resultWrite(captureConsoleLog(() => tree.setup('volmig', 'volmig', shell)));
        return 0;
      }),
    );

  // The generated scripts call back `volmig complete -- <words>` on every <TAB> (tab's protocol, as cobra's).
  program
    .command('complete', { hidden: true })
    .description('answer a shell completion request')
    .argument('[words...]')
    .allowUnknownOption()
    .allowExcessArguments()
    .action((words: string[], _opts: Record<string, unknown>, cmd: Command) =>
      ctx.action(cmd, async (env) => {
        const tree = await completionTree(cmd.parent!);
        env.out.resultWrite(captureConsoleLog(() => tree.parse([...words])));
        return 0;
      }),
    );
}

/** tab prints through console.log; a command prints only through io, so the text is collected and returned. */
function captureConsoleLog(run: () => void): string {
  const original = console.log;
  let text = '';
  console.log = (...args: unknown[]) => {
    text += args.map(String).join(' ') + '\n';
  };
  try {
    run();
  } finally {
    console.log = original;
  }
  return text;
}

/** Values offered after an option, keyed by its long name. */
async function optionValues(): Promise<Record<string, readonly string[]>> {
  const { VOLUME_STATUSES } = await import('../migration/list.js');
  const { MIGRATION_STATUSES } = await import('../model/cinder.js');
  return {
    'migration-status': MIGRATION_STATUSES,
    status: VOLUME_STATUSES,
    'os-auth-type': ['password', 'v3applicationcredential', 'token', 'noauth'],
    'os-interface': ['public', 'internal', 'admin'],
  };
}

/**
 * tab's completion tree built from the commander program, as @bomb.sh/tab/commander does, plus: the global
 * options on every command (they are accepted after the command name too) and value lists for known options.
 */
async function completionTree(program: Command) {
  const { RootCommand } = await import('@bomb.sh/tab');
  const values = await optionValues();
  const tree = new RootCommand();
  const globalOptions = program.createHelp().visibleOptions(program);

  type TabCommand = InstanceType<typeof RootCommand> | ReturnType<InstanceType<typeof RootCommand>['command']>;
  const addOptions = (target: TabCommand, options: readonly CommanderOption[]) => {
    for (const option of options) {
      const long = option.long?.replace(/^--/, '');
      if (!long) continue;
      const short = option.short?.replace(/^-/, '');
      const takesValue = option.required || option.optional;
      const choices = option.argChoices ?? values[long];
      if (takesValue) {
        target.option(long, option.description, (complete) => {
          for (const value of choices ?? []) complete(value, '');
        }, short);
      } else {
        target.option(long, option.description, short);
      }
    }
  };
  addOptions(tree, globalOptions);

  const commandNames = program.createHelp().visibleCommands(program).map((c) => c.name());
  for (const sub of program.createHelp().visibleCommands(program)) {
    const node = tree.command(sub.name(), sub.description());
    addOptions(node, [...sub.createHelp().visibleOptions(sub), ...globalOptions]);
    for (const arg of sub.registeredArguments) {
      const choices =
        sub.name() === 'completion' ? COMPLETION_SHELLS : sub.name() === 'help' ? commandNames : arg.argChoices;
      node.argument(
        arg.name(),
        choices ? (complete) => choices.forEach((value) => complete(value, '')) : undefined,
        arg.variadic,
      );
    }
  }
  return tree;
}
