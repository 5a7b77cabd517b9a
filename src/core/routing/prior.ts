// A model's quality before any evidence: the user's own figure (`quality` on the model entry), else a
// guess from what the catalog entry says — its price and the parameter count in its name. The guess is
// weak on purpose (worth a few outcomes), so evidence soon outweighs it.

export interface QualityPrior {
  /** Expected success rate, 0–1. */
  mean: number;
  /** How many outcomes the prior is worth. */
  strength: number;
  /** Where it comes from, in words. */
  source: string;
}

/** A model's quality for one role: the Beta posterior (α, β) over its success rate, with `n` outcomes seen. */
export interface QualityEstimate {
  mean: number;
  /** Outcomes seen (weighted), not counting the prior. */
  n: number;
  alpha: number;
  beta: number;
  prior: QualityPrior;
}

/** Where estimates come from: the quality store (quality.ts), or the priors alone. */
export interface QualitySource {
  estimate(modelId: string, role: string, prior: QualityPrior): QualityEstimate;
  /** A draw from the estimate's posterior (Thompson sampling). */
  sample(e: QualityEstimate, random?: () => number): number;
}

/** Parameter count in billions from a model name ("qwen2.5-coder:32b" → 32), a weak quality hint for open models. */
export function paramsHint(name: string): number | undefined {
  const m = /(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)\s*b(?![a-z])/i.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** What a user-given prior is worth, in outcomes; a guessed one is worth less. */
export const USER_PRIOR_STRENGTH = 10;
export const GUESSED_PRIOR_STRENGTH = 4;

export function priorQuality(m: {
  id: string;
  model: string;
  inputPricePerMillion: number;
  outputPricePerMillion: number;
  quality?: number;
}): QualityPrior {
  if (m.quality !== undefined) return { mean: m.quality, strength: USER_PRIOR_STRENGTH, source: 'your prior' };
  const price = (3 * m.inputPricePerMillion + m.outputPricePerMillion) / 4;
  const params = paramsHint(m.model) ?? paramsHint(m.id);
  // Pricier models and larger open ones are usually stronger: a monotone guess between 0.3 and 0.85.
  const fromPrice = 0.15 * Math.log10(1 + 10 * price);
  const fromSize = params ? 0.05 * Math.log2(1 + params / 7) : 0;
  const mean = Math.min(0.85, Math.max(0.3, 0.35 + fromPrice + fromSize));
  const basis = [price > 0 ? 'price' : '', params ? 'size' : ''].filter(Boolean).join(' and ');
  return { mean, strength: GUESSED_PRIOR_STRENGTH, source: basis ? `guessed from ${basis}` : 'no evidence yet' };
}

/** The Beta posterior of a prior plus weighted successes and failures. */
export function posterior(prior: QualityPrior, successes: number, failures: number): QualityEstimate {
  const alpha = prior.mean * prior.strength + successes;
  const beta = (1 - prior.mean) * prior.strength + failures;
  return { mean: alpha / (alpha + beta), n: successes + failures, alpha, beta, prior };
}
