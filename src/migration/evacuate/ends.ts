import { ExitCode } from '../../errors.js';
import { volumeHost, type UserMessage, type Volume } from '../../model/cinder.js';
import type { ProgressSnapshot } from '../tracker.js';
import type { EvacuationEnd, MoveState } from './types.js';

/** How a run ended, as its exit code: 0 all moved, 1 something failed or was refused, 4, 6, 7, 130/143. */
export function evacuationExitCode(end: EvacuationEnd, states: readonly MoveState[], refusals: number, interruptedExitCode?: () => number): number {
  switch (end) {
    case 'interrupted':
      return interruptedExitCode?.() ?? ExitCode.INTERRUPTED;
    case 'timeout':
      return ExitCode.TIMEOUT;
    case 'denied':
      return ExitCode.AUTH;
    case 'unavailable':
      return ExitCode.UNAVAILABLE;
  }
  const bad = new Set<string>(['failed', 'rejected', 'not-started', 'unknown']);
  return states.some((s) => bad.has(s.result)) || refusals > 0 ? ExitCode.FAILED : ExitCode.OK;
}

/** Why a queued move was never sent, from how the run ended. */
export function notStartedReason(end: EvacuationEnd): string {
  switch (end) {
    case 'interrupted':
      return 'not started: interrupted';
    case 'timeout':
      return 'not started: timed out';
    case 'denied':
      return 'not started: reading volumes is not allowed';
    case 'unavailable':
      return 'not started: the API kept failing';
    default:
      return 'not started after an earlier failure';
  }
}

/** Why a migration ended in error, with Cinder's user message about the volume where it wrote one (3.3+). */
export async function failureReason(v: Volume, snap: ProgressSnapshot, messagesAbout: (volumeId: string) => Promise<UserMessage[]>, startedAt: number): Promise<string> {
  if (snap.resetObserved) return 'the migration status was reset while the migration ran';
  let messages: UserMessage[] = [];
  try {
    messages = await messagesAbout(v.id);
  } catch {
    // Most servers write no message; one that cannot be read changes nothing.
  }
  const since = startedAt - 60_000;
  const own = messages.find((m) => {
    const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(m.created_at) ? m.created_at : `${m.created_at}Z`);
    return !Number.isFinite(t) || t >= since;
  });
  return `migration ended in error on the server${own ? ` (the server's message: "${own.user_message}")` : ''}; the volume stayed on ${volumeHost(v) ?? 'its host'} (status ${v.status})`;
}
