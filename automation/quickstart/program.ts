// The quickstart program: register a Databricks Lakebase database in Immuta and map three users to
// PostgreSQL, one per mapping mode. One function, run by examples/quickstart/index.ts (`pulumi up`
// at the repository root, through Pulumi.yaml) and as an inline Automation API program by the demo
// and the end-to-end tests. In your own program, import from "pulumi-immuta-lakebase" instead of
// the relative path below, which lets this repository compile before its package is built.
import type * as pulumi from "@pulumi/pulumi";
import { ExternalUserMapping, LakebaseConnection, type MappingMode } from "../../sdk";
import { readQuickstartSettings } from "./settings";

/** The stack outputs. */
export interface QuickstartOutputs {
  readonly connectionKey: pulumi.Output<string>;
  readonly state: pulumi.Output<string | null>;
  readonly objectCount: pulumi.Output<number | null>;
  /** The PostgreSQL username Immuta uses for each user: the mapped one, the Immuta userid, or null. */
  readonly effectiveUsernames: {
    readonly username: pulumi.Output<string | null>;
    readonly unset: pulumi.Output<string | null>;
    readonly none: pulumi.Output<string | null>;
  };
}

export function quickstartProgram(): QuickstartOutputs {
  const settings = readQuickstartSettings();

  const connection = new LakebaseConnection("lakebase", settings.connection);

  function mapping(mode: MappingMode, userId: string, postgresUsername?: string): ExternalUserMapping {
    return new ExternalUserMapping(
      `${mode}-mapping`,
      { userId, iamId: settings.iamId, mode, postgresUsername },
      // Each crawl of a connection sets the users Immuta cannot find in PostgreSQL to `none`; setting
      // the mappings after the connection's first crawl keeps that crawl from overwriting them.
      { dependsOn: [connection] },
    );
  }

  const byUsername = mapping("username", settings.usernameUser, settings.postgresUsername);
  const unset = mapping("unset", settings.unsetUser);
  const none = mapping("none", settings.noneUser);

  return {
    connectionKey: connection.connectionKey,
    state: connection.state,
    objectCount: connection.objectCount,
    effectiveUsernames: { username: byUsername.effectiveUsername, unset: unset.effectiveUsername, none: none.effectiveUsername },
  };
}
