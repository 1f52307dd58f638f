/** The same server and login as `url`, on another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** Host and port of a PostgreSQL URL (5432 when the URL names none). */
export function hostAndPort(url: string): { hostname: string; port: number } {
  const parsed = new URL(url);
  return { hostname: parsed.hostname.replace(/^\[|\]$/g, ""), port: parsed.port === "" ? 5432 : Number(parsed.port) };
}
