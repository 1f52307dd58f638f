import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { EmulatorContext } from "../context";
import { callerOf, requirePermission } from "../http/authentication";
import { HttpError, parseOrReject } from "../http/httpError";
import { profileFieldsSchema, profileUpdateSchema, readProfileField, type ProfileFields } from "../immuta/profile";
import { profileView, userView } from "../immuta/wireViews";
import type { Queryable } from "../state/database";
import { createUser, deleteUser, findIam, findUser, listIams, replaceProfile, searchUsers, type Iam, type UserRecord } from "../state/users";

interface UserParams {
  iamid: string;
  userid: string;
}

const userSearchQuery = z.object({
  size: z.coerce.number().int().min(1).max(1000).default(25),
  offset: z.coerce.number().int().min(0).default(0),
  userid: z.string().optional(),
  email: z.string().optional(),
  name: z.string().optional(),
});

const createUserBody = z.strictObject({
  iamid: z.literal("bim").optional(),
  userid: z.string().min(1),
  profile: profileFieldsSchema,
});

/** The BIM user endpoints: IAMs, user search, the user view, its profile, create and delete. */
export function userRoutes({ state }: EmulatorContext): FastifyPluginAsync {
  return async (app) => {
    app.get("/bim/iam", async () => (await listIams(state)).map(({ id, displayName, type }) => ({ id, displayName, type })));

    app.get("/bim/user", async (request) => {
      requirePermission(request, "USER_ADMIN");
      const { users, count } = await searchUsers(state, parseOrReject(userSearchQuery, request.query));
      return { hits: users.map(userView), count };
    });

    app.get<{ Params: UserParams }>("/bim/iam/:iamid/user/:userid", async (request) => userView((await requireUser(state, request.params)).user));

    app.get<{ Params: UserParams }>("/bim/iam/:iamid/user/:userid/profile", async (request) =>
      profileView((await requireUser(state, request.params)).user),
    );

    app.put<{ Params: UserParams }>("/bim/iam/:iamid/user/:userid/profile", async (request) => {
      const caller = callerOf(request);
      const ownProfile = caller.iamid === request.params.iamid && caller.userid === request.params.userid;
      if (!ownProfile) requirePermission(request, "USER_ADMIN");
      // Read-only fields a client echoes back are accepted and ignored.
      const { id: _id, iamid: _iamid, userid: _userid, createdAt: _createdAt, updatedAt: _updatedAt, ...profile } = parseOrReject(
        profileUpdateSchema,
        request.body,
      );
      const { iam, user } = await requireUser(state, request.params);
      rejectMappedFieldChanges(iam, user.profile, profile);
      return profileView(await replaceProfile(state, user.id, profile));
    });

    app.post("/bim/iam/bim/user", async (request) => {
      requirePermission(request, "USER_ADMIN");
      const body = parseOrReject(createUserBody, request.body);
      const created = await createUser(state, "bim", body.userid, body.profile);
      if (created === undefined) throw new HttpError(409, `A user with userid '${body.userid}' already exists in IAM 'bim'`);
      return { newUser: userView(created), newUserLink: null, emailFailed: false, emailSent: false };
    });

    app.delete<{ Params: UserParams }>("/bim/iam/:iamid/user/:userid", async (request) => {
      requirePermission(request, "USER_ADMIN");
      await requireUser(state, request.params);
      await deleteUser(state, request.params.iamid, request.params.userid);
      return {};
    });
  };
}

async function requireUser(db: Queryable, { iamid, userid }: UserParams): Promise<{ iam: Iam; user: UserRecord }> {
  const iam = await findIam(db, iamid);
  if (iam === undefined) throw new HttpError(404, `IAM '${iamid}' does not exist`);
  const user = await findUser(db, iamid, userid);
  if (user === undefined) throw new HttpError(404, `User '${userid}' does not exist in IAM '${iamid}'`);
  return { iam, user };
}

/** Fields the IAM's profile schema maps come from the identity provider and cannot change here. */
function rejectMappedFieldChanges(iam: Iam, stored: ProfileFields, sent: ProfileFields): void {
  for (const field of iam.mappedProfileFields) {
    const before = readProfileField(stored, field);
    const after = readProfileField(sent, field);
    if (before.present !== after.present || JSON.stringify(before.value) !== JSON.stringify(after.value)) {
      throw new HttpError(400, `${field} is mapped by the profile schema of IAM ${iam.id} and is not editable`);
    }
  }
}
