// Activities of the platform watch: probe the managed components and tell a dead one from a slow one, and
// restart one through the driver (which leaves a component that is healthy again as it is).
import { ApplicationFailure } from '@temporalio/common';
import type { EnsureResult, ManagedComponent } from '../domain/platform';
import type { ComponentCheck } from '../domain/platform-watch';
import { NeedsOperatorError, type PlatformDriver } from '../platform/driver';
import { heartbeat, withHeartbeat } from './heartbeat';

export function createPlatformWatchActivities(driver: PlatformDriver) {
  return {
    async checkComponents(components: ManagedComponent[]): Promise<ComponentCheck[]> {
      return Promise.all(
        components.map(async (component): Promise<ComponentCheck> => {
          const health = await driver.probe(component);
          if (health.healthy) return { component, condition: 'healthy', detail: health.detail };
          // A driver that cannot tell a dead component from a slow one lets it have the grace time.
          const down = (await driver.isDown?.(component)) ?? false;
          return { component, condition: down ? 'down' : 'failing', detail: health.detail };
        }),
      );
    },

    async restartComponent(component: ManagedComponent): Promise<EnsureResult> {
      try {
        // Heartbeats on a timer too: waiting for another start of the component prints little.
        return await withHeartbeat(`restarting ${component}`, () =>
          driver.ensureRunning(component, heartbeat),
        );
      } catch (err) {
        if (err instanceof NeedsOperatorError) throw ApplicationFailure.nonRetryable(err.message, err.name);
        throw err;
      }
    },
  };
}

export type PlatformWatchActivities = ReturnType<typeof createPlatformWatchActivities>;
