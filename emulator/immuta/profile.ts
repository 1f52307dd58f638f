import { z } from "zod";

const optionalText = z.string().nullable().default(null);

/**
 * The editable fields of an Immuta user profile. A PUT replaces all of them: a field left out
 * of the body becomes null (or an empty object), which is why clients send the whole profile back.
 */
export const profileFieldsSchema = z.strictObject({
  name: optionalText,
  email: optionalText,
  phone: optionalText,
  about: optionalText,
  location: optionalText,
  organization: optionalText,
  position: optionalText,
  // Key absent = unset, null = none, string = that username (e.g. postgresqlUser, databricksUser).
  externalUserIds: z.record(z.string(), z.string().nullable()).default({}),
  preferences: z.record(z.string(), z.unknown()).default({}),
});

export type ProfileFields = z.output<typeof profileFieldsSchema>;

/** The body of PUT .../profile: the editable fields, plus the read-only ones a client echoes back (ignored). */
export const profileUpdateSchema = profileFieldsSchema.extend({
  id: z.unknown().optional(),
  iamid: z.unknown().optional(),
  userid: z.unknown().optional(),
  createdAt: z.unknown().optional(),
  updatedAt: z.unknown().optional(),
});

/** The external-user-id key that holds a user's PostgreSQL (Lakebase) username. */
export const POSTGRESQL_USER_KEY = "postgresqlUser";

/** The mapped field's presence and value at a dotted path such as `externalUserIds.postgresqlUser`. */
export function readProfileField(profile: ProfileFields, dottedPath: string): { present: boolean; value: unknown } {
  let current: unknown = profile;
  for (const key of dottedPath.split(".")) {
    if (typeof current !== "object" || current === null || !Object.prototype.hasOwnProperty.call(current, key)) {
      return { present: false, value: undefined };
    }
    current = (current as Record<string, unknown>)[key];
  }
  return { present: true, value: current };
}
