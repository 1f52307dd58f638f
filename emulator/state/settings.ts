import type { Queryable } from "./database";

/** Small values the emulator keeps with its state across restarts (e.g. the Lakebase port). */
export async function readSetting(db: Queryable, name: string): Promise<unknown> {
  const result = await db.query<{ value: unknown }>("SELECT value FROM emulator_settings WHERE name = $1", [name]);
  return result.rows[0]?.value;
}

export async function writeSetting(db: Queryable, name: string, value: unknown): Promise<void> {
  await db.query("INSERT INTO emulator_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value", [name, JSON.stringify(value)]);
}
