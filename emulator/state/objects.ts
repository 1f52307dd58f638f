import type { Queryable } from "./database";

export interface ObjectRecord {
  path: string[];
  state: "active" | "inactive";
  childCount: number;
}

// The number of direct children of row `o`: one level deeper, same path prefix.
const CHILD_COUNT = `(SELECT count(*)::int FROM objects c
                      WHERE cardinality(c.path) = cardinality(o.path) + 1 AND c.path[1:cardinality(o.path)] = o.path)`;

export async function insertObjects(db: Queryable, connectionKey: string, paths: string[][], state: ObjectRecord["state"]): Promise<void> {
  await db.query(
    `INSERT INTO objects (path, connection_key, state)
     SELECT ARRAY(SELECT jsonb_array_elements_text(p)), $2, $3 FROM jsonb_array_elements($1::jsonb) p`,
    [JSON.stringify(paths), connectionKey, state],
  );
}

/** Replaces everything under the connection's top-level object. */
export async function replaceConnectionChildren(db: Queryable, connectionKey: string, paths: string[][], state: ObjectRecord["state"]): Promise<void> {
  await db.query("DELETE FROM objects WHERE connection_key = $1 AND cardinality(path) > 1", [connectionKey]);
  await insertObjects(db, connectionKey, paths, state);
}

export async function findObject(db: Queryable, path: string[]): Promise<ObjectRecord | undefined> {
  const result = await db.query<ObjectRecord>(`SELECT o.path, o.state, ${CHILD_COUNT} AS "childCount" FROM objects o WHERE o.path = $1`, [path]);
  return result.rows[0];
}

/** A page of the direct children of `path` ([] = the top-level objects, i.e. the connections). */
export async function listChildren(db: Queryable, path: string[], size: number, offset: number): Promise<{ objects: ObjectRecord[]; count: number }> {
  const where = "cardinality(o.path) = cardinality($1::text[]) + 1 AND o.path[1:cardinality($1::text[])] = $1::text[]";
  const page = await db.query<ObjectRecord>(
    `SELECT o.path, o.state, ${CHILD_COUNT} AS "childCount" FROM objects o WHERE ${where} ORDER BY o.path LIMIT $2 OFFSET $3`,
    [path, size, offset],
  );
  const total = await db.query<{ count: number }>(`SELECT count(*)::int AS count FROM objects o WHERE ${where}`, [path]);
  return { objects: page.rows, count: total.rows[0]?.count ?? 0 };
}

/** Number of objects below `path` (not counting it). */
export async function countDescendants(db: Queryable, path: string[]): Promise<number> {
  const result = await db.query<{ count: number }>(
    "SELECT count(*)::int AS count FROM objects WHERE cardinality(path) > cardinality($1::text[]) AND path[1:cardinality($1::text[])] = $1::text[]",
    [path],
  );
  return result.rows[0]?.count ?? 0;
}

/** Deletes the object and everything below it. */
export async function deleteSubtree(db: Queryable, path: string[]): Promise<void> {
  await db.query("DELETE FROM objects WHERE path[1:cardinality($1::text[])] = $1::text[]", [path]);
}
