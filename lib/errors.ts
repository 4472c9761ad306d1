/** A problem only a person can fix (a port held by another program, a bad config): retrying cannot help. */
export class NeedsOperatorError extends Error {}
