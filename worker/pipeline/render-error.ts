/** Why a render could not run; each reason maps to an Artwork condition reason. */
export const RENDER_ERROR_REASONS = [
  "InvalidScheduler",
  "UnsupportedSize",
  "InvalidParameter",
  "ModelNotLoaded",
  "UnsupportedModel",
  "InferenceFailed",
  /** The inference thread died under the render: the worker's fault, so another worker may try. */
  "InferenceUnavailable",
  "Aborted",
] as const;
export type RenderErrorReason = (typeof RENDER_ERROR_REASONS)[number];

/**
 * A render failure the caller can act on: `reason` is machine-readable, `message` names the Artwork
 * field at fault (for example `spec.scheduler: "karras" is not one of …`) so it can go into a condition as is.
 */
export class RenderError extends Error {
  override readonly name = "RenderError";

  constructor(
    readonly reason: RenderErrorReason,
    message: string,
  ) {
    super(message);
  }

  /** Plain data that survives postMessage (class identity does not cross a thread boundary). */
  toJSON(): { reason: RenderErrorReason; message: string } {
    return { reason: this.reason, message: this.message };
  }

  static fromJSON(data: { reason: RenderErrorReason; message: string }): RenderError {
    return new RenderError(data.reason, data.message);
  }
}
