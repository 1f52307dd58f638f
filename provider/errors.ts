/**
 * Every error the provider raises. Each one says what failed, why, and what to do, and is built
 * only from values that are safe to show: never a header, token, API key, client secret or
 * request body (axios errors carry all of those, so they are never passed through).
 */
import type { RetryableFailure } from "./retry";

/** What a scrubbed secret reads as: Pulumi's own word for it. */
export const SECRET_TEXT = "[secret]";

/**
 * Replaces each known secret in text that came from elsewhere (an API's message, a CLI's output),
 * longest first so that a secret containing another is not half-replaced. Values shorter than 4
 * characters are left alone: scrubbing them would garble ordinary words.
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  return secrets
    .filter((secret): secret is string => secret !== undefined && secret.length >= 4)
    .sort((a, b) => b.length - a.length)
    .reduce((result, secret) => result.split(secret).join(SECRET_TEXT), text);
}

export abstract class LakebaseProviderError extends Error {
  abstract readonly code: string;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The provider's own settings (stack config or environment) are missing or invalid. */
export class ConfigurationError extends LakebaseProviderError {
  readonly code = "CONFIGURATION";
}

/** A resource argument is invalid; raised where check() could not catch it (e.g. a value unknown at preview). */
export class InvalidArgumentError extends LakebaseProviderError {
  readonly code = "INVALID_ARGUMENT";
}

/**
 * Immuta answered with an error status (after any retries the status allowed). `mayHaveTakenEffect`
 * is true when an earlier attempt failed in a way that does not prove it had no effect.
 */
export class ImmutaApiError extends LakebaseProviderError {
  readonly code = "IMMUTA_API";

  constructor(
    readonly operation: string,
    readonly status: number,
    readonly immutaMessage: string,
    readonly attempts: number,
    /** What to do about it; also the message's last sentence. */
    readonly hint: string,
    readonly mayHaveTakenEffect = false,
    /** How long Immuta asked to wait before trying again (Retry-After), if it said. */
    readonly retryAfterMs?: number,
  ) {
    super(
      `${operation} failed: Immuta answered HTTP ${status}` +
        (immutaMessage ? ` (${immutaMessage})` : "") +
        (attempts > 1 ? ` after ${attempts} attempts` : "") +
        `. ${hint}`,
    );
  }
}

/** Immuta could not be reached at all (refused, reset, timed out), even after retries. */
export class ImmutaUnreachableError extends LakebaseProviderError {
  readonly code = "IMMUTA_UNREACHABLE";

  constructor(
    readonly operation: string,
    readonly reason: string,
    readonly attempts: number,
    baseUrl: string,
    /** The request may have reached Immuta and been carried out although no answer came back. */
    readonly mayHaveTakenEffect = false,
    /** The network error code (ECONNRESET, ETIMEDOUT, …), when there was one. */
    readonly networkCode?: string,
  ) {
    super(
      `${operation} failed: Immuta at ${baseUrl} could not be reached (${reason}) after ${attempts} attempt(s). ` +
        "Check immuta:url (or IMMUTA_URL), the network path to it, and immuta:requestTimeoutMs.",
    );
  }
}

/**
 * What answered at immuta:url is not Immuta's REST API: a redirect (say, to a single sign-on page),
 * or an answer that is not JSON (say, the UI's HTML page or a proxy's).
 */
export class NotAnImmutaApiError extends LakebaseProviderError {
  readonly code = "NOT_AN_IMMUTA_API";

  constructor(
    readonly operation: string,
    readonly url: string,
    readonly status: number,
    /** The media type without parameters, e.g. text/html; undefined when the answer named none. */
    readonly contentType: string | undefined,
    /** Where a redirect pointed: origin and path only, since a query may carry a sign-on request. */
    readonly redirectTo: string | undefined,
  ) {
    const answered =
      status >= 300 && status < 400 ? `HTTP ${status}, a redirect${redirectTo ? ` to ${redirectTo}` : ""}` : `HTTP ${status} ${contentType ?? "without a content type"}`;
    super(
      `${operation} failed: immuta:url (${url}) does not look like an Immuta API: it answered ${answered}. ` +
        "Point immuta:url (or IMMUTA_URL) at the tenant's API origin, e.g. https://<tenant>.immuta.com, not a login page, proxy or other site.",
    );
  }
}

/** Databricks refused to issue an OAuth token for the service principal, or could not be reached. */
export class DatabricksAuthError extends LakebaseProviderError {
  readonly code = "DATABRICKS_AUTH";
  /** The token endpoint's HTTP status, when it answered. */
  readonly status?: number;
  /** The network error code, when it did not. */
  readonly networkCode?: string;
  readonly retryAfterMs?: number;

