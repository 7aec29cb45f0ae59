import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ExitCode, InterruptedError, VolmigError, ReportedError, UsageError } from './errors.js';
import { RunInterruption } from './interruption.js';
import { KnownSecrets } from './api/redact.js';
import type { Io } from './io.js';
import { addGlobalOptions, type GlobalOptions } from './config/global-options.js';
import type { BlockStorageClient } from './api/block-storage.js';
import type { VolmigSettings } from './config/settings.js';
import { COMMANDS } from './commands/index.js';
import type { CommandContext, CommandEnv } from './commands/context.js';
import { HELP_TOPICS, ROOT_FOOTER, volmigHelpConfiguration } from './help/layout.js';
import { COMMAND_FOOTERS } from './help/footers.js';
import { helpFooter, helpWidthFor, renderBlocks } from './help/text.js';

export { processIo } from './io.js';

/**
 * Commands that work without volmig's settings file: a broken one must not stop them. doctor reads it itself, to
 * report a broken one.
 */
const SETTINGS_FREE_COMMANDS = new Set(['completion', 'complete', 'sandbox', 'doctor']);
/** The sandbox server handles its own SIGINT/SIGTERM (it shuts down cleanly); every other command uses main's. */
const OWN_SIGNALS_COMMANDS = new Set(['sandbox']);

export async function main(argv: string[], io: Io): Promise<number> {
  const { CommanderError } = loadCommander();
  let exitCode: number = ExitCode.OK;
  let globals: GlobalOptions = {};
  const interruption = new RunInterruption();
  // What must never be printed: the secrets of the environment and the command line now, those of clouds.yaml and
  // the tokens Keystone issues once connect() has them.
  const secrets = new KnownSecrets();
  secrets.addFromEnv(io.env);
  secrets.add(...secretArguments(argv));

  let settingsPromise: Promise<VolmigSettings> | undefined;
  let clientPromise: Promise<BlockStorageClient> | undefined;

  const ctx: CommandContext = {
    io,
    async action(cmd, run) {
      globals = cmd.optsWithGlobals() as GlobalOptions;
      const loadSettings = () => (settingsPromise ??= import('./config/settings.js').then((m) => m.loadSettings(io)));
      // `-f json` is --json. `output: json` in volmig's settings file makes --json the default (commands that never
      // need settings excepted), unless -f was given: a format typed for this run wins over the file.
      const formatGiven = cmd.getOptionValueSource('format') === 'cli';
      if (formatGiven && cmd.getOptionValue('format') === 'json') globals = { ...globals, json: true };
      else if (globals.json === undefined && !formatGiven && !SETTINGS_FREE_COMMANDS.has(cmd.name()) && (await loadSettings()).output === 'json') {
        globals = { ...globals, json: true };
      }
      // chalk comes with Output: loaded only once a command runs, so `--help` stays fast.
      const { Output } = await import('./ui/output.js');
      const out = new Output(io, globals);
      if (!OWN_SIGNALS_COMMANDS.has(cmd.name())) interruption.attach(io);
      const env: CommandEnv = {
        io,
        globals,
        out,
        interruption,
        settings: loadSettings,
        client() {
          clientPromise ??= (async () => {
            const settings = await env.settings();
            const { resolveCloudConfig } = await import('./config/cloud.js');
            const cloud = await resolveCloudConfig(globals, io, settings);
            const { connect } = await import('./api/connect.js');
            return connect(cloud, io, {
              debug: globals.debug ? (line) => out.debug(line) : undefined,
              warn: (line) => out.warn(line),
              signal: interruption.signal,
              secrets,
            });
          })();
          return clientPromise;
        },
      };
      const code = await run(env);
      if (typeof code === 'number') exitCode = code;
    },
  };

  const program = await createProgram(io, ctx);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    return await reportError(err, io, globals, CommanderError, interruption, secrets);
  } finally {
    interruption.detach();
  }
}

/**
 * The command tree with its help: what main() parses, and what scripts/gen-manpage.js documents.
 * Help settings come first: commands copy them when they are defined.
 */
export async function createProgram(io: Io, ctx: CommandContext): Promise<Command> {
  const { Command, Option } = loadCommander();
  const program = new Command('volmig');
  program
    .description('Move OpenStack Block Storage (Cinder) volumes between backends and pools, and see what the migration is doing.')
    .version(readVersion(), '-V, --version', 'print the volmig version')
    // volmig's own `help` command (below) also knows the help topics and refuses unknown names.
    .helpCommand(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Parse errors are printed by reportError, in volmig's own `Error:` style.
      outputError: () => {},
      getOutHelpWidth: () => helpWidthFor(io.stdout),
      getErrHelpWidth: () => helpWidthFor(io.stderr),
    })
    .configureHelp(volmigHelpConfiguration(Option))
    .addHelpText('after', helpFooter(...ROOT_FOOTER));
  addGlobalOptions(program);

  for (const register of COMMANDS) register(program, ctx);
  registerHelpCommand(program, io);
  for (const command of program.commands) {
    const footer = COMMAND_FOOTERS[command.name()];
    if (footer) command.addHelpText('after', helpFooter(...footer));
  }
  return program;
}

