import { resolveSettings, type ConfigSource, type ProviderSettings } from "../config";
import { immutaClientFor, type ImmutaClient } from "../immuta/client";

/**
 * The provider-wide part of both resources: the stack config handed to configure(), turned into
 * settings (and a shared client) at call time, so that env fallbacks are read when needed.
 */
export class ProviderRuntime {
  private config: ConfigSource | undefined;

  /** Synchronous on purpose: the host caches the provider before configure() settles. */
  configure(req: { config: ConfigSource }): Promise<void> {
    this.config = req.config;
    return Promise.resolve();
  }

  settings(): ProviderSettings {
    return resolveSettings(this.config);
  }

  client(settings = this.settings()): ImmutaClient {
    return immutaClientFor(settings);
  }
}

/** Progress lines reach the user: the host passes its stdout through to the Pulumi CLI. */
export function progress(message: string): void {
  console.log(`[pulumi-immuta-lakebase] ${message}`);
}
