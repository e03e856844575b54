// The fault suite's agent (agents.json "implementation"): a task that takes `values.workMs`, heartbeating, so a case can
// kill a process while it works. It reports each attempt's start and end to the suite's probe (options.probeUrl), so
// the suite knows when a task is in flight and how many attempts each message took.
const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

export default function slowAgent(init) {
  const probeUrl = String(init.options.probeUrl);
  const note = (what, message, attempt) =>
    fetch(`${probeUrl}/${what}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        messageId: message.id,
        eventId: message.event.id,
        thredId: message.event.thredId,
        attempt,
        pid: process.pid,
      }),
    }).catch(() => undefined);
  return {
    async handleMessage(message, ctx) {
      const values = message.event.data?.content?.values ?? {};
      await note('start', message, ctx.attempt);
      for (let done = 0; done < (values.workMs ?? 0); done += 200) {
        ctx.heartbeat({ done });
        await sleep(200, ctx.signal);
      }
      await note('done', message, ctx.attempt);
      return {
        data: { title: 'slow answer', content: { values: { ...values, attempt: ctx.attempt, pid: process.pid } } },
      };
    },
  };
}
