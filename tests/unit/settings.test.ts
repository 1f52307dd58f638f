import { strict as assert } from "node:assert";
import { ConfigurationError } from "../../provider";
import { resolveSettings } from "../../provider/config";

const config = (values: Record<string, string>) => ({ get: (key: string) => values[key] });

describe("provider settings", () => {
  it("reads stack config first and applies defaults", () => {
    const settings = resolveSettings(config({ "immuta:url": "https://Tenant.Immuta.com/", "immuta:apiKey": "k" }), { IMMUTA_URL: "https://other.example" });
    assert.deepEqual(settings, {
      url: "https://tenant.immuta.com",
      apiKey: "k",
      requestTimeoutMs: 30_000,
      maxRetries: 6,
      maxConcurrency: 8,
      crawlTimeoutMs: 600_000,
      retryBaseDelayMs: 250,
      retryWindowMs: 120_000,
    });
  });

  it("regression: an API key with a trailing newline, as a key read from a file is, is used without it (it used to get a bare 401)", () => {
    const settings = resolveSettings(config({ "immuta:url": "https://tenant.immuta.com", "immuta:apiKey": "imk_from_a_file\n" }), {});
    assert.equal(settings.apiKey, "imk_from_a_file");
  });

  it("falls back to the environment at call time", () => {
    const settings = resolveSettings(config({}), { IMMUTA_URL: "http://127.0.0.1:8080", IMMUTA_API_KEY: "env-key", IMMUTA_MAX_CONCURRENCY: "3" });
    assert.equal(settings.url, "http://127.0.0.1:8080");
    assert.equal(settings.apiKey, "env-key");
    assert.equal(settings.maxConcurrency, 3);
  });

  it("names every missing or bad setting and how to set it, without echoing the key", () => {
    const error = (() => {
      try {
        resolveSettings(config({ "immuta:url": "http://immuta.example.com", "immuta:maxRetries": "lots" }), {});
      } catch (e) {
        return e;
      }
    })();
    assert.ok(error instanceof ConfigurationError);
    assert.match(error.message, /immuta:url .*https:\/\//);
    assert.match(error.message, /immuta:apiKey \(env IMMUTA_API_KEY\) is not set\. Set it with: pulumi config set --secret immuta:apiKey/);
    assert.match(error.message, /immuta:maxRetries/);
  });

  it("refuses a URL that embeds credentials without repeating them", () => {
    assert.throws(() => resolveSettings(config({ "immuta:url": "https://admin:hunter2@immuta.example.com", "immuta:apiKey": "k" }), {}), (e: Error) => {
      assert.doesNotMatch(e.message, /hunter2/);
      return /must not contain credentials/.test(e.message);
    });
  });

  it("regression: immuta:url and immuta:apiKey swapped no longer prints the key", () => {
    const key = "imk_0123456789abcdef";
    assert.throws(() => resolveSettings(config({ "immuta:url": key, "immuta:apiKey": "https://tenant.immuta.com" }), {}), (e: Error) => {
      assert.ok(e instanceof ConfigurationError);
      assert.equal(
        e.message,
        "The Immuta provider settings are incomplete or invalid:\n" +
          "- immuta:url (env IMMUTA_URL) is not a URL; use the form https://host (immuta:apiKey holds a URL: are the two swapped?). Set it with: pulumi config set immuta:url https://<tenant>.immuta.com",
      );
      return true;
    });
  });

  it("never repeats a setting's value in its message, as any value may be a misplaced secret", () => {
    const values = ["s3cr3t-value-1", "key:s3cr3t-value-1", "ftp://s3cr3t-value-1.example.com", "http://s3cr3t-value-1.example.com", "https://tenant.example.com/s3cr3t-value-1", "https://tenant.example.com/?k=s3cr3t-value-1"];
    for (const value of values) {
      for (const key of ["immuta:url", "immuta:requestTimeoutMs", "immuta:maxRetries", "immuta:maxConcurrency", "immuta:crawlTimeoutMs"]) {
        assert.throws(() => resolveSettings(config({ "immuta:url": "https://tenant.example.com", "immuta:apiKey": "k", [key]: value }), {}), (e: Error) => {
          assert.ok(!e.message.includes("s3cr3t-value-1"), `${key}=${value}: ${e.message}`);
          return e instanceof ConfigurationError;
        });
      }
    }
  });
});