/** `volmig help [command|topic]`: a command's help or a help topic on stdout; any other name is a usage error. */
function registerHelpCommand(program: Command, io: Io): void {
  program
    .command('help')
    .description(`show help for a command, or a help topic: ${HELP_TOPICS.map((t) => t.name).join(', ')}`)
    .summary('show help for a command or a help topic')
    .argument('[command|topic]', 'a command name, or a help topic')
    .action(async (name: string | undefined) => {
      if (name === undefined) return void program.outputHelp();
      const command = program.commands.find((c) => c.name() === name);
      if (command) return void command.outputHelp();
      const { findHelpTopic } = await import('./help/topics.js');
      const topic = findHelpTopic(name);
      if (!topic) {
        throw new UsageError(`no command or help topic named '${name}'`, {
          hint: `(run volmig help for the commands; the help topics are ${HELP_TOPICS.map((t) => t.name).join(', ')})`,
        });
      }
      io.stdout.write(renderBlocks(topic.blocks, helpWidthFor(io.stdout)).join('\n') + '\n');
    });
}

async function reportError(
  err: unknown,
  io: Io,
  globals: GlobalOptions,
  CommanderError: new (...a: any[]) => Error,
  interruption: RunInterruption,
  secrets: KnownSecrets,
): Promise<number> {
  // The last line of defence: whatever an error says (a server's echo the API layer did not see, a stack), it is
  // printed without the run's secrets.
  const clean = (text: string) => secrets.redact(text);
  if (err instanceof CommanderError) {
    const ce = err as Error & { code: string; exitCode: number };
    // help and version are successful exits; every other parse failure is a usage error (exit 2).
    if (ce.code === 'commander.helpDisplayed' || ce.code === 'commander.version') return ExitCode.OK;
    // `volmig` with no command prints help on stderr and is a usage error.
    if (ce.code === 'commander.help') return ce.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    if (ce.code === 'commander.executeSubCommandAsync') return ExitCode.OK;
    // commander's message, e.g. "error: unknown option '--frob'\n(Did you mean --from?)", in volmig's error style.
    const { Output } = await import('./ui/output.js');
    const out = new Output(io, { json: false });
    const [first = '', ...rest] = ce.message.split('\n');
    out.error(clean(`Error: ${first.replace(/^error: /, '')}`));
    for (const line of rest) out.info(clean(line));
    out.info('(run volmig help <command> for usage)');
    return ExitCode.USAGE;
  }
  const [{ Output }, { RequestAbortedError }] = await Promise.all([import('./ui/output.js'), import('./api/errors.js')]);
  const out = new Output(io, { ...globals, json: false });
  if (interruption.stoppedBy !== null && (err instanceof RequestAbortedError || err instanceof InterruptedError)) {
    // The operator stopped a command that was only reading (a command with something to resume says so itself).
    out.error(clean(err instanceof InterruptedError ? `Error: ${err.message}` : interruption.stoppedBy === 'SIGINT' ? 'Interrupted (Ctrl-C).' : 'Stopped (SIGTERM).'));
    if (globals.debug && err.stack) out.debug(clean(err.stack));
    return interruption.exitCode;
  }
  if (err instanceof ReportedError) {
    if (globals.debug && err.stack) out.debug(clean(err.stack));
    return err.exitCode;
  }
  if (err instanceof VolmigError) {
    out.error(clean(`Error: ${err.message}`));
    if (err.hint) out.info(clean(err.hint));
    if (globals.debug && err.stack) out.debug(clean(err.stack));
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  out.error(clean(`Error: ${message}`));
  if (globals.debug && err instanceof Error && err.stack) out.debug(clean(err.stack));
  else out.info('(this is a bug in volmig; run again with --debug for the stack trace)');
  return ExitCode.FAILED;
}

/** Values of the secret options on the command line (`--os-password X`, `--os-token=X`, ...). */
function secretArguments(argv: string[]): string[] {
  const out: string[] = [];
  const secret = /^--os-(password|token|auth-token|application-credential-secret)$/;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    if (eq > 0 && secret.test(arg.slice(0, eq))) out.push(arg.slice(eq + 1));
    else if (secret.test(arg) && i + 1 < argv.length) out.push(argv[i + 1]!);
  }
  return out;
}

// Both are read synchronously and commander through require(): on the `--help` path the ESM wrapper of a CommonJS
// package (its export lexer) and node:fs/promises cost about 4 ms of a start that should stay near node's own.
function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function loadCommander(): typeof import('commander') {
  return createRequire(import.meta.url)('commander') as typeof import('commander');
}
