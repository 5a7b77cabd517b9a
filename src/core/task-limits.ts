// Rules for one question on top of the configuration: a stricter privacy mode (the Chat view's
// `/local`, an MCP client's request) and a dollar cap of its own (`/budget`). A question can make
// privacy stricter, never looser; its cap replaces the configured one, so callers that must not raise
// it (other agents over MCP) clamp it first.
import { PRIVACY_MODES, type OrchestraConfig, type PrivacyMode } from './config';

export interface TaskLimits {
  privacyMode?: PrivacyMode;
  maxDollars?: number;
}

/** The stricter of two privacy modes. */
export function stricterPrivacy(a: PrivacyMode, b: PrivacyMode): PrivacyMode {
  return PRIVACY_MODES.indexOf(a) >= PRIVACY_MODES.indexOf(b) ? a : b;
}

/** The configuration one task runs under. */
export function withTaskLimits(config: OrchestraConfig, limits: TaskLimits): OrchestraConfig {
  let out = config;
  if (limits.privacyMode && stricterPrivacy(config.privacyMode, limits.privacyMode) !== config.privacyMode)
    out = { ...out, privacyMode: limits.privacyMode };
  if (limits.maxDollars !== undefined && Number.isFinite(limits.maxDollars) && limits.maxDollars >= 0)
    out = { ...out, budget: { ...out.budget, maxDollarsPerTask: limits.maxDollars } };
  return out;
}
