import * as pulumi from "@pulumi/pulumi";
import { RESOURCE_NAME_INPUT } from "../provider/resources/resourceName";
import { lakebaseConnectionProvider } from "./shim";
import { LAKEBASE_CONNECTION, RESOURCE_MODULE } from "./typeTokens";

export interface LakebaseConnectionArgs {
  /** Display name, which becomes the Immuta connectionKey (the id). Letters, digits, `-` and `_`. Changing it replaces the connection. */
  readonly displayName: pulumi.Input<string>;
  /** The Lakebase database host, without scheme or port. */
  readonly hostname: pulumi.Input<string>;
  /** Default 5432. */
  readonly port?: pulumi.Input<number>;
  /** Default `databricks_postgres`. */
  readonly database?: pulumi.Input<string>;
  /** The Databricks workspace URL, e.g. `https://dbc-1234abcd-5678.cloud.databricks.com`. */
  readonly workspaceUrl: pulumi.Input<string>;
  /** The service principal's application (client) id, a UUID; any case, stored and sent in lower case. */
  readonly clientId: pulumi.Input<string>;
  /** An OAuth secret of the service principal; always stored as a Pulumi secret. */
  readonly clientSecret: pulumi.Input<string>;
  /** Check OAuth and the principal's PostgreSQL privileges before registering or updating. Default true. */
  readonly preflight?: pulumi.Input<boolean>;
  /** Manage an existing connection with this key if it matches, instead of failing. Default false. */
  readonly adopt?: pulumi.Input<boolean>;
}

/**
 * A Databricks Lakebase database registered in Immuta as a connection (OAuth M2M with a service
 * principal). A second resource of the stack for the same key, in any case, fails at preview.
 */
export class LakebaseConnection extends pulumi.dynamic.Resource {
  declare readonly displayName: pulumi.Output<string>;
  declare readonly hostname: pulumi.Output<string>;
  declare readonly port: pulumi.Output<number>;
  declare readonly database: pulumi.Output<string>;
  declare readonly workspaceUrl: pulumi.Output<string>;
  declare readonly clientId: pulumi.Output<string>;
  declare readonly clientSecret: pulumi.Output<string>;
  declare readonly preflight: pulumi.Output<boolean>;
  declare readonly adopt: pulumi.Output<boolean>;
  /** The Immuta connectionKey (equal to displayName). */
  declare readonly connectionKey: pulumi.Output<string>;
  declare readonly technology: pulumi.Output<string | null>;
  /** active or inactive, as Immuta reports the connection (null when Immuta does not say). */
  declare readonly state: pulumi.Output<string | null>;
  declare readonly createdAt: pulumi.Output<string | null>;
  declare readonly updatedAt: pulumi.Output<string | null>;
  /** Objects (databases, schemas, tables) found by the last crawl the provider waited for. */
  declare readonly objectCount: pulumi.Output<number | null>;
  declare readonly crawlState: pulumi.Output<string | null>;
  /**
   * False only after a create whose registration Immuta may or may not have carried out (its answers
   * were lost); the next `pulumi up` finds out and finishes it, and `pulumi refresh` drops it if it never happened.
   */
  declare readonly registrationConfirmed: pulumi.Output<boolean>;

  constructor(name: string, args: LakebaseConnectionArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      lakebaseConnectionProvider,
      name,
      {
        [RESOURCE_NAME_INPUT]: name,
        displayName: args.displayName,
        hostname: args.hostname,
        port: args.port,
        database: args.database,
        workspaceUrl: args.workspaceUrl,
        clientId: args.clientId,
        clientSecret: pulumi.secret(args.clientSecret),
        preflight: args.preflight,
        adopt: args.adopt,
        connectionKey: undefined,
        technology: undefined,
        state: undefined,
        createdAt: undefined,
        updatedAt: undefined,
        objectCount: undefined,
        crawlState: undefined,
        registrationConfirmed: undefined,
      },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "clientSecret"] },
      RESOURCE_MODULE,
      LAKEBASE_CONNECTION,
    );
  }
}
