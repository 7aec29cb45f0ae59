import type { Command } from 'commander';
import type { CommandContext } from './context.js';

export function registerDoctor(program: Command, ctx: CommandContext): void {
  program
    .command('doctor')
    .description('check the setup in one screen: configuration sources, endpoints, microversions, whether these credentials may migrate, progress sources, completion')
    .summary('check what volmig talks to, and whether it may migrate')
    .action((_opts: Record<string, unknown>, cmd: Command) =>
      ctx.action(cmd, async (env) => {
        const [{ doctor }, { resolveCloudConfig }, { connect }] = await Promise.all([
          import('../migration/doctor.js'),
          import('../config/cloud.js'),
          import('../api/connect.js'),
        ]);
        const { io, globals } = env;
        // doctor loads the settings itself (cli.ts leaves it to it), so that a broken settings file is one of the
        // things it reports rather than what stops it; `output: json` there still makes its report JSON.
        let settingsOutput: unknown;
        const settings = async () => {
          const s = await env.settings();
          settingsOutput = s.output;
          return s;
        };
        const report = await doctor({
          io,
          globals,
          settings,
          resolveCloud: (s) => resolveCloudConfig(globals, io, s),
          connect: (cloud) => connect(cloud, io, { debug: globals.debug ? (line) => env.out.debug(line) : undefined, signal: env.interruption.signal }),
        });
        let out = env.out;
        if (globals.json === undefined && settingsOutput === 'json') {
          const { Output } = await import('../ui/output.js');
          out = new Output(io, { ...globals, json: true });
        }
        if (out.json) {
          out.resultJson(report);
        } else {
          const { renderDoctor } = await import('../ui/doctor-view.js');
          // Wrapped to the terminal's width only when stdout is one: a pipe or a file gets whole lines.
          const columns = io.stdout.isTTY ? io.stdout.columns : undefined;
          for (const line of renderDoctor(report, out.stdoutStyle, columns)) out.result(line);
        }
        if (report.exit_code !== 0 && report.error) out.error(`Error: ${report.error.split('\n')[0]}`);
        return report.exit_code;
      }),
    );
}
