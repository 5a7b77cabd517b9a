// The addresses behind the pool's models: one model entry may list several replicas of one
// deployment (`baseUrls`). Each address has a concurrency cap, a Retry-After cool-down and a circuit
// breaker (closed → open after repeated failures → half-open once a health check answers → closed
// after one good request); every request goes to the usable address with the fewest in flight.
// State is kept per model entry and address: behind a gateway (LiteLLM, OpenRouter) one model's
// upstream can fail while the others on the same address work.

/** How a failed attempt looks to the router (the pool classifies its own errors). */
export interface AttemptFailure {
  kind: 'timeout' | 'network' | 'http' | 'cancelled' | 'bad_response' | 'over_budget';
  status?: number;
  retryAfterSeconds?: number;
  /** Whether the server sent anything back before the failure (then it may have processed the request). */
  streamed: boolean;
}

export interface RouterOptions {
  /** Consecutive failures (unreachable, HTTP 502/503/504) that open an address's breaker. Default 3. */
  failureThreshold?: number;
  /** How long an open breaker waits before its first health check; doubles per failed check. Default 2 s. */
  openMs?: number;
  /** Longest wait between health checks of an open breaker. Default 60 s. */
  maxOpenMs?: number;
}

export interface RouterDeps {
  describe(err: unknown): AttemptFailure;
  /** The error a request fails with when no address can take it. */
  unavailable(modelId: string, message: string, kind: 'network' | 'http' | 'cancelled', status?: number, retryAfterSeconds?: number): Error;
  /** A health check of one address: true when it answers. */
  probe(modelId: string, url: string): Promise<boolean>;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

export interface RoutedModel {
  id: string;
  baseUrl: string;
  baseUrls?: string[];
  maxConcurrentRequests?: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/** One address as `orchestra models` and the Models view show it. */
export interface ReplicaStatus {
  url: string;
  state: BreakerState;
  inFlight: number;
  /** Requests sent to it since the engine started. */
  sent: number;
  failures: number;
  lastError?: string;
  /** Until when it takes no requests after a 429 (ms since epoch). */
  coolingUntil?: number;
}

class Endpoint {
  inFlight = 0;
  cap = Number.POSITIVE_INFINITY;
  state: BreakerState = 'closed';
  /** Consecutive failures counted by the breaker. */
  failures = 0;
  sent = 0;
  /** Open: when the next health check may run. */
  retryAt = 0;
  openMs: number;
  /** After a 429: no requests before this time. */
  coolUntil = 0;
  /** Half-open: the health check passed and one trial request may go (or is going). */
  probed = false;
  trial = false;
  probing = false;
  lastError?: string;
  constructor(
    readonly url: string,
    openMs: number,
  ) {
    this.openMs = openMs;
  }
}

interface Waiter {
  model: RoutedModel;
  urls: string[];
  exclude: Set<string>;
  resolve(e: Endpoint): void;
  reject(err: Error): void;
}

/** The replicas of a model (its `baseUrls`, else its one `baseUrl`). */
export function replicasOf(m: RoutedModel): string[] {
  return m.baseUrls?.length ? m.baseUrls : [m.baseUrl];
}

/**
 * Failures that say the address itself is unwell, not the request: it cannot be reached, or a proxy in
 * front of it says it is gone (502, 503, 504). They count toward opening its breaker; a plain 500 is
 * the server answering (often about this request) and does not.
 */
function countsAgainst(f: AttemptFailure): boolean {
  return f.kind === 'network' || (f.kind === 'http' && (f.status === 502 || f.status === 503 || f.status === 504));
}

const keyOf = (modelId: string, url: string) => `${modelId}\u0000${url}`;

export class EndpointRouter {
  private readonly endpoints = new Map<string, Endpoint>();
  private waiters: Waiter[] = [];
  private readonly threshold: number;
  private readonly openMs: number;
  private readonly maxOpenMs: number;
  private turn = 0;

  constructor(
    private readonly deps: RouterDeps,
    options: RouterOptions = {},
  ) {
    this.threshold = options.failureThreshold ?? 3;
    this.openMs = options.openMs ?? 2_000;
    this.maxOpenMs = options.maxOpenMs ?? 60_000;
  }

  /** Takes the pool's models: caps are (re)applied; state survives for addresses a model still lists. */
  update(models: readonly RoutedModel[]): void {
    const used = new Set<string>();
    for (const m of models) {
      for (const url of replicasOf(m)) {
        if (!routable(url)) continue;
        used.add(keyOf(m.id, url));
        this.endpoint(m.id, url).cap = m.maxConcurrentRequests ?? Number.POSITIVE_INFINITY;
      }
    }
    for (const key of [...this.endpoints.keys()]) if (!used.has(key)) this.endpoints.delete(key);
    this.pump();
  }

