// The Kafka client the platform uses (@platformatic/kafka: maintained, pure JavaScript, no native addon),
// loaded on first use so commands that never touch Kafka do not pay for it.
import type * as KafkaLib from '@platformatic/kafka';

export type { KafkaLib };

let lib: typeof KafkaLib | undefined;

/** The client library (ESM; Node 20.19+ loads it through require, tsx and jest transform it). */
export function kafkaLib(): typeof KafkaLib {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  lib ??= require('@platformatic/kafka') as typeof KafkaLib;
  return lib;
}

export interface KafkaConnection {
  /** host:port of one broker to bootstrap from. */
  bootstrap: string;
  clientId?: string;
  /** Per-request timeout; the client's default is 30 s, too long for a probe. */
  timeoutMs?: number;
  /** How often a failed request is retried (false: never). */
  retries?: number | false;
}

export function baseOptions(connection: KafkaConnection, defaultClientId: string) {
  return {
    clientId: connection.clientId ?? defaultClientId,
    bootstrapBrokers: [connection.bootstrap],
    timeout: connection.timeoutMs ?? 10_000,
    connectTimeout: Math.min(connection.timeoutMs ?? 10_000, 5_000),
    retries: connection.retries ?? 3,
    retryDelay: 500,
  };
}

export function createAdmin(connection: KafkaConnection): KafkaLib.Admin {
  return new (kafkaLib().Admin)(baseOptions(connection, 'dp-admin'));
}

/** Raised when no broker answers at the bootstrap address; says what to do about it. */
export class KafkaUnavailableError extends Error {
  constructor(bootstrap: string, cause: unknown) {
    super(
      `Kafka is not reachable at ${bootstrap} (${describeKafkaError(cause)}). ` +
        'Start the platform with `dp up` (and check it with `dp status`).',
      { cause },
    );
    this.name = 'KafkaUnavailableError';
  }
}

/** The innermost useful message of a client error (the client nests them in AggregateErrors). */
export function describeKafkaError(err: unknown): string {
  const messages: string[] = [];
  const visit = (e: unknown, depth: number) => {
    if (!(e instanceof Error) || depth > 4) return;
    const code = (e as { code?: string }).code;
    const inner = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(inner) && inner.length > 0) {
      for (const i of inner.slice(0, 2)) visit(i, depth + 1);
    } else if (e.cause instanceof Error) {
      visit(e.cause, depth + 1);
    } else {
      messages.push(code && !e.message.includes(code) ? `${e.message} [${code}]` : e.message);
    }
  };
  visit(err, 0);
  if (messages.length === 0) return err instanceof Error ? err.message : String(err);
  return [...new Set(messages)].join('; ');
}

/** True when the error means no connection to any broker could be made (as opposed to a refused request). */
export function isConnectionError(err: unknown): boolean {
  const text = describeKafkaError(err) + ' ' + (err instanceof Error ? err.message : '');
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|connect|Connection|timed? ?out/i.test(
    text,
  );
}

/** Cluster id, broker count and topic names: the probe behind `dp status`. */
export async function describeCluster(
  connection: KafkaConnection,
): Promise<{ clusterId: string; brokers: number; controllerId: number; topics: string[] }> {
  const admin = createAdmin(connection);
  try {
    const metadata = await admin.metadata({ topics: [] });
    const topics = await admin.listTopics();
    return {
      clusterId: metadata.id,
      brokers: metadata.brokers.size,
      controllerId: metadata.controllerId,
      topics: topics.sort(),
    };
  } finally {
    await admin.close().catch(() => undefined);
  }
}
