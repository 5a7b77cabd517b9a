// API keys live only in VS Code's SecretStorage: `orchestra.apiKey.<modelId>` per model and
// `orchestra.apiKey.webSearch` for the search provider. They go to the engine process on its request
// and nowhere else (not to settings, the webview, or the log).
import type * as vscode from 'vscode';
import type { SecretParams } from '../protocol/engine-rpc';

export const WEB_SEARCH_SECRET = 'orchestra.apiKey.webSearch';

export function modelSecretKey(modelId: string): string {
  return `orchestra.apiKey.${modelId}`;
}

export class ApiKeys {
  constructor(private readonly storage: vscode.SecretStorage) {}

  async get(params: SecretParams): Promise<string | undefined> {
    if (params.purpose === 'web_search') return (await this.storage.get(WEB_SEARCH_SECRET)) || undefined;
    if (!params.modelId) return undefined;
    return (await this.storage.get(modelSecretKey(params.modelId))) || undefined;
  }

  async setModelKey(modelId: string, key: string): Promise<void> {
    await this.storage.store(modelSecretKey(modelId), key);
  }

  async setWebSearchKey(key: string): Promise<void> {
    await this.storage.store(WEB_SEARCH_SECRET, key);
  }

  async deleteWebSearchKey(): Promise<void> {
    await this.storage.delete(WEB_SEARCH_SECRET);
  }

  async hasModelKey(modelId: string): Promise<boolean> {
    return Boolean(await this.storage.get(modelSecretKey(modelId)));
  }

  async deleteModelKey(modelId: string): Promise<void> {
    await this.storage.delete(modelSecretKey(modelId));
  }
}
