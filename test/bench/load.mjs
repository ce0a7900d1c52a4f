// The load generator, in its own process: warm-up, then one measured autocannon run with random ids per request.
// Input: one JSON argument {url, endpoint, connections, seconds, warmup, ids, seed}. Output (stdout): a line
// "measuring" when the measured run starts, then one line of JSON with the result. Latencies are kept here, not in
// autocannon's histogram, whose resolution is 1 ms.
import autocannon from 'autocannon';
import fs from 'node:fs';
import { lookupPaths } from './requests.mjs';

const opts = JSON.parse(process.argv[2]);
const path = lookupPaths(opts.endpoint, JSON.parse(fs.readFileSync(opts.ids, 'utf8')), opts.seed);

function run(seconds, onLatency) {
  const instance = autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: seconds,
    requests: [
      {
        setupRequest: (req) => {
          req.path = path(); // req is a fresh copy per request
          return req;
        },
      },
    ],
  });
  if (onLatency) instance.on('response', (_client, _status, _bytes, ms) => onLatency(ms));
  return instance;
}

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : null);

if (opts.warmup > 0) await run(opts.warmup);
process.stdout.write('measuring\n');
let latencies = new Float64Array(1 << 20);
let n = 0;
const cpu = process.cpuUsage();
const result = await run(opts.seconds, (ms) => {
  if (n === latencies.length) {
    const grown = new Float64Array(n * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[n++] = ms;
});
const { user, system } = process.cpuUsage(cpu);
const sorted = latencies.subarray(0, n).sort();
const ok = result['2xx'];
process.stdout.write(
  JSON.stringify({
    requests: ok,
    rps: ok / result.duration,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: percentile(sorted, 1),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    load_generator_cpu_pct: (user + system) / 1e4 / result.duration,
  }) + '\n',
);
