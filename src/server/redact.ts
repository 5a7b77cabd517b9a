// Keeps every secret the engine process has seen (keys fetched from the editor or given for a probe)
// and blanks them out of text bound for logs, so a provider error that echoes a key cannot leak it.
export class SecretRedactor {
  private readonly secrets = new Set<string>();

  add(secret: string): void {
    // Short values would blank ordinary words; real keys are long.
    if (secret.length >= 8) this.secrets.add(secret);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
    return out;
  }
}
