/**
 * The dynamic ResourceProvider behind LakebaseConnection: check/diff/create/read/update/delete.
 */
import { isIP } from "node:net";
import { z } from "zod";
import type { ProviderSettings } from "../config";
import {
  confirmRegistration,
  deregisterConnection,
  readConnection,
  registerConnection,
  RegistrationIncomplete,
  REMOTE_FIELDS,
  sameValue,
  updateConnection,
  type ConnectionDeclaration,
  type ConnectionOptions,
  type ConnectionSettings,
  type CrawlResult,
  type LiveConnection,
} from "../connection";
import { PartialCreateError } from "../errors";
import { parseOrigin } from "../urls";
import { claimOfOne, managedConnection } from "./deploymentClaims";
import { byteLength, checkShape, isUnknown, requireComplete, requiredString, toStruct, withHostProvider, type CheckFailure } from "./inputs";
import { ImmutaResourceProvider } from "./immutaResourceProvider";
import type { LakebaseConnectionInputs, LakebaseConnectionOutputs, Refreshed, ResourceProviderOf, Unchecked } from "../types";

/** Names Immuta's API reserves for its own routes under /data (a key like these would address one of them). */
const RESERVED_KEYS = ["data", "connection", "object", "crawl", "search", "settings", "metadata", "permission", "sync", "bulk", "upgrade"];
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const argsShape = {
  displayName: requiredString("the connection's display name, which becomes its Immuta connectionKey")
    .min(1, "must not be empty")
    .max(255, "must be at most 255 characters")
    .regex(/^[A-Za-z0-9_-]+$/, "may contain only letters, digits, hyphens and underscores (no periods or spaces), because it becomes the Immuta connectionKey")
    .refine((name) => !RESERVED_KEYS.includes(name.toLowerCase()), { message: `must not be one of Immuta's reserved names (${RESERVED_KEYS.join(", ")}), in any case` }),
  hostname: requiredString("the Lakebase database host, e.g. instance-1234.database.cloud.databricks.com").max(253, "must be at most 253 characters, the longest DNS name").transform((host, ctx) => {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) ctx.addIssue({ code: "custom", message: "must be a host name only, without a scheme such as postgres:// or https://" });
    else if (/[/:]/.test(host) && isIP(host) !== 6) ctx.addIssue({ code: "custom", message: "must be a host name only: put the port in `port` and leave out any path" });
    else if (!DNS_NAME.test(host) && isIP(host) === 0) ctx.addIssue({ code: "custom", message: `"${host}" is not a valid DNS name or IP address` });
    return host.toLowerCase();
  }),
  port: z.number({ error: "must be a number between 1 and 65535" }).int("must be a whole number").min(1, "must be at least 1").max(65535, "must be at most 65535").default(5432),
  database: requiredString("the PostgreSQL database name").min(1, "must not be empty").superRefine(byteLength(63, "a PostgreSQL identifier")).default("databricks_postgres"),
  workspaceUrl: requiredString("the Databricks workspace URL, e.g. https://dbc-1234abcd-5678.cloud.databricks.com").max(2048, "must be at most 2048 characters").transform((url, ctx) => {
    const parsed = parseOrigin(url);
    if ("problem" in parsed) {
      ctx.addIssue({ code: "custom", message: parsed.problem });
      return z.NEVER;
    }
    return parsed.origin;
  }),
  // Databricks issues client ids in lower case and its token endpoint matches them exactly: an id
  // typed in upper case would be refused with invalid_client. Diff and refresh still compare them
  // case-insensitively, so state written before this rule shows no change.
  clientId: requiredString("the service principal's application (client) id, a UUID")
    .regex(UUID, "must be the service principal's application (client) id, a UUID (not its numeric id or display name)")
    .transform((id) => id.toLowerCase()),
  // Databricks OAuth secrets are a few dozen characters; the bound only keeps absurd values out.
  clientSecret: requiredString("an OAuth secret of the service principal").min(1, "must not be empty").max(1024, "must be at most 1024 characters"),
  preflight: z.boolean({ error: "must be true or false" }).default(true),
  adopt: z.boolean({ error: "must be true or false" }).default(false),
};

/** What check() makes of the arguments; ../types writes it out as LakebaseConnectionInputs. */
export type CheckedConnectionArgs = { [K in keyof typeof argsShape]: z.output<(typeof argsShape)[K]> };
const INPUT_FIELDS = Object.keys(argsShape) as (keyof LakebaseConnectionInputs)[];

export class LakebaseConnectionProvider extends ImmutaResourceProvider implements ResourceProviderOf<LakebaseConnectionInputs, LakebaseConnectionOutputs> {
  async check(olds: Unchecked<LakebaseConnectionInputs>, news: Unchecked<LakebaseConnectionInputs>): Promise<{ inputs: Record<string, unknown>; failures: CheckFailure[] }> {
    const { inputs, failures } = checkShape(argsShape, news);
    const claim = (name: string) => claimOfOne("LakebaseConnection", name, managedConnection(inputs), managedConnection(olds));
    return { inputs, failures: [...failures, ...this.recordClaim(news, claim, () => "displayName")] };
  }

