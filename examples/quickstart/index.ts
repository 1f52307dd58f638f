// The quickstart: register a Databricks Lakebase database in Immuta and map three users to
// PostgreSQL, one per mapping mode. `pulumi up` at the repository root runs it (see Pulumi.yaml).
// In your own program, import from "pulumi-immuta-lakebase" instead of the relative path below,
// which lets this repository compile before its package is built.
import { ExternalUserMapping, LakebaseConnection, type MappingMode } from "../../sdk";
import { readQuickstartSettings } from "./settings";

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

export const connectionKey = connection.connectionKey;
export const state = connection.state;
export const objectCount = connection.objectCount;
/** The PostgreSQL username Immuta uses for each user: the mapped one, the Immuta userid, or null. */
export const effectiveUsernames = {
  username: byUsername.effectiveUsername,
  unset: unset.effectiveUsername,
  none: none.effectiveUsername,
};
