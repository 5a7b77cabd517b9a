// Probes an OpenAI-compatible endpoint before it is added to the pool: its /models list and, when a
// model is named, one tiny chat call. Reached through the `openai` SDK like every model call.
import OpenAI from 'openai';
import type { ProbeEndpointResult } from '../protocol/engine-rpc';

export async function probeEndpoint(
  params: { baseUrl: string; apiKey?: string; model?: string; timeoutMs: number },
  signal: AbortSignal,
): Promise<ProbeEndpointResult> {
  const client = new OpenAI({
    baseURL: params.baseUrl,
    // Keyless local servers accept any value; the SDK insists on one.
    apiKey: params.apiKey || 'not-needed',
    maxRetries: 0,
    timeout: params.timeoutMs,
  });
  const result: ProbeEndpointResult = { ok: false, models: [] };
  try {
    const page = await client.models.list({ signal });
    for await (const m of page) {
      result.models.push(m.id);
      if (result.models.length >= 500) break;
    }
  } catch (err) {
    result.error = `listing models at ${params.baseUrl} failed: ${describe(err)}`;
  }
  if (params.model) {
    const started = Date.now();
    try {
      await client.chat.completions.create(
        { model: params.model, messages: [{ role: 'user', content: 'Reply with the single word OK.' }], max_tokens: 8, stream: false },
        { signal },
      );
      result.chat = { ok: true, latencyMs: Date.now() - started };
    } catch (err) {
      result.chat = { ok: false, latencyMs: Date.now() - started, error: describe(err) };
    }
    result.ok = result.chat.ok;
  } else {
    result.ok = !result.error;
  }
  return result;
}

function describe(err: unknown): string {
  if (err instanceof OpenAI.APIError) {
    const status = err.status ? `HTTP ${err.status}` : 'no response';
    if (err.status === 401 || err.status === 403) return `${status}: the endpoint refused the API key`;
    return `${status}: ${err.message}`;
  }
  if (err instanceof Error) return err.name === 'AbortError' ? 'cancelled or timed out' : err.message;
  return String(err);
}
