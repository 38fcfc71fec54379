#!/usr/bin/env node
/**
 * The `lanserver` bin: runs the standalone native server (build/Release/lanserver) with
 * this process's arguments, so npm users reach the non-Node build through one name.
 * stdio is inherited so its JSON lines go straight to whoever reads ours.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { standalonePath } from './addon';

function main(): void {
  const exe = standalonePath();
  if (!fs.existsSync(exe)) {
    process.stderr.write(`lanserver: the standalone server is not built (${exe} is missing): run npm install\n`);
    process.exitCode = 1;
    return;
  }
  const child = spawn(exe, process.argv.slice(2), { stdio: 'inherit' });

  // Forward rather than die: the child must get the chance to stop() and print its final stats.
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);

  child.on('error', (err) => {
    process.stderr.write(`lanserver: cannot run ${exe}: ${err.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    // A child killed by a signal is reported the shell way, 128 + signal number.
    process.exitCode = code ?? 128 + (signal ? os.constants.signals[signal] : 0);
  });
}

main();
