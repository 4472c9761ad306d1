// The Trino catalog in the manifests is the one lib/catalog.ts produces: the generator re-runs here and its
// output must equal the committed files (run `npx tsx infra/k8s/generate-catalog.ts` after changing it).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generatedCatalogFiles, MANIFESTS_DIR } from '../../../infra/k8s/generate-catalog';
import { parseYaml } from '../../../infra/k8s/yaml';
import { MANIFESTS, rendered } from './helpers';

describe('generated Trino catalog ConfigMaps', () => {
  const files = generatedCatalogFiles();

  it.each(Object.keys(files))('%s is up to date with lib/catalog.ts', (file) => {
    const committed = fs.readFileSync(path.join(MANIFESTS_DIR, file), 'utf8');
    expect(parseYaml(committed)).toEqual(parseYaml(files[file]));
  });

  it('the rendered overlays carry the generated catalog for their object store', () => {
    const catalogOf = (dir: string) =>
      (
        rendered(dir).objects.find(
          (o) => o.kind === 'ConfigMap' && o.metadata.name === 'trino-catalog',
        ) as unknown as {
          data: Record<string, string>;
        }
      ).data['lakehouse.properties'];
    expect(catalogOf(path.join(MANIFESTS, 'overlays', 'dev'))).toContain(
      's3.endpoint=http://objectstore.data-platform',
    );
    expect(catalogOf(path.join(MANIFESTS, 'overlays', 'minio'))).toContain('s3.endpoint=http://minio.minio');
    expect(catalogOf(path.join(MANIFESTS, 'overlays', 'dev'))).toContain(
      's3.aws-secret-key=${ENV:DP_S3_SECRET_KEY}',
    );
  });
});
