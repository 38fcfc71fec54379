/**
 * Every framing, end to end:
 *  - the fleet against the shipped server (embedded, native) in each framing: a clean, gated pass;
 *  - the fleet against small servers that frame their own way (test/support/framed-echo-servers.ts):
 *    the honest one passes, and each break (a dropped, a corrupted, a reordered message) is caught
 *    by the integrity class that means it (exit 1, that class > 0);
 *  - broadcast and chaos traffic in framings other than lan pass against the shipped server;
 *  - combinations a framing cannot carry are refused before any load (exit 2 naming both flags).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IntegrityClass } from '../../dummy-client/types';
import { FRAMING_OF, startFramedEchoServer, type FramedServerKind, type ServerBreak } from '../support/framed-echo-servers';
import { runCli } from '../support/cli';
import { failed, runScenarioCli } from './run-helpers';

for (const framing of ['lan', 'servercore', 'raw', 'len:4:be', 'len:1:le:hdr3', 'len:2:be:incl:hdr2']) {
  test(`--framing ${framing}: the fleet and the shipped server pass the gate`, async () => {
    const run = await runScenarioCli(['run', '--framing', framing, '--clients', '50', '--duration', '3', '--payload', '16-200', '--gate']);
    assert.equal(run.cli.code, 0, `exit ${run.cli.code}: ${failed(run.report).join(', ')}\n${run.cli.stderr}`);
    const i = run.report.results.integrity;
    assert.ok(i.ok > 1000, JSON.stringify(i));
    assert.equal(run.report.options.framing, framing);
  });
}

// Traffic that needs frames, in framings other than lan: broadcast (tags checked per sender) and
// chaos (small payloads, wrap bursts aimed at the server ring of this header size, split writes, probes).
for (const args of [
  ['broadcast', '--framing', 'servercore', '--clients', '50', '--duration', '3'],
  ['chaos', '--framing', 'len:4:be:hdr3', '--backend', 'auto', '--clients', '100', '--duration', '4'],
]) {
  test(`stress ${args.join(' ')} passes the gate`, async () => {
    const run = await runScenarioCli([...args, '--gate']);
    assert.equal(run.cli.code, 0, `exit ${run.cli.code}: ${failed(run.report).join(', ')}\n${run.cli.stderr}`);
    assert.ok(run.report.results.integrity.ok > 1000, JSON.stringify(run.report.results.integrity));
  });
}

/** What each break must show as, per server kind: a raw stream has no frames, so reordered bytes are corrupted bytes. */
const CAUGHT_AS: Record<FramedServerKind, Record<Exclude<ServerBreak, 'none'>, IntegrityClass>> = {
  raw: { drop: 'lost', corrupt: 'corrupted', reorder: 'corrupted' },
  servercore: { drop: 'lost', corrupt: 'corrupted', reorder: 'reordered' },
  len4be: { drop: 'lost', corrupt: 'corrupted', reorder: 'reordered' },
};

async function againstServer(kind: FramedServerKind, brk: ServerBreak): Promise<Awaited<ReturnType<typeof runScenarioCli>>> {
  const srv = await startFramedEchoServer({ kind, break: brk, at: 50, block: 16 });
  try {
    // Four in flight per connection, so a held message has a successor to be swapped with.
    const run = await runScenarioCli(['run', '--target', `127.0.0.1:${srv.port}`, '--framing', FRAMING_OF[kind], '--clients', '20', '--duration', '2', '--payload', '16', '--pipeline', '4', '--gate']);
    assert.equal(srv.broken, brk !== 'none', `the ${brk} break did not happen (${srv.units} units)`);
    return run;
  } finally {
    await srv.close();
  }
}

for (const kind of Object.keys(CAUGHT_AS) as FramedServerKind[]) {
  test(`${kind} server: the fleet in --framing ${FRAMING_OF[kind]} passes against the honest one`, async () => {
    const run = await againstServer(kind, 'none');
    assert.equal(run.cli.code, 0, `exit ${run.cli.code}: ${failed(run.report).join(', ')}\n${run.cli.stderr}`);
    assert.ok(run.report.results.integrity.ok > 100);
  });
  for (const [brk, cls] of Object.entries(CAUGHT_AS[kind]) as Array<[Exclude<ServerBreak, 'none'>, IntegrityClass]>) {
    test(`${kind} server that ${brk}s a message: caught as ${cls} (exit 1)`, async () => {
      const run = await againstServer(kind, brk);
      assert.equal(run.cli.code, 1, `exit ${run.cli.code}\n${run.cli.stderr}`);
      assert.ok(run.report.results.integrity[cls] > 0, JSON.stringify(run.report.results.integrity));
    });
  }
}

for (const [args, names] of [
  [['--framing', 'raw', '--mode', 'broadcast'], ['--framing', '--mode broadcast']],
  [['--framing', 'raw', '--traffic', 'chaos'], ['--framing', '--traffic chaos']],
  [['--framing', 'servercore', '--traffic', 'bad-input'], ['--framing', '--traffic bad-input']],
  [['--framing', 'len:1', '--max-payload', '1000'], ['--max-payload', '--framing len:1']],
  [['--framing', 'len:3'], ['--framing', "length size '3'"]],
] as const) {
  test(`${args.join(' ')} is refused before any load (exit 2 naming both)`, async () => {
    const cli = await runCli(['run', ...args, '--clients', '1', '--duration', '1'], 30_000);
    assert.equal(cli.code, 2, cli.stderr);
    for (const n of names) assert.ok(cli.stderr.includes(n), `${n} not in: ${cli.stderr}`);
  });
}
