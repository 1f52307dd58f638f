// The quickstart's stack config, read and checked before any resource is declared.
import * as pulumi from "@pulumi/pulumi";

/** The project name, as Pulumi.yaml has it: it namespaces the program's config keys. */
export const QUICKSTART_PROJECT = "immuta-lakebase-quickstart";

/**
 * Defaults for the optional settings. The users are seeded in the local emulator (`npm run emulator`),
 * so the demo only has to supply the emulator's URLs and credentials.
 */
export const QUICKSTART_DEFAULTS = {
  connectionName: "lakebase_quickstart",
  iamId: "bim",
  usernameUser: "bob@example.com",
  postgresUsername: "bob",
  unsetUser: "alice@example.com",
  noneUser: "carol@example.com",
} as const;

export interface QuickstartSettings {
  readonly connection: {
    readonly displayName: string;
    readonly hostname: string;
    readonly port: number | undefined;
    readonly database: string | undefined;
    readonly workspaceUrl: string;
    readonly clientId: string;
    readonly clientSecret: pulumi.Output<string>;
  };
  readonly iamId: string;
  /** Mapped to `postgresUsername`. */
  readonly usernameUser: string;
  readonly postgresUsername: string;
  /** Falls back to the Immuta username. */
  readonly unsetUser: string;
  /** Does not exist in PostgreSQL. */
  readonly noneUser: string;
}

export const MISSING_IMMUTA_URL =
  "The quickstart needs an Immuta tenant, but immuta:url is not set for this stack (nor IMMUTA_URL in the environment). " +
  "Set it with `pulumi config set immuta:url https://<tenant>.immuta.com`, and the API key with " +
  "`pulumi config set --secret immuta:apiKey <key>`. To try the quickstart without a tenant, run `npm run demo`, " +
  "which starts a local Immuta emulator and runs this program against it.";

export function readQuickstartSettings(): QuickstartSettings {
  // The provider reads immuta:url (then IMMUTA_URL) itself when it runs; checking here fails before
  // anything is planned, with a message that says what to set.
  const immuta = new pulumi.Config("immuta");
  if (!immuta.get("url") && !process.env.IMMUTA_URL) {
    throw new pulumi.RunError(MISSING_IMMUTA_URL);
  }
  const config = new pulumi.Config();
  return {
    connection: {
      displayName: config.get("connectionName") ?? QUICKSTART_DEFAULTS.connectionName,
      hostname: config.require("lakebaseHostname"),
      port: config.getNumber("lakebasePort"),
      database: config.get("lakebaseDatabase"),
      workspaceUrl: config.require("workspaceUrl"),
      clientId: config.require("clientId"),
      clientSecret: config.requireSecret("clientSecret"),
    },
    iamId: config.get("iamId") ?? QUICKSTART_DEFAULTS.iamId,
    usernameUser: config.get("usernameUser") ?? QUICKSTART_DEFAULTS.usernameUser,
    postgresUsername: config.get("postgresUsername") ?? QUICKSTART_DEFAULTS.postgresUsername,
    unsetUser: config.get("unsetUser") ?? QUICKSTART_DEFAULTS.unsetUser,
    noneUser: config.get("noneUser") ?? QUICKSTART_DEFAULTS.noneUser,
  };
}
