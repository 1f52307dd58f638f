/**
 * The shapes of each resource's checked inputs and of its outputs, as `pulumi-immuta-lakebase/provider`
 * publishes them. Written out rather than inferred from the zod schemas that check them, so that a
 * program type-checking against the package needs no zod (whose declarations a stock Pulumi
 * tsconfig, without esModuleInterop, rejects); tests/unit/packageTypes.test.ts keeps the two equal.
 */

import type * as pulumi from "@pulumi/pulumi";

/**
 * A resource's arguments as the engine hands them to its provider: as the program wrote them at
 * check(), check()'s result afterwards (which may hold unknowns during a preview), and beside them
 * the keys the SDK and the host add (`__resourceName`, `__provider`). The provider validates them
 * again wherever it uses them.
 */
export type Unchecked<T> = { readonly [K in keyof T]?: unknown } & { readonly [key: string]: unknown };

/** What read() finds: the resource's outputs and inputs as Immuta holds them, or an empty id when it is gone. */
export type Refreshed<Inputs, Outputs> = { readonly id: string; readonly props: Outputs; readonly inputs: Inputs } | { readonly id: ""; readonly props: Record<string, never> };

/**
 * The dynamic ResourceProvider of one resource kind, every method present. Pulumi's interface types
 * read()'s inputs as Outputs (pulumi/pulumi#21315); they are the resource's inputs, so read() is
 * typed here.
 */
export interface ResourceProviderOf<Inputs, Outputs> extends Required<Omit<pulumi.dynamic.ResourceProvider<Unchecked<Inputs>, Outputs>, "read">> {
  read(id: string, props?: Partial<Outputs>): Promise<Refreshed<Inputs, Outputs>>;
}

export const MAPPING_MODES = ["username", "unset", "none"] as const;
export type MappingMode = (typeof MAPPING_MODES)[number];

export interface LakebaseConnectionInputs {
  readonly displayName: string;
  readonly hostname: string;
  readonly port: number;
  readonly database: string;
  readonly workspaceUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly preflight: boolean;
  readonly adopt: boolean;
}

export interface LakebaseConnectionOutputs extends LakebaseConnectionInputs {
  readonly connectionKey: string;
  readonly technology: string | null;
  /** active / inactive, as Immuta reports the connection's top-level object. */
  readonly state: string | null;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  /** Objects (databases, schemas, tables) found by the last crawl the provider waited for. */
  readonly objectCount: number | null;
  readonly crawlState: string | null;
  /**
   * False after a create whose registration's answer was lost, so that it is not known whether
   * Immuta holds the connection; the next update finds out, and a refresh drops it if it is not there.
   */
  readonly registrationConfirmed: boolean;
}

/** Checked inputs: `postgresUsername` is present exactly when mode is `username`. */
export interface ExternalUserMappingInputs {
  readonly userId: string;
  readonly iamId: string;
  readonly mode: MappingMode;
  readonly postgresUsername?: string;
}

export interface ExternalUserMappingOutputs {
  readonly userId: string;
  readonly iamId: string;
  readonly mode: MappingMode;
  readonly postgresUsername: string | null;
  /** The PostgreSQL username Immuta uses: the mapped one, the Immuta userid for unset, null for none. */
  readonly effectiveUsername: string | null;
}

/** One user's row as inputs and outputs hold it: a PostgreSQL username, or `{ mode: "none" }` / `{ mode: "unset" }`. */
export type UserMappingEntry = string | { readonly mode: "none" | "unset" };

export interface ExternalUserMappingsInputs {
  readonly iamId: string;
  readonly users: Readonly<Record<string, UserMappingEntry>>;
  readonly exclusive: boolean;
}

export interface ExternalUserMappingsOutputs extends ExternalUserMappingsInputs {
  /** For each user: the mapped username, the Immuta userid for unset, null for none. */
  readonly effectiveUsernames: Readonly<Record<string, string | null>>;
  /**
   * Users of the IAM outside `users` whose PostgreSQL row holds a username, as the last sweep (create,
   * update or refresh) counted them: those `exclusive: true` returns to unset.
   */
  readonly otherMappedUsers: number;
}