  async diff(_id: string, olds: Partial<LakebaseConnectionOutputs>, news: Unchecked<LakebaseConnectionInputs>) {
    const changed = (field: keyof LakebaseConnectionInputs) => isUnknown(news[field]) || !sameValue(field, olds[field], news[field]);
    const renamed = changed("displayName");
    const updates = INPUT_FIELDS.filter((field) => field !== "displayName" && changed(field));
    // A rename only in case may clash with the old key where Immuta compares keys case-insensitively.
    const caseOnly = renamed && typeof news.displayName === "string" && news.displayName.toLowerCase() === olds.displayName?.toLowerCase();
    return { changes: renamed || updates.length > 0, replaces: renamed ? ["displayName"] : [], deleteBeforeReplace: caseOnly };
  }

  async create(inputs: Unchecked<LakebaseConnectionInputs>): Promise<{ id: string; outs: LakebaseConnectionOutputs }> {
    const args = declared(inputs);
    const decl = declaration(args);
    const settings = this.settings();
    try {
      const registration = await registerConnection(this.client(settings), decl, this.connectionOptions(settings));
      return { id: decl.connectionKey, outs: outputs(args, registration.connection, registration.crawl, true) };
    } catch (error) {
      if (error instanceof RegistrationIncomplete) {
        throw new PartialCreateError(decl.connectionKey, withHostProvider(outputs(args, undefined, undefined, error.confirmed), inputs), error.failure);
      }
      throw error;
    }
  }

  async read(id: string, props: Partial<LakebaseConnectionOutputs> = {}): Promise<Refreshed<LakebaseConnectionInputs, LakebaseConnectionOutputs>> {
    const found = await readConnection(this.client(), id, { warn: this.warn });
    if (!found) return { id: "", props: {} };
    // Drift is what Immuta shows; where it shows no settings, the recorded ones stand (no drift it cannot see).
    const shown = found.settings;
    const held = <F extends (typeof REMOTE_FIELDS)[number]>(field: F) =>
      shown === null || sameValue(field, props[field], shown[field]) ? (props[field] as ConnectionSettings[F]) : shown[field];
    const inputs: LakebaseConnectionInputs = {
      displayName: found.connectionKey,
      hostname: held("hostname"),
      port: held("port"),
      database: held("database"),
      workspaceUrl: held("workspaceUrl"),
      clientId: held("clientId"),
      clientSecret: props.clientSecret ?? "",
      preflight: props.preflight ?? true,
      adopt: props.adopt ?? false,
    };
    const crawl = { state: props.crawlState ?? null, objectCount: props.objectCount ?? null };
    return { id: found.connectionKey, props: outputs(inputs, found, crawl, true), inputs: toStruct(inputs) };
  }

  async update(_id: string, olds: Partial<LakebaseConnectionOutputs>, news: Unchecked<LakebaseConnectionInputs>): Promise<{ outs: LakebaseConnectionOutputs }> {
    const args = declared(news);
    const decl = declaration(args);
    const settings = this.settings();
    const options = this.connectionOptions(settings);
    if (olds.registrationConfirmed === false) {
      const registration = await confirmRegistration(this.client(settings), decl, options);
      return { outs: outputs(args, registration.connection, registration.crawl, true) };
    }
    const previous = { ...decl, ...pickDefined(olds), crawlCompleted: olds.crawlState === "completed" };
    const { connection, crawl } = await updateConnection(this.client(settings), decl, previous, options);
    return { outs: outputs(args, connection, crawl ?? { state: olds.crawlState ?? null, objectCount: olds.objectCount ?? null }, true) };
  }

  async delete(id: string): Promise<void> {
    await deregisterConnection(this.client(), id, { log: this.log });
  }

  private connectionOptions(settings: ProviderSettings): ConnectionOptions {
    return { ...settings, log: this.log, warn: this.warn };
  }
}

function declaration(args: LakebaseConnectionInputs): ConnectionDeclaration {
  return { connectionKey: args.displayName, hostname: args.hostname, port: args.port, database: args.database, workspaceUrl: args.workspaceUrl, clientId: args.clientId, clientSecret: args.clientSecret, preflight: args.preflight, adopt: args.adopt };
}

function declared(inputs: Record<string, unknown>): LakebaseConnectionInputs {
  return requireComplete("LakebaseConnection", checkShape(argsShape, inputs));
}

function outputs(
  inputs: LakebaseConnectionInputs,
  found: LiveConnection | undefined,
  crawl: CrawlResult | { state: string | null; objectCount: number | null } | undefined,
  registrationConfirmed: boolean,
): LakebaseConnectionOutputs {
  return toStruct({
    ...inputs,
    connectionKey: inputs.displayName,
    technology: found?.technology ?? null,
    state: found?.state ?? null,
    createdAt: found?.createdAt ?? null,
    updatedAt: found?.updatedAt ?? null,
    objectCount: crawl?.objectCount ?? null,
    crawlState: crawl?.state ?? null,
    registrationConfirmed,
  });
}

function pickDefined(olds: Partial<LakebaseConnectionOutputs>): Partial<LakebaseConnectionOutputs> {
  return Object.fromEntries(Object.entries(olds).filter(([, value]) => value !== undefined && value !== null));
}
