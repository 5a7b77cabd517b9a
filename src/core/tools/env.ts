// The environment handed to child processes (run_code, MCP stdio servers): the parent's, minus
// anything that could be a secret. Matching is by name and by value, because keys hide under
// innocent names (DATABASE_URL with a password, a token pasted into FOO).

/** Names that hold secrets or grant access (agent sockets, sessions, cookies). */
const SECRET_NAME = /key|token|secret|passw|_pwd$|^pwd_|credential|auth|session|cookie|private/i;
/** Whole families of provider variables that carry credentials or account identity. */
const SECRET_PREFIX =
  /^(AWS_|AZURE_|GOOGLE_|GCP_|GCLOUD_|CLOUDSDK_|OPENAI_|ANTHROPIC_|GITHUB_|GH_|GITLAB_|HF_|HUGGING|TAVILY_|BRAVE_|MISTRAL_|GROQ_|TOGETHER_|DEEPSEEK_|OPENROUTER_|COHERE_|FIREWORKS_|REPLICATE_|NPM_CONFIG__|NETLIFY_|VERCEL_|HEROKU_|STRIPE_|SLACK_|TWILIO_|SENTRY_|DOCKER_AUTH|VSCODE_GIT_ASKPASS|GIT_ASKPASS|SSH_)/i;
/** Values that look like credentials whatever their name. */
const SECRET_VALUE: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{8,}/, // OpenAI, Anthropic (sk-ant-), DeepSeek, OpenRouter (sk-or-)
  /\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{16,}/, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{16,}/,
  /\bglpat-[A-Za-z0-9_-]{16,}/, // GitLab
  /\btvly-[A-Za-z0-9_-]{8,}/, // Tavily
  /\bxox[abprs]-[A-Za-z0-9-]{8,}/, // Slack
  /\b(AKIA|ASIA)[A-Z0-9]{16}\b/, // AWS access key ids
  /\bAIza[0-9A-Za-z_-]{30,}/, // Google API keys
  /\bhf_[A-Za-z0-9]{20,}/, // Hugging Face
  /\bnpm_[A-Za-z0-9]{30,}/,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./, // JWTs
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bBearer\s+[A-Za-z0-9._~+/-]{12,}/i,
  /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, // URLs with user:password@
];

/** True when an environment variable (name or value) looks like it carries a secret. */
export function isSecretEnv(name: string, value: string | undefined): boolean {
  if (SECRET_NAME.test(name) || SECRET_PREFIX.test(name)) return true;
  if (value && SECRET_VALUE.some((re) => re.test(value))) return true;
  return false;
}

/**
 * Secrets the engine knows about beyond the patterns: the variable names configured to hold API keys
 * (`models[].apiKeyEnv`, `tools.webSearch.apiKeyEnv`) and the key values it has fetched. A key kept
 * under an innocent name (VLLM_ACCESS=c0ffee…) matches no pattern, so it is named here.
 */
export interface KnownSecrets {
  names?: Iterable<string>;
  values?: Iterable<string>;
}

/** Values shorter than this are not matched inside other variables (too likely to be a coincidence). */
const MIN_SECRET_VALUE_LENGTH = 6;

/** A copy of `env` without any variable whose name or value looks like a secret, or is a known one. */
export function scrubEnv(env: NodeJS.ProcessEnv, known: KnownSecrets = {}): NodeJS.ProcessEnv {
  const names = new Set([...(known.names ?? [])].map((n) => n.toUpperCase()));
  const values = [...(known.values ?? [])].filter((v) => v.length >= MIN_SECRET_VALUE_LENGTH);
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || isSecretEnv(name, value)) continue;
    if (names.has(name.toUpperCase())) continue;
    if (values.some((v) => value.includes(v))) continue;
    out[name] = value;
  }
  return out;
}
