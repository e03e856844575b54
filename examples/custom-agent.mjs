// A custom Threds agent module (agents.json: "implementation": "../examples/custom-agent.mjs", relative to the config
// directory). The default export is { handleMessage(message, ctx) } — or a factory (init) => { handleMessage, close? }
// when the agent needs set-up. What it shows, driven by the request's content.values:
//   failAttempts: n  — throws on the first n attempts (a transient error: Temporal retries it), then answers;
//   down: true       — always throws (retries run out: the thred gets error 5200 and a dead letter is stored);
//   invalid: true    — ctx.fail(): a permanent failure, answered at once as an error reply, never retried;
//   workMs: n        — a long task: heartbeats while it works and stops when the call is cancelled;
//   anything else    — echoed back in the reply's content.values, with the attempt that answered.
const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

export default {
  async handleMessage(message, ctx) {
    const values = message.event.data?.content?.values ?? {};
    if (values.down) throw new Error('backend down');
    if (ctx.attempt <= (values.failAttempts ?? 0)) throw new Error(`transient failure on attempt ${ctx.attempt}`);
    if (values.invalid) ctx.fail('this request can never succeed', 4200);
    for (let done = 0; done < (values.workMs ?? 0); done += 100) {
      ctx.heartbeat({ done });
      await sleep(100, ctx.signal);
    }
    ctx.logger.info({ attempt: ctx.attempt }, 'answering');
    // Only data is needed: the runtime sets type, re, thredId, source, id and time.
    return { data: { title: 'Echo', content: { values: { ...values, answeredOnAttempt: ctx.attempt } } } };
  },
};
