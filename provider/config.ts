import { z } from "zod";
import { ConfigurationError } from "./errors";
import { parseOrigin } from "./urls";

/** What the provider needs to talk to Immuta, resolved at call time from stack config, then the environment. */
export interface ProviderSettings {
  readonly url: string;
  readonly apiKey: string;
  readonly requestTimeoutMs: number;
  readonly maxRetries: number;
  readonly maxConcurrency: number;
  /** A ceiling on requests per second to this Immuta, across every resource; absent: none. */
  readonly maxRequestsPerSecond?: number;
  readonly crawlTimeoutMs: number;
  /** The first backoff before a retry (it doubles with each retry); absent: 250 ms. */
  readonly retryBaseDelayMs?: number;
  /** No retry starts later than this after a request's first attempt; absent: 2 minutes. */
  readonly retryWindowMs?: number;
}

/** The part of pulumi.dynamic.Config the provider reads. */
export interface ConfigSource {
  get(key: string): string | undefined;
}

const settingSources = {
  url: { config: "immuta:url", env: "IMMUTA_URL", example: "https://<tenant>.immuta.com" },
  apiKey: { config: "immuta:apiKey", env: "IMMUTA_API_KEY", example: "<key>", secret: true },
  requestTimeoutMs: { config: "immuta:requestTimeoutMs", env: "IMMUTA_REQUEST_TIMEOUT_MS", example: "30000" },
  maxRetries: { config: "immuta:maxRetries", env: "IMMUTA_MAX_RETRIES", example: "6" },
  maxConcurrency: { config: "immuta:maxConcurrency", env: "IMMUTA_MAX_CONCURRENCY", example: "8" },
  maxRequestsPerSecond: { config: "immuta:maxRequestsPerSecond", env: "IMMUTA_MAX_REQUESTS_PER_SECOND", example: "20" },
  crawlTimeoutMs: { config: "immuta:crawlTimeoutMs", env: "IMMUTA_CRAWL_TIMEOUT_MS", example: "600000" },
  retryBaseDelayMs: { config: "immuta:retryBaseDelayMs", env: "IMMUTA_RETRY_BASE_DELAY_MS", example: "250" },
  retryWindowMs: { config: "immuta:retryWindowMs", env: "IMMUTA_RETRY_WINDOW_MS", example: "120000" },
} as const;

type SettingName = keyof typeof settingSources;

const integer = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const settingsSchema = z.object({
  url: z.string({ error: "is not set" }).transform((value, ctx) => {
    const parsed = parseOrigin(value);
    if ("problem" in parsed) {
      ctx.addIssue({ code: "custom", message: parsed.problem });
      return z.NEVER;
    }
    return parsed.origin;
  }),
  // A key read from a file (pulumi config set --secret immuta:apiKey < key.txt) ends in a newline; no key has whitespace.
  apiKey: z.string({ error: "is not set" }).trim().min(1, "is empty"),
  requestTimeoutMs: integer(1_000, 600_000, 30_000),
  maxRetries: integer(0, 20, 6),
  maxConcurrency: integer(1, 64, 8),
  maxRequestsPerSecond: z.coerce.number().min(0.1).max(10_000).optional(),
  crawlTimeoutMs: integer(1_000, 86_400_000, 600_000),
  retryBaseDelayMs: integer(1, 60_000, 250),
  retryWindowMs: integer(0, 3_600_000, 120_000),
});

export function resolveSettings(config: ConfigSource | undefined, env: NodeJS.ProcessEnv = process.env): ProviderSettings {
  const raw: Partial<Record<SettingName, string>> = {};
  for (const [name, source] of Object.entries(settingSources) as [SettingName, (typeof settingSources)[SettingName]][]) {
    const value = config?.get(source.config) ?? env[source.env];
    if (value !== undefined && value !== "") raw[name] = value;
  }
  const parsed = settingsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  // Messages name settings and problems, never values: any value may be a secret set in the wrong place.
  const swapped = raw.apiKey !== undefined && "origin" in parseOrigin(raw.apiKey) ? ` (${settingSources.apiKey.config} holds a URL: are the two swapped?)` : "";
  const problems = parsed.error.issues.map((issue) => {
    const name = issue.path[0] as SettingName;
    const source: { config: string; env: string; example: string; secret?: boolean } = settingSources[name];
    return `- ${source.config} (env ${source.env}) ${issue.message}${name === "url" ? swapped : ""}. Set it with: pulumi config set ${source.secret ? "--secret " : ""}${source.config} ${source.example}`;
  });
  throw new ConfigurationError(`The Immuta provider settings are incomplete or invalid:\n${problems.join("\n")}`);
}
