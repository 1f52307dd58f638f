import { resolveSettings, type ConfigSource, type ProviderSettings } from "../config";
import { immutaClientFor, type ImmutaClient } from "../immuta/client";
import { DeploymentClaims, type Claim, type Managed } from "./deploymentClaims";
import type { CheckFailure } from "./inputs";
import { progress, warningLine } from "../lines";
import { resourceNameOf } from "./resourceName";

/**
 * What every resource's provider shares: the stack config handed to configure(), turned into
 * settings (and the shared client) at call time, so that env fallbacks are read when needed; where
 * progress lines go; and the claims of the deployment's resources, which the providers of every
 * kind must share to see a clash between them.
 */
export abstract class ImmutaResourceProvider {
  private config: ConfigSource | undefined;
  /** One host process serves one deployment, so a warning said once here is said once per deployment. */
  private readonly warned = new Set<string>();

  constructor(
    protected readonly log: (message: string) => void = progress,
    private readonly claims = new DeploymentClaims(),
    private readonly warning: (message: string) => void = warningLine,
  ) {}

  /** Says `message` unless a warning on `topic` was said already. */
  protected readonly warn = (topic: string, message: string): void => {
    if (this.warned.has(topic)) return;
    this.warned.add(topic);
    this.warning(message);
  };

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

  /**
   * Records what a checked resource manages, now (from its new inputs) and what it gives up (from
   * its old ones), and returns a failure for each clash with another resource of the deployment,
   * on the property `propertyOf` names for the thing (or for the claim on a whole group). Inputs without the resource's name claim
   * nothing: they cannot be told apart from the resource's own earlier check.
   */
  protected recordClaim(news: Record<string, unknown>, claimOf: (name: string) => Claim, propertyOf: (managed: Managed | undefined) => string): CheckFailure[] {
    const name = resourceNameOf(news);
    if (name === undefined) return [];
    return this.claims.record(claimOf(name)).map(({ managed, reason }) => ({ property: propertyOf(managed), reason }));
  }
}
