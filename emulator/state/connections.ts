import type { Queryable } from "./database";

/** Who created or last changed a connection, as Immuta shows it. */
export interface Actor {
  id: number;
  name: string | null;
  email: string | null;
}

/** The settings a registration or an update supplies. */
export interface ConnectionSettings {
  hostname: string;
  port: number;
  database: string;
  workspaceUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
}

export interface ConnectionRecord extends ConnectionSettings {
  connectionKey: string;
  technology: string;
  authenticationType: string;
  isActive: boolean;
  creator: Actor;
  updater: Actor;
  createdAt: Date;
  updatedAt: Date;
}

const CONNECTION_COLUMNS = `connection_key AS "connectionKey", technology, hostname, port, database,
  authentication_type AS "authenticationType", workspace_url AS "workspaceUrl", client_id AS "clientId",
  client_secret AS "clientSecret", scope, is_active AS "isActive", creator, updater,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Undefined when a connection with that key exists. */
export async function insertConnection(
  db: Queryable,
  connection: ConnectionSettings & { connectionKey: string; technology: string; authenticationType: string; isActive: boolean; creator: Actor },
): Promise<ConnectionRecord | undefined> {
  const result = await db.query<ConnectionRecord>(
    `INSERT INTO connections (connection_key, technology, hostname, port, database, authentication_type, workspace_url,
                              client_id, client_secret, scope, is_active, creator, updater)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
     ON CONFLICT (connection_key) DO NOTHING RETURNING ${CONNECTION_COLUMNS}`,
    [
      connection.connectionKey,
      connection.technology,
      connection.hostname,
      connection.port,
      connection.database,
      connection.authenticationType,
      connection.workspaceUrl,
      connection.clientId,
      connection.clientSecret,
      connection.scope,
      connection.isActive,
      JSON.stringify(connection.creator),
    ],
  );
  return result.rows[0];
}

export async function findConnection(db: Queryable, connectionKey: string, lock = false): Promise<ConnectionRecord | undefined> {
  const result = await db.query<ConnectionRecord>(
    `SELECT ${CONNECTION_COLUMNS} FROM connections WHERE connection_key = $1${lock ? " FOR UPDATE" : ""}`,
    [connectionKey],
  );
  return result.rows[0];
}

export async function updateConnection(db: Queryable, connectionKey: string, settings: ConnectionSettings, updater: Actor): Promise<ConnectionRecord | undefined> {
  const result = await db.query<ConnectionRecord>(
    `UPDATE connections SET hostname = $2, port = $3, database = $4, workspace_url = $5, client_id = $6, client_secret = $7,
            scope = $8, updater = $9, updated_at = now()
      WHERE connection_key = $1 RETURNING ${CONNECTION_COLUMNS}`,
    [
      connectionKey,
      settings.hostname,
      settings.port,
      settings.database,
      settings.workspaceUrl,
      settings.clientId,
      settings.clientSecret,
      settings.scope,
      JSON.stringify(updater),
    ],
  );
  return result.rows[0];
}

/** Deleting a connection deletes its objects too (foreign key cascade). */
export async function deleteConnection(db: Queryable, connectionKey: string): Promise<void> {
  await db.query("DELETE FROM connections WHERE connection_key = $1", [connectionKey]);
}
