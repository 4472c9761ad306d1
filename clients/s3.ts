// S3 client for the platform's object store (path-style, any S3-compatible endpoint).
import '../lib/quiet-warnings';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  S3Client,
  type _Object,
} from '@aws-sdk/client-s3';
import { S3_REGION } from '../lib/catalog';

export interface ObjectStoreAccess {
  endpoint: string;
  accessKey: string;
  secretKey: string;
}

export function s3Client(access: ObjectStoreAccess): S3Client {
  return new S3Client({
    endpoint: access.endpoint,
    region: S3_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: access.accessKey, secretAccessKey: access.secretKey },
    // A healthy local store answers at once; a hung call is a failure to report, not to wait on.
    requestHandler: { requestTimeout: 30_000, connectionTimeout: 5_000 },
  });
}

/** Creates the bucket unless it exists. Returns whether it was created. */
export async function ensureBucket(client: S3Client, bucket: string): Promise<boolean> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return false;
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) throw err;
  }
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return true;
}

export async function listAllObjects(client: S3Client, bucket: string, prefix: string): Promise<_Object[]> {
  const objects: _Object[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    objects.push(...(page.Contents ?? []));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}
