// The one error for "this source file is bad" (not valid Parquet, not the trip layout, unreadable data, no
// rows): fetching or loading it again reads the same bytes, so the activity fails it for good.

/** A source file that cannot be loaded as it is. Its name is also the Temporal failure type. */
export class InvalidSourceFile extends Error {
  override name = 'InvalidSourceFile';
}
