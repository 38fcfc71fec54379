/**
 * deploy/k8s against the Kubernetes schemas (kubernetes-models: the API's OpenAPI schemas as
 * validators) and the rules the walk-through relies on: an Indexed Job whose index picks the
 * shard, one start time for every pod, reports on a shared volume, a merge Job reading them.
 * No cluster is reachable here; the shard/merge logic itself is proved by test/merge/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1';
import { PersistentVolumeClaim } from 'kubernetes-models/v1';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import { ROOT } from '../support/paths';

const DIR = path.join(ROOT, 'deploy', 'k8s');
/** What `envsubst` fills in before kubectl apply. */
const VARS: Record<string, string> = { RUN_ID: 'soak-1', START_AT: '2026-01-01T12:00:00Z' };

function manifests(file: string): Array<Record<string, unknown>> {
  const text = readFileSync(path.join(DIR, file), 'utf8').replace(/\$\{(\w+)\}/g, (_, name: string) => VARS[name] ?? `\${${name}}`);
  return parseAllDocuments(text).map((d) => d.toJSON() as Record<string, unknown>);
}

/** Each document checked against its kind's schema (throws naming the field). */
function validated(doc: Record<string, unknown>): Job | PersistentVolumeClaim {
  const model = doc.kind === 'Job' ? new Job(doc as unknown as IJob) : doc.kind === 'PersistentVolumeClaim' ? new PersistentVolumeClaim(doc as never) : null;
  assert.ok(model !== null, `unexpected kind ${String(doc.kind)}`);
  model.validate();
  return model;
}

function script(job: Job): string {
  const c = job.spec!.template.spec!.containers[0]!;
  return [...(c.command ?? []), ...(c.args ?? [])].join(' ');
}

test('the shard Job and its volume claim match the Kubernetes schemas; the index picks the shard, one START_AT starts them all', () => {
  const docs = manifests('job.yaml').map(validated);
  const job = docs.find((d): d is Job => d instanceof Job)!;
  const claim = docs.find((d): d is PersistentVolumeClaim => d instanceof PersistentVolumeClaim)!;
  assert.equal(job.spec!.completionMode, 'Indexed');
  assert.equal(job.spec!.completions, job.spec!.parallelism, 'every shard runs at once');
  const env = new Map((job.spec!.template.spec!.containers[0]!.env ?? []).map((e) => [e.name, e.value]));
  assert.equal(Number(env.get('SHARDS')), job.spec!.completions, 'SHARDS is the number of pods');
  assert.equal(env.get('START_AT'), VARS.START_AT);
  const run = script(job);
  assert.match(run, /--shard "\$JOB_COMPLETION_INDEX\/\$SHARDS"/);
  assert.match(run, /--start-at "\$START_AT"/);
  assert.match(run, /--out "\/reports\/\$RUN_ID\/shard-\$JOB_COMPLETION_INDEX"/);
  assert.match(run, /--metrics-port 9464/);
  const mount = job.spec!.template.spec!.containers[0]!.volumeMounts![0]!;
  assert.equal(mount.mountPath, '/reports');
  const volume = job.spec!.template.spec!.volumes!.find((v) => v.name === mount.name)!;
  assert.equal(volume.persistentVolumeClaim?.claimName, claim.metadata!.name);
  assert.deepEqual(claim.spec!.accessModes, ['ReadWriteMany'], 'every pod writes to it');
});

test('the merge Job matches the schema and merges every shard directory the shard Job writes', () => {
  const [doc] = manifests('merge-job.yaml');
  const job = validated(doc!) as Job;
  const run = script(job);
  assert.match(run, /merge \/reports\/\$RUN_ID\/shard-\*\/\*\.json/);
  assert.match(run, /-o "\/reports\/\$RUN_ID\/merged\.json"/);
  const shardJob = manifests('job.yaml').find((d) => d.kind === 'Job')!;
  const claimOf = (j: Job): string | undefined => j.spec!.template.spec!.volumes![0]!.persistentVolumeClaim?.claimName;
  assert.equal(claimOf(job), claimOf(new Job(shardJob as unknown as IJob)));
});

test('a manifest the schema rejects is caught (the check is not vacuous)', () => {
  const [doc] = manifests('merge-job.yaml');
  const broken = structuredClone(doc!) as { spec: { completions: unknown } };
  broken.spec.completions = 'four';
  assert.throws(() => validated(broken as unknown as Record<string, unknown>));
});

test('the image runs the stress CLI built from this repository', () => {
  const dockerfile = readFileSync(path.join(DIR, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /RUN npm ci/);
  assert.match(dockerfile, /ENTRYPOINT \["node", "\/app\/dist\/stress\/cli\.js"\]/);
  // Every directory tsconfig compiles is copied in, or the image's build would fail.
  const include = (JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] }).include.map((g) => g.split('/')[0]!);
  for (const dir of include) assert.match(dockerfile, new RegExp(`COPY ${dir} \\./${dir}`), dir);
});
