/**
 * The one error class the core throws internally. Public entry points catch it and return it as data
 * (`Step.error` + an `error` effect); it never escapes `react`/`expire`.
 */
export class ThredError extends Error {
  constructor(
    readonly code: number,
    /** Short human title naming the failure; becomes the error event's `data.title`. */
    readonly title: string,
    message: string,
  ) {
    super(message);
    this.name = 'ThredError';
  }
}
