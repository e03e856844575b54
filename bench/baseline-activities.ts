/** Records, at activity start, how long ago the client sent the signal (same clock: same process). */
export function createBaselineActivities(latencies: number[]) {
  return {
    async touch(sentAt: number): Promise<void> {
      latencies.push(Date.now() - sentAt);
    },
  };
}
export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
