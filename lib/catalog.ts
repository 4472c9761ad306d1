// The Trino catalog of the lakehouse: Iceberg tables in Nessie, data on the S3 object store through Trino's
// native S3 file system. One definition, rendered for the local platform and for Kubernetes alike.
// Secrets are never inlined: they are read from the environment of the Trino process.

export interface CatalogTarget {
  nessieApiUri: string;
  s3Endpoint: string;
  warehouseBucket: string;
  /** Nessie reference (branch) the catalog reads and commits to. */
  ref: string;
}

export const S3_ACCESS_KEY_ENV = 'DP_S3_ACCESS_KEY';
export const S3_SECRET_KEY_ENV = 'DP_S3_SECRET_KEY';
export const S3_REGION = 'us-east-1';

export function lakehouseCatalogProperties(target: CatalogTarget): Record<string, string> {
  return {
    'connector.name': 'iceberg',
    'iceberg.catalog.type': 'nessie',
    'iceberg.nessie-catalog.uri': target.nessieApiUri,
    'iceberg.nessie-catalog.ref': target.ref,
    'iceberg.nessie-catalog.default-warehouse-dir': `s3://${target.warehouseBucket}/`,
    'iceberg.file-format': 'PARQUET',
    'iceberg.add-files-procedure.enabled': 'true',
    'fs.native-s3.enabled': 'true',
    's3.endpoint': target.s3Endpoint,
    's3.region': S3_REGION,
    's3.path-style-access': 'true',
    's3.aws-access-key': `\${ENV:${S3_ACCESS_KEY_ENV}}`,
    's3.aws-secret-key': `\${ENV:${S3_SECRET_KEY_ENV}}`,
  };
}

/** The catalog on `ref` of a platform, from its endpoints (Nessie API, object store) and warehouse bucket. */
export function lakehouseCatalogAt(
  platform: { nessieApi: string; s3: string; warehouseBucket: string },
  ref: string,
): Record<string, string> {
  return lakehouseCatalogProperties({
    nessieApiUri: platform.nessieApi,
    s3Endpoint: platform.s3,
    warehouseBucket: platform.warehouseBucket,
    ref,
  });
}

export function toPropertiesFile(properties: Record<string, string>): string {
  return (
    Object.entries(properties)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n') + '\n'
  );
}
