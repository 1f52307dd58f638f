import type { ConnectionRecord } from "../state/connections";
import type { ObjectRecord } from "../state/objects";
import type { UserRecord } from "../state/users";

/** The only technology this stand-in serves. */
export const LAKEBASE_TECHNOLOGY = "DatabricksLakebase";

export function profileView(user: UserRecord) {
  const { profile } = user;
  return {
    id: user.id,
    iamid: user.iamid,
    userid: user.userid,
    name: profile.name,
    email: profile.email,
    phone: profile.phone,
    about: profile.about,
    location: profile.location,
    organization: profile.organization,
    position: profile.position,
    externalUserIds: profile.externalUserIds,
    preferences: profile.preferences,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}

export function userView(user: UserRecord) {
  return {
    id: user.id,
    iamid: user.iamid,
    userid: user.userid,
    name: user.profile.name,
    permissions: user.permissions,
    disabled: user.disabled,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    profile: profileView(user),
  };
}

/** A connection as GET /data/connection shows it: never the client secret. */
export function connectionView(connection: ConnectionRecord) {
  return {
    connectionKey: connection.connectionKey,
    connection: {
      technology: connection.technology,
      hostname: connection.hostname,
      port: connection.port,
      database: connection.database,
      authenticationType: connection.authenticationType,
      workspaceUrl: connection.workspaceUrl,
      oAuthClientConfig: { clientId: connection.clientId, scope: connection.scope },
    },
    createdAt: connection.createdAt,
    createdBy: connection.creator.id,
    creator: connection.creator,
    updatedAt: connection.updatedAt,
    updatedBy: connection.updater.id,
    updater: connection.updater,
    nativeIntegrationId: null,
  };
}

export function objectSummaryView(object: ObjectRecord) {
  return { objectPath: object.path, technology: LAKEBASE_TECHNOLOGY, state: object.state, childCount: object.childCount };
}

export function objectView(object: ObjectRecord) {
  return {
    ...objectSummaryView(object),
    settings: { isActive: { value: object.state === "active", hasDescendantsWithOverrides: false } },
  };
}
