// Progress of a running activity: logged, and sent as its heartbeat so Temporal sees it alive (and a
// retry after a dead worker starts within the heartbeat timeout).
// A cancellation (the workflow's, or of an attempt that timed out) reaches a running activity only with the
// reply to one of its heartbeats: an activity that does not heartbeat cannot be stopped.
import { Context } from '@temporalio/activity';

export function heartbeat(message: string): void {
  Context.current().log.info(message);
  Context.current().heartbeat(message);
}

/**
 * Heartbeats on a timer while `work` runs, so a long step that prints nothing (one big SQL statement) still
 * shows it is alive, and a dead worker is noticed within the heartbeat timeout.
 */
export async function withHeartbeat<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const timer = setInterval(
    () => heartbeat(`${label} (${Math.round((Date.now() - started) / 1000)} s)`),
    5000,
  );
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