  constructor(message: string, failure: RetryableFailure = {}) {
    super(message);
    this.status = failure.status;
    this.networkCode = failure.networkCode;
    this.retryAfterMs = failure.retryAfterMs;
  }
}

export interface PreflightFailure {
  /** Which check failed: "login", "databricks_superuser" or "CREATEROLE". */
  readonly check: string;
  readonly problem: string;
  /** SQL (or the Databricks step) that fixes it. */
  readonly fix: string;
}

/** The service principal cannot do what Immuta needs in the Lakebase database. */
export class PreflightError extends LakebaseProviderError {
  readonly code = "PREFLIGHT";

  constructor(
    readonly failures: readonly PreflightFailure[],
    where: string,
  ) {
    super(
      `Preflight failed for ${where}:\n` +
        failures.map((f) => `- ${f.problem}\n  Fix: ${f.fix}`).join("\n") +
        "\nSet preflight: false to skip this check (Immuta will still refuse a principal that lacks these privileges).",
    );
  }
}

/** A connection with the requested key is already registered and may not be taken over. */
export class ConnectionExistsError extends LakebaseProviderError {
  readonly code = "CONNECTION_EXISTS";
}

/** The connection an update or a refresh expected is not in Immuta any more. */
export class ConnectionGoneError extends LakebaseProviderError {
  readonly code = "CONNECTION_GONE";

  constructor(readonly connectionKey: string) {
    super(`Connection "${connectionKey}" no longer exists in Immuta. Run pulumi refresh to drop it from the state, then pulumi up to register it again.`);
  }
}

/**
 * An update of settings that this Immuta does not take through its API for a Lakebase connection
 * (GET/PUT /data/connection/{key} are documented for three other technologies only). Raised before
 * anything is changed.
 */
export class ConnectionSettingsNotServedError extends LakebaseProviderError {
  readonly code = "CONNECTION_SETTINGS_NOT_SERVED";

  constructor(
    readonly connectionKey: string,
    readonly fields: readonly string[],
  ) {
    const named = fields.length === 1 ? fields[0] : `${fields.slice(0, -1).join(", ")} and ${fields[fields.length - 1]}`;
    super(
      `Cannot change ${named} of connection "${connectionKey}": this Immuta does not take a Lakebase connection's settings through its API ` +
        "(GET and PUT /data/connection/{key} are documented for Snowflake, Databricks Unity Catalog and AWS Lake Formation connections only), so nothing was changed. " +
        `Either change ${fields.length === 1 ? "it" : "them"} in Immuta's UI (Data → Connections → ${connectionKey} → Edit) and let Pulumi record the new ` +
        "values: remove the resource from the state (pulumi state delete <its URN>) and run pulumi up with adopt: true set on it; " +
        "or give the connection a new displayName, which registers a new connection and deregisters this one, removing its data sources from Immuta.",
    );
  }
}

/** The Immuta user (or its IAM) does not exist. */
export class UserNotFoundError extends LakebaseProviderError {
  readonly code = "USER_NOT_FOUND";
}

/** The user's PostgreSQL username is set by its IAM's profile schema, so Immuta will not let anyone edit it. */
export class IamManagedUsernameError extends LakebaseProviderError {
  readonly code = "IAM_MANAGED_USERNAME";
}

/** The first crawl after registration failed or did not finish in time. */
export class CrawlError extends LakebaseProviderError {
  readonly code = "CRAWL";
}

/**
 * An operation that changed Immuta and then failed. The dynamic-provider host turns an error
 * carrying `id` into ErrorResourceInitFailed, for a create and for an update alike, and the engine
 * then records `properties` as the resource's outputs (marking it unhealthy) instead of orphaning
 * it or keeping outputs that no longer hold; the next `up` finishes the work. The engine shows
 * `reasons` in place of the message. `properties` must hold `__provider`, or refresh and destroy
 * cannot load the provider.
 */
export abstract class PartialFailureError extends LakebaseProviderError {
  readonly reasons: string[];
  /** The outputs to record; hidden from util.inspect and JSON because they may hold a secret. */
  declare readonly properties: object;

  constructor(
    readonly id: string,
    properties: object,
    message: string,
    reasons = [message],
  ) {
    super(message);
    this.reasons = reasons;
    Object.defineProperty(this, "properties", { value: properties, enumerable: false });
  }
}

/** A create that succeeded remotely but failed afterwards: the next `up` updates it rather than registering it again. */
export class PartialCreateError extends PartialFailureError {
  readonly code = "PARTIAL_CREATE";

  constructor(id: string, properties: object, cause: Error) {
    super(id, properties, `${id} was created, but a follow-up step failed: ${cause.message}`, [cause.message]);
  }
}

/** Some of many users' mappings were written, others not: the state records which hold, and the next `up` writes the rest. */
export class PartialMappingError extends PartialFailureError {
  readonly code = "PARTIAL_MAPPING";
}
