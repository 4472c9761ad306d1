// Activities of the platform bring-up: start or adopt each component through a driver, then initialise
// what the lakehouse needs (bucket, Nessie's main branch, the Trino catalog and its schemas, Kafka's topics). Each one
// checks before it changes anything, so running them on a healthy platform changes nothing.
import { ApplicationFailure } from '@temporalio/common';
import { lakehouseCatalogAt } from '../lib/catalog';
import { ensureTopics, PLATFORM_TOPICS } from '../clients/kafka/topics';
import { NessieClient } from '../clients/nessie';
import { ensureBucket, s3Client } from '../clients/s3';
import { sqlIdentifier, TrinoClient } from '../clients/trino';
import type {
  BucketInit,
  EnsureResult,
  KafkaInit,
  ManagedComponent,
  NessieInit,
  TrinoInit,
} from '../domain/platform';
import { NeedsOperatorError, type PlatformDriver } from '../platform/driver';
import { heartbeat } from './heartbeat';

/** Nessie's hash of the empty history, the source for re-creating a deleted default branch. */
const NESSIE_NO_ANCESTOR = '2e1cfa82b035c26cbbbdae632cea070514eb8b773f616aaeaf668e2f0be8f10d';

export function createPlatformActivities(driver: PlatformDriver) {
  return {
    async ensureComponent(component: ManagedComponent): Promise<EnsureResult> {
      try {
        return await driver.ensureRunning(component, heartbeat);
      } catch (err) {
        if (err instanceof NeedsOperatorError) throw ApplicationFailure.nonRetryable(err.message, err.name);
        throw err;
      }
    },

    async initObjectStore(): Promise<BucketInit> {
      const e = driver.endpoints();
      const client = s3Client({ endpoint: e.s3, ...e.credentials });
      try {
        const created = await ensureBucket(client, e.warehouseBucket);
        return { bucket: e.warehouseBucket, created };
      } finally {
        client.destroy();
      }
    },

    async initNessie(): Promise<NessieInit> {
      const nessie = new NessieClient(driver.endpoints().nessieApi);
      const { defaultBranch } = await nessie.config();
      const existing = await nessie.getReference(defaultBranch);
      if (existing) return { branch: defaultBranch, hash: existing.hash, created: false };
      const created = await nessie.createReference(defaultBranch, 'BRANCH', {
        name: defaultBranch,
        hash: NESSIE_NO_ANCESTOR,
      });
      return { branch: defaultBranch, hash: created.hash, created: true };
    },

    async initTrino(): Promise<TrinoInit> {
      const e = driver.endpoints();
      const trino = new TrinoClient(e.trino, { source: 'dp-bring-up' });
      const catalog = sqlIdentifier(e.catalog);
      const catalogCreated = await trino.ensureCatalog(catalog, lakehouseCatalogAt(e, 'main'));
      const schemas = (await trino.query(`SHOW SCHEMAS FROM ${catalog}`)).rows.map((r) => String(r[0]));
      const schemasCreated: string[] = [];
      const schemasExisting: string[] = [];
      for (const schema of e.schemas) {
        if (schemas.includes(schema)) {
          schemasExisting.push(schema);
          continue;
        }
        await trino.query(`CREATE SCHEMA IF NOT EXISTS ${catalog}.${sqlIdentifier(schema)}`);
        schemasCreated.push(schema);
      }
      return { catalog, catalogCreated, schemasCreated, schemasExisting };
    },

    async initKafka(): Promise<KafkaInit> {
      // With Strimzi the topics are KafkaTopic objects the driver applied and waited for.
      const declared = await driver.declaredTopics?.();
      if (declared) return { topics: declared };
      const topics = await ensureTopics({ bootstrap: driver.endpoints().kafka, clientId: 'dp-bring-up' }, [
        ...PLATFORM_TOPICS,
      ]);
      return { topics };
    },
  };
}

export type PlatformActivities = ReturnType<typeof createPlatformActivities>;
