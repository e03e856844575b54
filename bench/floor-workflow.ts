// The floor: the cheapest unit the Temporal server can do — a workflow that completes in its first workflow task,
// with no activity and no timer. Signal-with-start delivers the bench's signal in that same task; it needs no handler.
export async function floor(): Promise<void> {
  // Nothing: the first workflow task completes the workflow.
}
