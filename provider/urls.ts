import { isIP } from "node:net";

/** Hosts for which plain http (and PostgreSQL without TLS) is allowed: this machine only. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost") || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

/**
 * Parses an http(s) origin and normalises it (lower-case host, no trailing slash, no path).
 * Returns a reason instead of throwing so that check() can report it next to other failures. The
 * reason never repeats the value: a misplaced secret (say, a key set as the URL) must not be shown.
 */
export function parseOrigin(value: string): { origin: string } | { problem: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: "is not a URL; use the form https://host" };
  }
  if (url.username || url.password) return { problem: "must not contain credentials; pass them as separate (secret) settings" };
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return { problem: "must start with https://" };
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    return { problem: "uses http://, which would send credentials in clear text; use https:// (http is accepted only for localhost)" };
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
    return { problem: "must be an origin only, e.g. https://host: drop any path, query or fragment" };
  }
  return { origin: `${url.protocol}//${url.host}` };
}
