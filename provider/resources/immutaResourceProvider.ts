import { resolveSettings, type ConfigSource, type ProviderSettings } from "../config";
import { immutaClientFor, type ImmutaClient } from "../immuta/client";

/**
 * What both resources' providers share: the stack config handed to configure(), turned into
 * settings (and the shared client) at call time, so that env fallbacks are read when needed; and
 * where progress lines go.
 */
export abstract class ImmutaResourceProvider {
  private config: ConfigSource | undefined;

  constructor(protected readonly log: (message: string) => void = progress) {}

  /** Synchronous on purpose: the host caches the provider before configure() settles. */
  configure(req: { config: ConfigSource }): Promise<void> {
    this.config = req.config;
    return Promise.resolve();
  }

  protected settings(): ProviderSettings {
    return resolveSettings(this.config);
  }

  protected client(settings = this.settings()): ImmutaClient {
    return immutaClientFor(settings);
  }
}

/** Progress lines reach the user: the host passes its stdout through to the Pulumi CLI. */
export function progress(message: string): void {
  console.log(`[pulumi-immuta-lakebase] ${message}`);
}
