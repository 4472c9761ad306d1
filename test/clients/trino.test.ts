import { createCatalogSql, sqlIdentifier, sqlString } from '../../clients/trino';
import { validRefName } from '../../clients/nessie';
import { lakehouseCatalogProperties, toPropertiesFile } from '../../lib/catalog';

describe('SQL and reference validation', () => {
  test('identifiers allow only lower-case names', () => {
    expect(sqlIdentifier('bronze')).toBe('bronze');
    expect(sqlIdentifier('yellow_trips_2025')).toBe('yellow_trips_2025');
    for (const bad of ['Bronze', 'a;drop table x', 'a.b', '', '1abc', 'x"y']) {
      expect(() => sqlIdentifier(bad)).toThrow(/Invalid SQL identifier/);
    }
  });

  test('string literals escape single quotes', () => {
    expect(sqlString("o'brien")).toBe("'o''brien'");
  });

  test('Nessie reference names reject path tricks', () => {
    expect(validRefName('etl-2025-03.run_1')).toBe('etl-2025-03.run_1');
    for (const bad of ['../main', 'a/b', '', '-x', 'a b'])
      expect(() => validRefName(bad)).toThrow(/Invalid Nessie/);
  });
});

describe('the lakehouse catalog', () => {
  test('never inlines S3 secrets: they come from the Trino process environment', () => {
    const props = lakehouseCatalogProperties({
      nessieApiUri: 'http://nessie:19120/api/v2',
      s3Endpoint: 'http://s3:8333',
      warehouseBucket: 'warehouse',
      ref: 'etl-2025-03',
    });
    expect(props['s3.aws-access-key']).toBe('${ENV:DP_S3_ACCESS_KEY}');
    expect(props['s3.aws-secret-key']).toBe('${ENV:DP_S3_SECRET_KEY}');
    expect(props['iceberg.nessie-catalog.ref']).toBe('etl-2025-03');
    expect(toPropertiesFile({ a: '1', b: 'x' })).toBe('a=1\nb=x\n');
  });

  test('CREATE CATALOG takes the connector from connector.name and quotes every other property', () => {
    expect(
      createCatalogSql('etl_2025_03', {
        'connector.name': 'iceberg',
        'iceberg.nessie-catalog.ref': "it's",
        's3.aws-access-key': '${ENV:DP_S3_ACCESS_KEY}',
      }),
    ).toBe(
      'CREATE CATALOG etl_2025_03 USING iceberg WITH ' +
        `("iceberg.nessie-catalog.ref" = 'it''s', "s3.aws-access-key" = '\${ENV:DP_S3_ACCESS_KEY}')`,
    );
    expect(() => createCatalogSql('Bad;', { 'connector.name': 'iceberg' })).toThrow(/Invalid SQL identifier/);
  });
});
