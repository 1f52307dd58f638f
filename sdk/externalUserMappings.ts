import * as pulumi from "@pulumi/pulumi";
import { RESOURCE_NAME_INPUT } from "../provider/resources/resourceName";
import { externalUserMappingsProvider } from "./shim";
import { EXTERNAL_USER_MAPPINGS, RESOURCE_MODULE } from "./typeTokens";

/**
 * One user's PostgreSQL row: a PostgreSQL username (compared case-insensitively, as Immuta does);
 * `{ mode: "none" }`, the user does not exist in PostgreSQL; `{ mode: "unset" }`, Immuta falls back
 * to the Immuta username. `{ mode: "username", postgresUsername }` is the long form of a username.
 */
export type UserMappingEntry = string | { readonly mode: "none" | "unset" } | { readonly mode?: "username"; readonly postgresUsername: string };

/** A row as the outputs hold it: the username, or the mode. */
export type HeldUserMapping = string | { readonly mode: "none" | "unset" };

export interface ExternalUserMappingsArgs {
  /** The IAM holding the users. Default `bim` (Immuta's built-in IAM). Changing it replaces the resource. */
  readonly iamId?: pulumi.Input<string>;
  /** Each Immuta userid (exactly as its IAM knows it) and its row. A user removed from the map returns to unset. */
  readonly users: pulumi.Input<Record<string, pulumi.Input<UserMappingEntry>>>;
  /**
   * Also return to unset every other user of the IAM whose row holds a PostgreSQL username (users
   * Immuta set to none are left alone). Default false: users outside the map are not touched.
   */
  readonly exclusive?: pulumi.Input<boolean>;
}

/**
 * The PostgreSQL rows of many users of one IAM: one sweep of Immuta's user list per operation, and
 * a write only for each user whose row differs. Deleting it returns every user in it to unset. A
 * user that another resource of the stack also declares fails at preview.
 */
export class ExternalUserMappings extends pulumi.dynamic.Resource {
  declare readonly iamId: pulumi.Output<string>;
  /** What Immuta holds for each declared user, keyed by userid (the declared spelling when it differs only in case). */
  declare readonly users: pulumi.Output<Record<string, HeldUserMapping>>;
  declare readonly exclusive: pulumi.Output<boolean>;
  /** For each user, the PostgreSQL username Immuta uses: the mapped one, the Immuta userid for unset, null for none. */
  declare readonly effectiveUsernames: pulumi.Output<Record<string, string | null>>;
  /**
   * How many users of the IAM outside `users` have a PostgreSQL username, as the last `up` or
   * `refresh` counted them: the users `exclusive: true` returns to unset.
   */
  declare readonly otherMappedUsers: pulumi.Output<number>;

  constructor(name: string, args: ExternalUserMappingsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      externalUserMappingsProvider,
      name,
      { [RESOURCE_NAME_INPUT]: name, iamId: args.iamId, users: args.users, exclusive: args.exclusive, effectiveUsernames: undefined, otherMappedUsers: undefined },
      opts,
      RESOURCE_MODULE,
      EXTERNAL_USER_MAPPINGS,
    );
  }
}
