// A program that maps users of Immuta's built-in IAM found by email, as a program built from a CSV
// would: the fixture recorder and the end-to-end tests run it through the real Pulumi CLI.
import * as pulumi from "@pulumi/pulumi";
import { ExternalUserMappings, findImmutaUsers, type UserMappingEntry } from "../../sdk";

/**
 * The rows by email, before and after `pulumi config set mappings changed`: one changed, one added,
 * one removed. `pulumi config set exclusive true` makes the resource exclusive.
 */
export const ANALYSTS_BY_EMAIL: Readonly<Record<"initial" | "changed", Readonly<Record<string, UserMappingEntry>>>> = {
  initial: { "alice@example.com": "alice_pg", "bob@example.com": "bob", "carol@example.com": { mode: "unset" }, "frank@example.com": "frank" },
  changed: { "alice@example.com": "alice_analyst", "bob@example.com": "bob", "dave@example.com": { mode: "none" }, "frank@example.com": "frank" },
};

export async function analystsProgram(): Promise<Record<string, unknown>> {
  const config = new pulumi.Config();
  const rows = ANALYSTS_BY_EMAIL[config.get("mappings") === "changed" ? "changed" : "initial"];
  const lookup = await findImmutaUsers({ emails: Object.keys(rows) });
  if (lookup.notFound.length > 0) throw new Error(`No Immuta user has the email ${lookup.notFound.join(", ")}`);
  const analysts = new ExternalUserMappings("analysts", {
    users: Object.fromEntries(Object.entries(rows).map(([email, row]) => [lookup.found[email].userId, row])),
    exclusive: config.getBoolean("exclusive"),
  });
  return { effectiveUsernames: analysts.effectiveUsernames };
}
