// A load run from JavaScript: the `stress run` flags by camelCase name, the report back.
//   node examples/api-run.mjs            (after npm install; writes no files)
import { run } from 'lanstress';

const report = await run({
  scenario: 'echo-flood',
  clients: 50,
  duration: '2s',
  pipeline: 2,
  clientWorkers: 1,
  serverWorkers: 1,
  threshold: ['lost==0', 'connectErrors==0'], // or latency: 'p99<20ms'
});

const { integrity, throughput, latency } = report.results;
console.log(JSON.stringify({
  verdict: report.verdict,
  target: report.target,
  echoesPerSec: Math.round(throughput.echoesPerSec),
  p99Ms: latency.corrected.p99,
  ok: integrity.ok,
  lost: integrity.lost,
  failedGates: report.gates.filter((g) => !g.unknown && !g.pass).map((g) => g.name),
}));
process.exitCode = report.verdict === 'pass' ? 0 : 1;