  status(m: RoutedModel): ReplicaStatus[] {
    return replicasOf(m).map((url) => {
      const e = this.endpoints.get(keyOf(m.id, url));
      return {
        url,
        state: e?.state ?? 'closed',
        inFlight: e?.inFlight ?? 0,
        sent: e?.sent ?? 0,
        failures: e?.failures ?? 0,
        ...(e?.lastError ? { lastError: e.lastError } : {}),
        ...(e && e.coolUntil > Date.now() ? { coolingUntil: e.coolUntil } : {}),
      };
    });
  }

  /** True when no address of the model can take a request now (every breaker open). */
  isDown(m: RoutedModel): boolean {
    const urls = replicasOf(m).filter(routable);
    return urls.length > 0 && urls.every((u) => this.endpoints.get(keyOf(m.id, u))?.state === 'open');
  }

  /**
   * Runs `send` on the best address of `model`. A failure the address processed nothing for
   * (unreachable, 429, 5xx before any byte) moves on at once to another address, if one is usable;
   * anything else is the caller's to retry.
   */
  async run<T>(model: RoutedModel, send: (url: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const urls = replicasOf(model);
    if (!urls.every(routable)) return send(model.baseUrl);
    const exclude = new Set<string>();
    for (;;) {
      const ep = await this.acquire(model, urls, exclude, signal);
      try {
        const result = await send(ep.url);
        this.succeeded(ep);
        return result;
      } catch (err) {
        const failure = this.deps.describe(err);
        this.failed(model, ep, failure, err);
        const nothingProcessed = !failure.streamed && (countsAgainst(failure) || (failure.kind === 'http' && failure.status === 429));
        exclude.add(ep.url);
        if (nothingProcessed && urls.some((u) => !exclude.has(u) && this.usable(this.endpoint(model.id, u)))) {
          this.deps.log('info', `model ${model.id}: ${ep.url} failed (${(err as Error).message}); sending to another replica`);
          continue;
        }
        throw err;
      } finally {
        this.release(ep);
      }
    }
  }

  private endpoint(modelId: string, url: string): Endpoint {
    const key = keyOf(modelId, url);
    let e = this.endpoints.get(key);
    if (!e) {
      e = new Endpoint(url, this.openMs);
      this.endpoints.set(key, e);
    }
    return e;
  }

  /** Whether an address may take a request now, cap aside. */
  private usable(e: Endpoint, now = Date.now()): boolean {
    if (e.coolUntil > now) return false;
    if (e.state === 'closed') return true;
    return e.state === 'half-open' && e.probed && !e.trial;
  }

  private acquire(model: RoutedModel, urls: string[], exclude: Set<string>, signal?: AbortSignal): Promise<Endpoint> {
    return new Promise<Endpoint>((resolve, reject) => {
      if (signal?.aborted) return reject(this.deps.unavailable(model.id, `call to ${model.id} cancelled`, 'cancelled'));
      const waiter: Waiter = { model, urls, exclude, resolve, reject };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(this.deps.unavailable(model.id, `call to ${model.id} cancelled`, 'cancelled'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiter.resolve = (e) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(e);
      };
      waiter.reject = (err) => {
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      };
      // Earlier waiters go first: a newcomer only takes a free slot when nobody queues for it.
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /** Serves queued requests in arrival order while free addresses remain; fails those nothing can serve. */
  private pump(): void {
    if (!this.waiters.length) return;
    const now = Date.now();
    const still: Waiter[] = [];
    // Waiters of one model with nothing excluded get the same answer: once one must wait, the rest do
    // (this keeps a long queue cheap to serve).
    const blocked = new Set<string>();
    for (const w of this.waiters) {
      if (!w.exclude.size && blocked.has(w.model.id)) {
        still.push(w);
        continue;
      }
      const decision = this.choose(w, now);
      if (decision === 'wait' && !w.exclude.size) blocked.add(w.model.id);
      if (decision === 'wait') still.push(w);
      else if (decision instanceof Endpoint) {
        decision.inFlight++;
        decision.sent++;
        if (decision.state === 'half-open') decision.trial = true;
        w.resolve(decision);
      } else w.reject(decision);
    }
    this.waiters = still;
  }

  private choose(w: Waiter, now: number): Endpoint | Error | 'wait' {
    const all = w.urls.map((u) => this.endpoint(w.model.id, u));
    // Addresses tried in this request are left alone while others remain.
    const fresh = all.filter((e) => !w.exclude.has(e.url));
    const candidates = fresh.length ? fresh : all;
    for (const e of candidates) if (e.state === 'open' && now >= e.retryAt && !e.probing) this.startProbe(w.model, e);
    const usable = candidates.filter((e) => this.usable(e, now));
    const free = usable.filter((e) => e.inFlight < e.cap);
    if (free.length) {
      // Fewest in flight; among equals, the fewest recent failures, then in turn, so load spreads evenly.
      const start = this.turn++ % free.length;
      const rotated = [...free.slice(start), ...free.slice(0, start)];
      return rotated.reduce((best, e) =>
        e.inFlight < best.inFlight || (e.inFlight === best.inFlight && e.failures < best.failures) ? e : best,
      );
    }
    if (usable.length) return 'wait';
    if (candidates.some((e) => e.probing || (e.state === 'half-open' && e.trial))) return 'wait';
    const cooling = candidates.filter((e) => e.coolUntil > now && e.state !== 'open');
    if (cooling.length) {
      const until = Math.min(...cooling.map((e) => e.coolUntil));
      return this.deps.unavailable(
        w.model.id,
        `${w.model.id}: every replica asked to wait (HTTP 429)`,
        'http',
        429,
        Math.max(0, (until - now) / 1000),
      );
    }
    const next = Math.min(...candidates.map((e) => e.retryAt));
    const last = candidates.find((e) => e.lastError)?.lastError;
    const which = candidates.length > 1 ? `every replica of ${w.model.id} is down` : `${w.model.id} is down`;
    return this.deps.unavailable(
      w.model.id,
      `${which} (circuit open${last ? `; last error: ${last}` : ''}); next health check in ${Math.max(0, Math.ceil((next - now) / 1000))} s`,
      'network',
      undefined,
      Math.max(0, (next - now) / 1000),
    );
  }

  private startProbe(model: RoutedModel, e: Endpoint): void {
    e.probing = true;
    e.state = 'half-open';
    e.probed = false;
    void this.deps
      .probe(model.id, e.url)
      .catch(() => false)
      .then((alive) => {
        e.probing = false;
        if (alive) {
          e.probed = true;
          this.deps.log('info', `model ${model.id}: ${e.url} answers its health check again; trying one request`);
        } else this.open(model, e, e.lastError ?? 'health check failed');
        this.pump();
      });
  }

  private open(model: RoutedModel, e: Endpoint, why: string): void {
    const wasOpen = e.state === 'open' || e.state === 'half-open';
    if (wasOpen) e.openMs = Math.min(this.maxOpenMs, e.openMs * 2);
    e.state = 'open';
    e.probed = false;
    e.trial = false;
    e.retryAt = Date.now() + e.openMs;
    this.deps.log(
      'warn',
      `model ${model.id}: ${e.url} is taken out of rotation (circuit open after ${e.failures} failure${e.failures === 1 ? '' : 's'}: ${why}); health check in ${Math.round(e.openMs / 1000)} s`,
    );
  }

  private succeeded(e: Endpoint): void {
    e.failures = 0;
    e.lastError = undefined;
    if (e.state !== 'closed') {
      e.state = 'closed';
      e.openMs = this.openMs;
      e.probed = false;
    }
  }

  private failed(model: RoutedModel, e: Endpoint, f: AttemptFailure, err: unknown): void {
    if (f.kind === 'cancelled' || f.kind === 'over_budget') return;
    if (f.kind === 'http' && f.status === 429) {
      // Retry-After is honoured per address; without one, a short pause keeps the next request elsewhere.
      e.coolUntil = Math.max(e.coolUntil, Date.now() + Math.max(0, (f.retryAfterSeconds ?? 1) * 1000));
      return;
    }
    // A timeout or an unreadable reply (a long prefill, a hung server, a stream cut mid-chunk) says
    // nothing certain about the address: it neither opens nor clears the breaker.
    if (f.kind === 'timeout' || f.kind === 'bad_response') return;
    if (!countsAgainst(f)) {
      // The server answered (a 4xx, an unreadable reply): it is up, whatever went wrong with the request.
      this.succeeded(e);
      return;
    }
    e.failures++;
    e.lastError = (err as Error)?.message ?? String(err);
    if (e.state === 'half-open' || e.failures >= this.threshold) this.open(model, e, e.lastError);
  }

  private release(e: Endpoint): void {
    e.inFlight--;
    // A trial that ended without a verdict (cancelled) lets the next request try.
    if (e.state === 'half-open') e.trial = false;
    this.pump();
  }
}

/** Addresses the router manages: http(s) endpoints (a host-served model has none). */
function routable(url: string): boolean {
  return /^https?:\/\//i.test(url);
}
