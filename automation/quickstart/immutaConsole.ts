// Changes made in Immuta behind Pulumi's back (what an admin would do in Immuta's UI), and the reads
// that check what Immuta holds. Written against Immuta's REST API directly, not the provider's
// client, so it does not share the provider's assumptions.
import { setTimeout as delay } from "node:timers/promises";
import axios, { type AxiosInstance, type Method } from "axios";
import { z } from "zod";

const tokenResponse = z.object({ token: z.string().min(1) });

const connectionResponse = z.object({
  connectionKey: z.string(),
  connection: z.looseObject({ hostname: z.string(), port: z.number() }),
  /** Present when the change started a crawl. */
  bulkId: z.string().optional(),
});

const jobsResponse = z.array(z.looseObject({ state: z.string() }));

// Immuta's documented job states that no longer change.
const FINISHED_JOB_STATES: ReadonlySet<string> = new Set(["completed", "failed", "cancelled", "expired"]);
const JOB_POLL_MS = 100;
const JOB_WAIT_MS = 60_000;

const userResponse = z.object({
  profile: z.looseObject({ externalUserIds: z.record(z.string(), z.string().nullable()).nullable().optional() }),
});

/** A user's profile as Immuta returns it: names, preferences, the External User Mapping under externalUserIds. */
export type Profile = z.infer<typeof userResponse>["profile"];

const errorResponse = z.object({ message: z.string() });

/** Where the PostgreSQL username sits in a user's External User Mapping: absent = unset, null = none. */
const POSTGRES_KEY = "postgresqlUser";

/** A user's PostgreSQL mapping as Immuta holds it: a username, `null` (none) or `undefined` (unset). */
export type PostgresUsername = string | null | undefined;

export interface UserRef {
  readonly iamId: string;
  readonly userId: string;
}

export class ImmutaConsole {
  private constructor(
    private readonly http: AxiosInstance,
    private readonly baseUrl: string,
  ) {}

  /** Signs in with an API key (POST /bim/apikey/authenticate) and keeps the bearer token. */
  static async signIn(immutaUrl: string, apiKey: string): Promise<ImmutaConsole> {
    const anonymous = new ImmutaConsole(axios.create({ baseURL: immutaUrl, proxy: false, validateStatus: () => true }), immutaUrl);
    const { token } = await anonymous.call("POST", "/bim/apikey/authenticate", tokenResponse, { apikey: apiKey });
    const http = axios.create({ baseURL: immutaUrl, proxy: false, validateStatus: () => true, headers: { authorization: `Bearer ${token}` } });
    return new ImmutaConsole(http, immutaUrl);
  }

  /** The connection's hostname as Immuta has it. */
  async connectionHostname(connectionKey: string): Promise<string> {
    return (await this.call("GET", connectionPath(connectionKey), connectionResponse)).connection.hostname;
  }

  /**
   * Edits the connection's hostname, keeping every other setting (and the stored client secret), and
   * waits for the crawl that the edit starts, as the UI's spinner does.
   */
  async setConnectionHostname(connectionKey: string, hostname: string): Promise<void> {
    const { bulkId: _bulkId, ...current } = await this.call("GET", connectionPath(connectionKey), connectionResponse);
    const { bulkId } = await this.call("PUT", connectionPath(connectionKey), connectionResponse, { connection: { ...current.connection, hostname } });
    if (bulkId !== undefined) await this.waitForJobs(bulkId);
  }


  async profile(user: UserRef): Promise<Profile> {
    return (await this.call("GET", userPath(user), userResponse)).profile;
  }

  async postgresUsername(user: UserRef): Promise<PostgresUsername> {
    const { profile } = await this.call("GET", userPath(user), userResponse);
    const ids = profile.externalUserIds ?? {};
    return Object.prototype.hasOwnProperty.call(ids, POSTGRES_KEY) ? ids[POSTGRES_KEY] : undefined;
  }

  /** Edits the user's PostgreSQL mapping; the profile PUT replaces the whole profile, so the rest is sent back as read. */
  async setPostgresUsername(user: UserRef, username: PostgresUsername): Promise<void> {
    const { profile } = await this.call("GET", userPath(user), userResponse);
    const { [POSTGRES_KEY]: _previous, ...others } = profile.externalUserIds ?? {};
    const externalUserIds = username === undefined ? others : { ...others, [POSTGRES_KEY]: username };
    await this.call("PUT", `${userPath(user)}/profile`, z.unknown(), { ...profile, externalUserIds });
  }

  private async waitForJobs(bulkId: string): Promise<void> {
    const deadline = Date.now() + JOB_WAIT_MS;
    while (!(await this.call("GET", `/jobs?bulkId=${encodeURIComponent(bulkId)}`, jobsResponse)).every((job) => FINISHED_JOB_STATES.has(job.state))) {
      if (Date.now() > deadline) throw new Error(`the jobs of crawl ${bulkId} did not finish within ${JOB_WAIT_MS / 1000} s`);
      await delay(JOB_POLL_MS);
    }
  }

  private async call<T>(method: Method, path: string, shape: z.ZodType<T>, body?: unknown): Promise<T> {
    const what = `${method} ${this.baseUrl}${path}`;
    let response;
    try {
      response = await this.http.request({ method, url: path, data: body });
    } catch (error) {
      // An axios error carries the request config, bearer token included: only its message is kept.
      throw new Error(`${what} failed: ${error instanceof Error ? error.message : String(error)}. Is the emulator still running?`);
    }
    if (response.status < 200 || response.status >= 300) {
      const reason = errorResponse.safeParse(response.data);
      throw new Error(`${what} answered HTTP ${response.status}${reason.success ? `: ${reason.data.message}` : ""}`);
    }
    const parsed = shape.safeParse(response.data);
    if (!parsed.success) throw new Error(`${what} answered an unexpected body: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  }
}

function connectionPath(connectionKey: string): string {
  return `/data/connection/${encodeURIComponent(connectionKey)}`;
}

function userPath({ iamId, userId }: UserRef): string {
  return `/bim/iam/${encodeURIComponent(iamId)}/user/${encodeURIComponent(userId)}`;
}
