// The checks of a month's explicit source (domain/month-source.ts), shared by the CLI and the workflow.
import {
  lineageFileName,
  looksLikeUrl,
  uploadKey,
  validMonthSource,
  validSourceUrl,
} from '../../domain/month-source';

const SHA = 'a'.repeat(64);

describe('explicit month sources', () => {
  it('tells URLs from paths by their scheme', () => {
    expect(looksLikeUrl('https://example.org/a.parquet')).toBe(true);
    expect(looksLikeUrl('ftp://example.org/a.parquet')).toBe(true);
    expect(looksLikeUrl('/data/yellow.parquet')).toBe(false);
    expect(looksLikeUrl('trips:2025.parquet')).toBe(false);
  });

  it('accepts http(s) URLs and refuses other schemes, credentials and spaces', () => {
    expect(validSourceUrl('https://d37ci6vzurychx.cloudfront.net/trip-data/x.parquet')).toMatch(/^https:/);
    expect(validSourceUrl('http://127.0.0.1:8080/x.parquet?v=2')).toMatch(/^http:/);
    expect(() => validSourceUrl('ftp://example.org/x.parquet')).toThrow(
      /Unsupported source URL scheme 'ftp:'/,
    );
    expect(() => validSourceUrl('file:///etc/passwd')).toThrow(/scheme 'file:'/);
    expect(() => validSourceUrl('https://user:pw@example.org/x.parquet')).toThrow(/without credentials/);
    expect(() => validSourceUrl('https://example.org/a b.parquet')).toThrow(/Invalid source URL/);
    expect(() => validSourceUrl('https://example.org/\nx')).toThrow(/Invalid source URL/);
  });

  it('names uploads by their content hash', () => {
    expect(uploadKey(SHA)).toBe(`uploads/yellow/${SHA}.parquet`);
    expect(() => uploadKey('../../etc')).toThrow(/Invalid sha256/);
  });

  it('records a plain file name as lineage, else the TLC name of the month', () => {
    expect(lineageFileName('/home/me/april-trips.parquet', '2025-04')).toBe('april-trips.parquet');
    expect(lineageFileName('https://h/x/y.parquet?token=1', '2025-04')).toBe('y.parquet');
    expect(lineageFileName('/home/me/my trips.parquet', '2025-04')).toBe('yellow_tripdata_2025-04.parquet');
    expect(lineageFileName('https://h/', '2025-04')).toBe('yellow_tripdata_2025-04.parquet');
  });

  it('checks every field of the workflow input', () => {
    const uploaded = {
      kind: 'uploaded' as const,
      key: uploadKey(SHA),
      fileName: 'a.parquet',
      sha256: SHA,
      bytes: 100,
    };
    expect(validMonthSource(uploaded)).toEqual(uploaded);
    expect(() => validMonthSource({ ...uploaded, key: 'landing/other.parquet' })).toThrow(/is not uploads/);
    expect(() => validMonthSource({ ...uploaded, fileName: '../x' })).toThrow(/Invalid source file name/);
    expect(() => validMonthSource({ ...uploaded, bytes: 3 })).toThrow(/Invalid size/);
    expect(() => validMonthSource({ kind: 'url', url: 'gopher://x/y' })).toThrow(/scheme 'gopher:'/);
    expect(() => validMonthSource({ kind: 'disk' } as never)).toThrow(/Unknown source kind "disk"/);
  });
});
