// The one error for "this source file is bad" (not valid Parquet, not the trip layout, unreadable data, no
// rows) or "cannot be had as given" (an HTTP error of a --source URL, a redirect to another host): fetching
// or loading it again gets the same answer, so the activity fails it for good.

/** A source file that cannot be loaded as it is. Its name is also the Temporal failure type. */
export class InvalidSourceFile extends Error {
  override name = 'InvalidSourceFile';
}
