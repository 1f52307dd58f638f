import axios from "axios";
import axiosRetry, { exponentialDelay, isRetryableError } from "axios-retry";
import { PrincipalRefusal } from "./principalRefusal";

const TIMEOUT_MS = 10_000;
const RETRIES = 4;
const MAX_RETRY_DELAY_MS = 5_000;

/** Like any well-behaved service, Immuta retries a token request that hit a 429, a 5xx or a dropped connection. */
const tokenHttp = axios.create({ timeout: TIMEOUT_MS, proxy: false });
axiosRetry(tokenHttp, {
  retries: RETRIES,
  retryCondition: isRetryableError,
  retryDelay: (attempt, error) => Math.min(exponentialDelay(attempt, error, 50), MAX_RETRY_DELAY_MS),
});

/** Immuta's side of OAuth M2M: a client-credentials token from the workspace, over real HTTP. */
export async function fetchDatabricksToken(workspaceUrl: string, clientId: string, clientSecret: string): Promise<string> {
  const endpoint = `${workspaceUrl.replace(/\/+$/, "")}/oidc/v1/token`;
  try {
    const response = await tokenHttp.post<unknown>(endpoint, new URLSearchParams({ grant_type: "client_credentials", scope: "all-apis" }).toString(), {
      auth: { username: clientId, password: clientSecret },
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    const token = (response.data as { access_token?: unknown } | null)?.access_token;
    if (typeof token === "string") return token;
    throw new PrincipalRefusal(`the Databricks token endpoint ${endpoint} answered without an access_token`);
  } catch (error) {
    if (!axios.isAxiosError(error)) throw error;
    const status = error.response?.status;
    const errorField = (error.response?.data as { error?: unknown } | undefined)?.error;
    const oauthError = typeof errorField === "string" ? errorField : undefined;
    if (status === 401) throw new PrincipalRefusal(`Databricks rejected the client credentials (${oauthError ?? "HTTP 401"})`);
    const reason = status === undefined ? (error.code ?? "no response") : `HTTP ${status}${oauthError === undefined ? "" : ` ${oauthError}`}`;
    if (isRetryableError(error)) {
      throw new PrincipalRefusal(`the Databricks token endpoint ${endpoint} kept failing (${reason}, ${RETRIES + 1} attempts)`, true);
    }
    throw new PrincipalRefusal(`the Databricks token endpoint ${endpoint} refused the token request (${reason})`);
  }
}
