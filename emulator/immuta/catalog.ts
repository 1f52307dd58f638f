import type pg from "pg";

export interface CatalogSchema {
  name: string;
  tables: string[];
}

/**
 * The database's non-system schemas and their tables, views and foreign tables. Read from
 * pg_catalog, which (unlike information_schema) shows objects the principal has no privilege on.
 */
export async function readCatalog(client: pg.Client): Promise<CatalogSchema[]> {
  const result = await client.query<{ schema: string; table: string | null }>(
    `SELECT n.nspname AS schema, c.relname AS table
       FROM pg_catalog.pg_namespace n
       LEFT JOIN pg_catalog.pg_class c
              ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
      WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY n.nspname, c.relname`,
  );
  const schemas = new Map<string, string[]>();
  for (const { schema, table } of result.rows) {
    const tables = schemas.get(schema) ?? [];
    if (table !== null) tables.push(table);
    schemas.set(schema, tables);
  }
  return [...schemas].map(([name, tables]) => ({ name, tables }));
}

export async function readRoleNames(client: pg.Client): Promise<string[]> {
  const result = await client.query<{ rolname: string }>("SELECT rolname FROM pg_catalog.pg_roles");
  return result.rows.map((row) => row.rolname);
}

/** The object paths a crawl of `database` yields under connection `connectionKey`. */
export function catalogObjectPaths(connectionKey: string, database: string, schemas: CatalogSchema[]): string[][] {
  return [
    [connectionKey, database],
    ...schemas.flatMap((schema) => [
      [connectionKey, database, schema.name],
      ...schema.tables.map((table) => [connectionKey, database, schema.name, table]),
    ]),
  ];
}
