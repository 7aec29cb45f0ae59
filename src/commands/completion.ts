import type { Command, Option as CommanderOption } from 'commander';
import type { GlobalOptions } from '../config/global-options.js';
import type { CommandContext } from './context.js';
import type { Candidate, DynamicKind, DynamicValues } from './completion-values.js';

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
        if (shell === 'bash') {
          env.out.resultWrite(BASH_SCRIPT);
          return 0;
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
        // Silent on any failure: a shell completion must never print an error into the command line being typed.
        try {
          const root = cmd.parent!;
          const modules = await treeModules();
          const needs = new Set<DynamicKind>();
          const first = captureConsoleLog(() => completionTree(modules, root, {}, needs, words).parse([...words]));
          if (needs.size === 0) {
            env.out.resultWrite(first);
            return 0;
          }
          const { cloudValues } = await import('./completion-values.js');
          const values = await cloudValues(needs, globalsFromWords(root, words), env).catch(() => ({}));
          env.out.resultWrite(captureConsoleLog(() => completionTree(modules, root, values, new Set(), words).parse([...words])));
        } catch {}
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
const STATIC_VALUES: Record<string, readonly string[]> = {
  'os-auth-type': ['password', 'v3applicationcredential', 'token', 'noauth'],
  'os-interface': ['public', 'internal', 'admin'],
};

/** Options whose values come from the cloud, by long name. */
const DYNAMIC_OPTIONS: Record<string, DynamicKind> = {
  to: 'pools',
  from: 'pools',
  host: 'pools',
  'volume-type': 'types',
};

/** Positional arguments whose values come from the cloud, by command (in argument order). */
const DYNAMIC_ARGUMENTS: Record<string, (DynamicKind | undefined)[]> = {
  migrate: ['volumes', 'pools'],
  retype: ['volumes', 'types'],
  show: ['volumes'],
  progress: ['volumes'],
  recover: ['volumes'],
};

/** Volumes of every project (what migrate, retype, progress and recover look in), or the project's own (show). */
function volumeKind(command: string, words: readonly string[]): DynamicKind {
  return command === 'show' && !words.includes('--all-projects') ? 'project-volumes' : 'volumes';
}

/** The --os-* (and --insecure, --http-timeout) options typed on the line being completed: they choose the cloud. */
export function globalsFromWords(program: Command, words: readonly string[]): GlobalOptions {
  const globals: Record<string, unknown> = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('--')) continue;
    const [flag, inline] = word.includes('=') ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)] : [word, undefined];
    const option = program.options.find((o) => o.long === flag);
    if (!option || !(flag.startsWith('--os-') || flag === '--insecure' || flag === '--http-timeout')) continue;
    if (option.required || option.optional) {
      const value = inline ?? words[i + 1];
      if (inline === undefined) i++;
      if (value !== undefined && value !== '') globals[option.attributeName()] = value;
    } else {
      globals[option.attributeName()] = true;
    }
  }
  return globals as GlobalOptions;
}

/**
 * tab's completion tree built from the commander program, as @bomb.sh/tab/commander does, plus: the global
 * options on every command (they are accepted after the command name too), value lists for known options, and the
 * cloud's values where `values` has them. A handler that wants cloud values it was not given records their kind in
 * `needs`: the first parse finds out what to fetch, the second answers with it.
 */
function completionTree(modules: TreeModules, program: Command, values: DynamicValues, needs: Set<DynamicKind>, words: readonly string[]) {
  const { RootCommand, MIGRATION_STATUSES, VOLUME_STATUSES } = modules;
  const tree = new RootCommand();
  const globalOptions = program.createHelp().visibleOptions(program);
  const offer = (complete: (value: string, description: string) => void, kind: DynamicKind) => {
    if (!values[kind]) needs.add(kind);
    for (const [value, description] of values[kind] ?? ([] as Candidate[])) complete(value, description);
  };

  type TabCommand = InstanceType<typeof RootCommand> | ReturnType<InstanceType<typeof RootCommand>['command']>;
  const addOptions = (target: TabCommand, command: string, options: readonly CommanderOption[]) => {
    for (const option of options) {
      const long = option.long?.replace(/^--/, '');
      if (!long) continue;
      const short = option.short?.replace(/^-/, '');
      const takesValue = option.required || option.optional;
      const dynamic = command === 'smoke' && long === 'pools' ? undefined : DYNAMIC_OPTIONS[long];
      const choices =
        option.argChoices ?? (long === 'migration-status' ? MIGRATION_STATUSES : long === 'status' ? VOLUME_STATUSES : STATIC_VALUES[long]);
      if (takesValue) {
        target.option(long, option.description, (complete) => {
          if (dynamic) offer(complete, dynamic);
          for (const value of choices ?? []) complete(value, '');
        }, short);
      } else {
        target.option(long, option.description, short);
      }
    }
  };
  addOptions(tree, '', globalOptions);

  const commandNames = program.createHelp().visibleCommands(program).map((c) => c.name());
  for (const sub of program.createHelp().visibleCommands(program)) {
    const name = sub.name();
    const node = tree.command(name, sub.description());
    addOptions(node, name, [...sub.createHelp().visibleOptions(sub), ...globalOptions]);
    sub.registeredArguments.forEach((arg, index) => {
      const dynamic = DYNAMIC_ARGUMENTS[name]?.[Math.min(index, (DYNAMIC_ARGUMENTS[name]?.length ?? 1) - 1)];
      const choices = name === 'completion' ? COMPLETION_SHELLS : name === 'help' ? commandNames : arg.argChoices;
      const kind = dynamic === 'volumes' ? volumeKind(name, words) : dynamic;
      node.argument(
        arg.name(),
        kind ? (complete) => offer(complete, kind) : choices ? (complete) => choices.forEach((value) => complete(value, '')) : undefined,
        arg.variadic,
      );
    });
  }
  return tree;
}

