// The end of each command's help (`volmig help <command>`): exit codes, notes and examples, laid out at the help
// width by ./text.ts. They are kept in this one module, which src/cli.ts attaches to the commands it registers,
// rather than in each command file: twelve more imports at start-up cost `volmig --help` about 3 ms of its ~45 ms.
// test/help/help-width.test.ts checks that every command has one, with examples of itself.
import { examples, list, para, type HelpBlock } from './text.js';

export const COMMAND_FOOTERS: Record<string, readonly HelpBlock[]> = {
  list: [
    para(
      'Output as the openstack CLI prints it: -f value (values only, one volume per line), csv, yaml or json',
      '(= --json: the API\'s volume objects; with -c, the chosen columns). -c names a column as the header',
      'shows it, in any case; --no-headers drops the header line, so volmig list --no-headers | wc -l',
      'counts volumes.',
    ),
    examples(
      'volmig list --migration-status migrating --all-projects',
      'volmig list --host node1@ceph-a --long',
      'for id in $(volmig list --status error -f value -c ID); do volmig show "$id"; done',
      "volmig list --json | jq -r '.[].id'",
    ),
  ],
  show: [
    para(
      'With --json (-f json): the API\'s volume object, plus volmig\'s additions under "volmig"',
      '({"volmig": {"target": <destination volume object or null>}}). -c picks fields by their key.',
    ),
    examples('volmig show db-1', 'volmig show db-1 --all-projects --json', "volmig show db-1 -f value -c 'migration status'"),
  ],
  pools: [
    examples('volmig pools', 'volmig pools -f value -c Name', "volmig pools --json | jq -r '.[].name'"),
  ],
  migrate: [
    list('Exit codes:', [
      ['0', 'accepted (or migrated, with --wait)'],
      ['1', 'the migration ended in error'],
      ['2', 'usage'],
      ['3', 'volume not found'],
      ['4', 'not allowed (admin only)'],
      ['5', 'refused (by the pre-flight checks or the API)'],
      ['6', 'API unreachable'],
      ['7', 'timed out'],
      ['130', 'interrupted (143 after SIGTERM)'],
    ]),
    examples(
      'volmig migrate db-1 node2@ceph#rbd --dry-run',
      'volmig migrate db-1 node2@ceph#rbd --wait --timeout 2h',
      'volmig migrate db-1 node2@ceph#rbd --force-host-copy --wait',
    ),
  ],
  retype: [
    list('Exit codes:', [
      ['0', 'accepted (or retyped, with --wait)'],
      ['1', 'with --wait: the retype failed or did not happen'],
      ['2', 'usage'],
      ['3', 'volume or type not found'],
      ['4', 'not allowed (admin only)'],
      ['5', 'refused (by the pre-flight checks or the API)'],
      ['6', 'API unreachable'],
      ['7', 'timed out'],
      ['130', 'interrupted (143 after SIGTERM)'],
    ]),
    examples('volmig retype db-1 ceph-ssd --dry-run', 'volmig retype db-1 ceph-ssd --migration-policy on-demand --wait'),
  ],
  progress: [
    para(
      'A percentage appears only where a source gives a number: the server (migration_progress), Ceph for RBD',
      'pools, or the dd on this host; otherwise the display shows the phase and elapsed time, never a percentage.',
    ),
    para('With --json: JSON lines, one event per change and a final "result" line per volume.'),
    examples('volmig progress db-1', 'volmig progress db-1 --watch --stall-timeout 10m', 'volmig progress --all --watch'),
  ],
  evacuate: [
    list('Exit codes:', [
      ['0', 'every selected volume moved'],
      ['1', 'a migration failed or a volume was refused'],
      ['2', 'usage (also: --yes missing off a terminal)'],
      ['7', 'timed out'],
      ['130', 'interrupted (Ctrl-C)'],
    ]),
    para(
      'Running the same command again resumes: volumes already on the destination are skipped and',
      'migrations in flight are followed, never sent twice.',
    ),
    examples(
      'volmig evacuate --from node1@lvm --to node2@ceph#rbd --dry-run',
      'volmig evacuate --from node1@lvm --to node2@ceph#rbd --concurrency 4 --order created --yes',
    ),
  ],
  history: [
    para(
      'The journal is $XDG_STATE_HOME/volmig/journal.jsonl, else ~/.local/state/volmig/journal.jsonl:',
      'one JSON object per line with time, cloud, action, volume_id, volume_name, source_host,',
      'destination, options, outcome (requested, rejected, success, no-op, unclean, error, timeout,',
      'interrupted, unknown), reason and request_id. no-op: Cinder said success but the volume did not',
      'move; unclean: it moved, but was attached meanwhile and left its old record behind. show, list,',
      'progress and evacuate append the end they see to an entry still open (options.observed_by).',
      'With --json: an array of those objects. --since takes a duration back from now (2h, 7d) or an',
      'ISO time (2026-11-27T10:00Z; local time without Z or an offset).',
    ),
    examples('volmig history --since 12h', 'volmig history --volume db-1 --json', 'volmig history --cloud prod --limit 20 -f csv'),
  ],
  sandbox: [
    para(
      'The first line names the endpoint; the second is the export line that points volmig at it (noauth,',
      'volmig help environment): paste that line, never one written for another port.',
    ),
    para(
      "Without --port the sandbox listens on a free port. It does not default to 8776, Cinder's own port: on a",
      'Cinder host a sandbox on 8776 cannot start, and an export line for 8776 pasted from notes would send',
      "volmig's noauth admin requests to the real Block Storage API. --port 8776 still works where that port",
      'is free; a port in use is exit 6.',
    ),
    examples('volmig sandbox --seed demo', 'volmig sandbox --port 0 --seed demo --copy-rate 50', 'volmig sandbox --data-dir ./sandbox-state --port 18776'),
  ],
  smoke: [
    para(
      'Each pair: a new volume is created (the Create API cannot choose a pool, so it is first migrated onto the',
      'source pool), migrated to the destination and checked: host, migration status success, status restored.',
      'Every volume smoke creates is deleted again, also after a failure or Ctrl-C; no other volume is touched.',
      'On a terminal it shows the plan and asks first (--yes does not ask); off a terminal (CI) it runs at',
      'once. --dry-run shows the plan only. --concurrency N runs N pairs at once.',
    ),
    list('Exit codes:', [
      ['0', 'every pair passed'],
      ['1', 'a pair failed (or a test volume could not be deleted)'],
      ['2', 'usage'],
      ['130', 'interrupted'],
    ]),
    examples(
      'volmig smoke --dry-run',
      'volmig smoke --lock --junit smoke.xml',
      'volmig smoke --pools node1@lvm#lvm,node2@ceph#rbd --concurrency 2 --yes',
    ),
  ],
  recover: [
    para(
      'recover explains what it finds (status, migration status, host, leftover target: volume), then, after',
      'confirmation, resets the migration status to none (os-reset_status; also the status a locked migration',
      'or a retype left as maintenance/retyping) and deletes the leftover destination volume. It rolls no data',
      'back, and acts only on positive evidence: it refuses a migration that any progress source (the server,',
      'Ceph, the dd on this host) shows moving, and one that still says it is in flight unless --assume-stuck is',
      'given and the volume has shown no change for --min-age. It reports what reading the volume back shows',
      'changed, and records what it did in the journal.',
    ),
    list('Exit codes:', [
      ['0', 'recovered, or nothing to do'],
      ['1', 'an action failed'],
      ['2', 'no confirmation (--yes off a terminal)'],
      ['3', 'no such volume'],
      ['5', 'refused (the copy may be alive, or the volume changed meanwhile)'],
      ['130', 'interrupted'],
    ]),
    examples('volmig recover db-1', 'volmig recover db-1 --assume-stuck --yes'),
  ],
  doctor: [
    para(
      'doctor reads only: the versions document, one volume of your project, get_pools and os-services (a 403',
      'from these two means no admin role). It shows where each setting came from by file, variable or flag',
      'name, never a password, token or secret.',
    ),
    list('Exit codes:', [
      ['0', 'volmig authenticates and reaches the Block Storage API (whatever the optional checks say)'],
      ['2', 'the configuration is incomplete or wrong'],
      ['4', 'authentication failed'],
      ['6', 'the API cannot be reached'],
    ]),
    examples('volmig doctor', 'volmig --os-cloud prod doctor', 'volmig doctor --json | jq .checks'),
  ],
  completion: [
    para(
      "Besides commands and options, <Tab> offers the cloud's volume names and ids, pools and volume types",
      '(fetched within about a second, cached 30 s in $XDG_CACHE_HOME/volmig). The bash script needs no',
      'bash-completion package and can be sourced twice.',
    ),
    examples(
      'source <(volmig completion bash)',
      'volmig completion zsh > "${fpath[1]}/_volmig"',
      'volmig completion fish > ~/.config/fish/completions/volmig.fish',
    ),
  ],
  help: [examples('volmig help migrate', 'volmig help environment | less')],
};
