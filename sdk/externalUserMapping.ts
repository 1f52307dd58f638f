import * as pulumi from "@pulumi/pulumi";
import { RESOURCE_NAME_INPUT } from "../provider/resources/resourceName";
import { externalUserMappingProvider } from "./shim";
import { EXTERNAL_USER_MAPPING, RESOURCE_MODULE } from "./typeTokens";

/**
 * `username`: a PostgreSQL username; `unset`: fall back to the Immuta username; `none`: the user does
 * not exist in PostgreSQL. Spelled out here, not imported from the provider, so that the types a
 * program sees depend on @pulumi/pulumi alone (tests/unit/packageTypes.test.ts keeps the two equal).
 */
export type MappingMode = "username" | "unset" | "none";

export interface ExternalUserMappingArgs {
  /** The Immuta userid (the username or email the user's IAM knows). Changing it replaces the mapping. */
  readonly userId: pulumi.Input<string>;
  /** The IAM holding the user. Default `bim` (Immuta's built-in IAM). Changing it replaces the mapping. */
  readonly iamId?: pulumi.Input<string>;
  /**
   * `username`: the user is `postgresUsername` in PostgreSQL; `unset`: Immuta falls back to the
   * Immuta username; `none`: the user does not exist in PostgreSQL. Default `username` when
   * `postgresUsername` is set.
   */
  readonly mode?: pulumi.Input<MappingMode>;
  /** The PostgreSQL username, for mode `username` only. Compared case-insensitively, as Immuta does. */
  readonly postgresUsername?: pulumi.Input<string>;
}

/**
 * The PostgreSQL row of an Immuta user's External User Mapping. Deleting it returns the user to
 * `unset`. A second resource of the stack for the same user fails at preview.
 */
export class ExternalUserMapping extends pulumi.dynamic.Resource {
  declare readonly userId: pulumi.Output<string>;
  declare readonly iamId: pulumi.Output<string>;
  declare readonly mode: pulumi.Output<MappingMode>;
  /** The mapped PostgreSQL username, or null for `unset` and `none`. */
  declare readonly postgresUsername: pulumi.Output<string | null>;
  /** The PostgreSQL username Immuta uses: the mapped one, the Immuta userid for `unset`, null for `none`. */
  declare readonly effectiveUsername: pulumi.Output<string | null>;

  constructor(name: string, args: ExternalUserMappingArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      externalUserMappingProvider,
      name,
      { [RESOURCE_NAME_INPUT]: name, userId: args.userId, iamId: args.iamId, mode: args.mode, postgresUsername: args.postgresUsername, effectiveUsername: undefined },
      opts,
      RESOURCE_MODULE,
      EXTERNAL_USER_MAPPING,
    );
  }
}
