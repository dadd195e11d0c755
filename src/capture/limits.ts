/** Default for `trace.capture.maxFileBytes`; kept here so the hot path need not import the config schema. */
export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;
/** A hook payload larger than this is not read (Claude caps tool inputs well below it). */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;