interface TreeModules {
  RootCommand: typeof import('@bomb.sh/tab').RootCommand;
  MIGRATION_STATUSES: readonly string[];
  VOLUME_STATUSES: readonly string[];
}

async function treeModules(): Promise<TreeModules> {
  const [{ RootCommand }, { VOLUME_STATUSES }, { MIGRATION_STATUSES }] = await Promise.all([
    import('@bomb.sh/tab'),
    import('../migration/list.js'),
    import('../model/cinder.js'),
  ]);
  return { RootCommand, MIGRATION_STATUSES, VOLUME_STATUSES };
}

/**
 * The bash script, volmig's own rather than tab's: it needs no bash-completion package (it reads COMP_LINE itself
 * instead of calling _get_comp_words_by_ref), defines one function and no variable outside it (sourcing it twice
 * is harmless: no `readonly`), and completes `host@backend#pool` and `--to=...` whatever COMP_WORDBREAKS splits.
 * (Written raw, with each of bash's `${` as `\${` so that JavaScript leaves it alone.)
 */
export const BASH_SCRIPT = String.raw`# bash completion for volmig (volmig completion bash)
#
# This shell only:  source <(volmig completion bash)      (add that line to ~/.bashrc to keep it)
# Every new shell:  volmig completion bash > ~/.local/share/bash-completion/completions/volmig
#                   (loaded on demand by the bash-completion package; without it, use the line above)
#
# It needs no bash-completion, defines the one function _volmig and no variable outside it, and may be sourced
# more than once. On each <Tab> it asks volmig: volmig complete -- <words so far>.

_volmig() {
    local line=\${COMP_LINE:0:\${COMP_POINT:-\${#COMP_LINE}}}
    local -a words=()
    read -r -a words <<< "$line"
    local cur=""
    if [[ -n $line && $line != *[[:space:]] && \${#words[@]} -gt 0 ]]; then
        cur=\${words[\${#words[@]}-1]}
        unset 'words[\${#words[@]}-1]'
    fi
    local out
    out=$(volmig complete -- "\${words[@]:1}" "$cur" 2>/dev/null) || return 0
    local directive=\${out##*:}
    case $directive in
        '' | *[!0-9]*) directive=0 ;;
        *) out=\${out%:*} ;;
    esac
    (( directive & 1 )) && return 0
    (( directive & 2 )) && compopt -o nospace 2>/dev/null
    # Readline replaces only the end of the word: what follows its last COMP_WORDBREAKS character ('=', ':'), or
    # starts with it for '@' and '$' (bash's rl_special_prefixes). Each candidate is cut to that part.
    local breaks=\${COMP_WORDBREAKS-$' \t\n"\x27@><=;|&(:'}
    local seg=$cur i
    for (( i = \${#cur} - 1; i >= 0; i-- )); do
        if [[ $breaks == *"\${cur:i:1}"* ]]; then
            if [[ \${cur:i:1} == [@$] ]]; then seg=\${cur:i}; else seg=\${cur:i+1}; fi
            break
        fi
    done
    local typed=$cur
    [[ $cur == *=* ]] && typed=\${cur#*=}
    local strip=$(( \${#typed} - \${#seg} ))
    (( strip < 0 )) && strip=0
    COMPREPLY=()
    local entry
    while IFS= read -r entry; do
        entry=\${entry%%$'\t'*}
        [[ -n $entry ]] && COMPREPLY+=("\${entry:strip}")
    done <<< "$out"
    return 0
}

complete -F _volmig volmig
`.replaceAll('\\${', '${');
