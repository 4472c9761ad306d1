// Activities of the platform watch: probe the watched components and tell a dead one from a slow one, and
// restart one through the driver (which leaves a component that is healthy again as it is). The stream job
// is looked after only while the user wants it running.
import { ApplicationFailure } from '@temporalio/common';
import type { ComponentCheck, RestartResult, WatchedComponent } from '../domain/platform-watch';
import { NeedsOperatorError, type PlatformDriver } from '../platform/driver';
import { heartbeat, withHeartbeat } from './heartbeat';

export function createPlatformWatchActivities(driver: PlatformDriver) {
  const checkStreamJob = async (): Promise<ComponentCheck> => {
    const component = 'flink';
    if (!driver.streamJobState) {
      return { component, condition: 'off', detail: 'not run by dp on this target' };
    }
    const state = await driver.streamJobState();
    if (!state.wanted) return { component, condition: 'off', detail: state.detail };
    return { component, condition: state.running ? 'healthy' : 'down', detail: state.detail };
  };

  return {
    async checkComponents(components: WatchedComponent[]): Promise<ComponentCheck[]> {
      return Promise.all(
        components.map(async (component): Promise<ComponentCheck> => {
          if (component === 'flink') return checkStreamJob();
          const health = await driver.probe(component);
          if (health.healthy) return { component, condition: 'healthy', detail: health.detail };
          // A driver that cannot tell a dead component from a slow one lets it have the grace time.
          const down = (await driver.isDown?.(component)) ?? false;
          return { component, condition: down ? 'down' : 'failing', detail: health.detail };
        }),
      );
    },

    async restartComponent(component: WatchedComponent): Promise<RestartResult> {
      try {
        // Heartbeats on a timer too: waiting for another start of the component prints little.
        return await withHeartbeat(`restarting ${component}`, async () => {
          if (component !== 'flink') return driver.ensureRunning(component, heartbeat);
          if (!driver.ensureStreamJob) {
            throw new NeedsOperatorError(
              `the ${driver.target} target does not run the stream job through dp`,
            );
          }
          return driver.ensureStreamJob(heartbeat);
        });
      } catch (err) {
        if (err instanceof NeedsOperatorError) throw ApplicationFailure.nonRetryable(err.message, err.name);
        throw err;
      }
    },
  };
}

export type PlatformWatchActivities = ReturnType<typeof createPlatformWatchActivities>;
