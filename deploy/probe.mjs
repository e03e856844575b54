#!/usr/bin/env node
// Container health check: `node deploy/probe.mjs <url> [timeoutMs]` exits 0 when the URL answers 2xx in time, else 1.
// The slim Node image has no curl or wget, and Node's own fetch makes the probe independent of the base image.
const [url, timeoutArg = '4000'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node deploy/probe.mjs <url> [timeoutMs]');
  process.exit(2);
}
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(Number(timeoutArg)) });
  if (!res.ok) console.error(`${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`${url}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
