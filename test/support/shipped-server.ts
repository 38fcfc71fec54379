/** The shipped server alone (`stress server --port 0`), as a user starts an external target, with the port it chose. */
import { startCli } from './cli';

export interface ShippedServer {
  port: number;
  stop(): Promise<void>;
}

export async function startShippedServer(args: readonly string[] = [], timeoutMs = 120_000): Promise<ShippedServer> {
  const run = startCli(['server', '--host', '127.0.0.1', '--port', '0', ...args], timeoutMs);
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    run.child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m !== null) resolve(Number(m[1]));
    });
    void run.result.then((r) => reject(new Error(`the server exited before listening (${r.code}): ${r.stderr}`)));
  });
  return {
    port,
    stop: async () => {
      run.child.kill('SIGTERM');
      await run.result;
    },
  };
}
