/**
 * --backend in, the list of runs out: 'auto' and a single name are one run, 'all' is one
 * run per backend this kernel offers, a comma list is one run per name. What the kernel
 * offers is the addon's word (availableBackends(), the same probe the standalone
 * lanserver's core runs), so an io_uring asked for by name on a kernel without it is a
 * usage error with the kernel's reason, found before any server starts.
 */
import { loadAddon } from '../../server/addon';
import { LanServer } from '../../server/lan-server';
import type { Backend } from '../../server/types';
import { NAMED_BACKENDS, type BackendRequest, type NamedBackend, type Target } from './options';

export interface BackendAvailability {
  available: readonly NamedBackend[];
  /** Why a backend is missing here, when it is (the kernel's refusal, as the server says it). */
  why(backend: NamedBackend): string;
}

export type BackendPlan = { ok: true; backends: Backend[] } | { ok: false; error: string };

/** Pure: the backends to run one after the other, in NAMED_BACKENDS order for 'all'. */
export function planBackends(request: BackendRequest, target: Target, here: () => BackendAvailability): BackendPlan {
  // An external target is one server whatever its backend: one run, --backend is not ours to pick.
  if (target.kind === 'external') return { ok: true, backends: ['auto'] };
  if (request === 'auto') return { ok: true, backends: ['auto'] };
  const avail = here();
  if (request === 'all') return { ok: true, backends: NAMED_BACKENDS.filter((b) => avail.available.includes(b)) };
  const asked = typeof request === 'string' ? [request] : request;
  const missing = asked.filter((b) => !avail.available.includes(b));
  if (missing.length > 0) {
    return {
      ok: false,
      error: missing.map((b) => `--backend ${typeof request === 'string' ? request : request.join(',')}: ${b} is not available on this kernel (${avail.why(b)}); use --backend all to run every backend this kernel has`).join('\n'),
    };
  }
  return { ok: true, backends: asked };
}

/** This machine's backends, from the addon; the reason for a missing one is asked of a real server start. */
export function backendsHere(): BackendAvailability {
  const available = loadAddon().availableBackends();
  return {
    available,
    why(backend: NamedBackend): string {
      const server = new LanServer({ host: '127.0.0.1', port: 0, workers: 1, maxSessions: 1, backend });
      try {
        server.start();
        return 'the probe failed, yet a server started on it';
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      } finally {
        server.stop();
      }
    },
  };
}
