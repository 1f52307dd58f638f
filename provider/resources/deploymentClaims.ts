/**
 * What each resource of one deployment manages in Immuta, so that check() can refuse a second
 * resource for the same thing: two of them would overwrite each other's settings, and deleting
 * either would undo the other. The engine runs one dynamic-provider host per deployment and checks
 * every resource of the program in it, so by the time two resources clash, the first one's claim
 * is here. Claims are keyed by resource kind and Pulumi name (unique in a program but for a rare
 * same-named child of another parent type), so a re-check replaces the resource's own claim and a
 * replacement never clashes with itself.
 */
import { isUnknown } from "./inputs";

/** Something in Immuta that one resource manages. */
export interface Managed {
  /** Equal for two declarations exactly when Immuta takes them for the same object. */
  readonly key: string;
  /** For messages, e.g. `the Immuta connection "sales"`. */
  readonly what: string;
  /** What deleting a resource that manages it does, for messages. */
  readonly onDelete: string;
}

export interface Claim {
  /** The resource kind, e.g. ExternalUserMapping. */
  readonly kind: string;
  /** The resource's Pulumi name. */
  readonly name: string;
  /** What its new inputs manage; undefined while they are unknown (preview) or invalid. */
  readonly manages: Managed | undefined;
  /**
   * What its old inputs managed, when that differs from `manages`: the resource is replaced in
   * this deployment, and deleting its old self then undoes whoever manages that thing now.
   */
  readonly givesUp: Managed | undefined;
}

/**
 * The connection that inputs (checked, or the old ones) name, once displayName is known. Keys that
 * differ only in case are taken for one connection, as diff takes a case-only rename: an Immuta
 * that compares keys case-insensitively would see one (the emulator compares them exactly), and
 * two connections named so are a slip either way.
 */
export function managedConnection({ displayName }: { displayName?: unknown }): Managed | undefined {
  if (!isKnownString(displayName)) return undefined;
  return {
    key: `connection:${displayName.toLowerCase()}`,
    what: `the Immuta connection "${displayName}"`,
    onDelete: "deregisters it, with its data sources",
  };
}

/**
 * The user whose mapping inputs name, once both ids are known. Immuta finds a user by IAM id and
 * userid exactly (the emulator's lookup and unique key are on both, case-sensitive, and Immuta
 * documents nothing looser), so `Alice` and `alice` are two users.
 */
export function managedUser({ iamId, userId }: { iamId?: unknown; userId?: unknown }): Managed | undefined {
  if (!isKnownString(iamId) || !isKnownString(userId)) return undefined;
  return {
    key: `user:${JSON.stringify([iamId, userId])}`,
    what: `the PostgreSQL mapping of user "${userId}" in IAM "${iamId}"`,
    onDelete: "returns the user to unset",
  };
}

const isKnownString = (value: unknown): value is string => typeof value === "string" && !isUnknown(value);

export class DeploymentClaims {
  private readonly byResource = new Map<string, Claim>();
  /** Managed key → the resources that manage it or give it up. */
  private readonly byManaged = new Map<string, Set<string>>();

  /** Records the claim, replacing the resource's earlier one, and returns a reason for each clash with another resource. */
  record(claim: Claim): string[] {
    const resource = resourceKey(claim);
    this.forget(resource);
    this.byResource.set(resource, claim);
    const others = new Set<Claim>();
    for (const managed of [claim.manages, claim.givesUp]) {
      if (managed === undefined) continue;
      const holders = this.byManaged.get(managed.key) ?? new Set<string>();
      for (const holder of holders) others.add(this.byResource.get(holder) as Claim);
      holders.add(resource);
      this.byManaged.set(managed.key, holders);
    }
    return [...others].flatMap((other) => clashes(claim, other));
  }

  private forget(resource: string): void {
    const earlier = this.byResource.get(resource);
    for (const managed of [earlier?.manages, earlier?.givesUp]) {
      if (managed !== undefined) this.byManaged.get(managed.key)?.delete(resource);
    }
    this.byResource.delete(resource);
  }
}

const resourceKey = (claim: Claim) => `${claim.kind}::${claim.name}`;
const label = (claim: Claim) => `${claim.kind} "${claim.name}"`;

/** Both giving a thing up is no clash: neither manages it after this deployment. */
function clashes(claim: Claim, other: Claim): string[] {
  const { manages, givesUp } = claim;
  const reasons: string[] = [];
  if (manages !== undefined && other.manages?.key === manages.key) reasons.push(bothManage(claim, other, manages, other.manages));
  if (manages !== undefined && other.givesUp?.key === manages.key) reasons.push(handOver(other, claim, manages));
  if (givesUp !== undefined && other.manages?.key === givesUp.key) reasons.push(handOver(claim, other, givesUp));
  return reasons;
}

function bothManage(claim: Claim, other: Claim, managed: Managed, spelledByOther: Managed): string {
  const spelling = spelledByOther.what === managed.what ? "" : ` (${label(other)} declares ${spelledByOther.what}, the same to Immuta)`;
  return (
    `${label(claim)} and ${label(other)} both manage ${managed.what}${spelling}: each would overwrite what the other sets, and deleting either ${managed.onDelete}. ` +
    `Keep one of them. To keep ${label(claim)} in place of ${label(other)}, remove ${label(other)} and give ${label(claim)} aliases: [{ name: "${other.name}" }], ` +
    `so that Pulumi renames ${label(other)} rather than deleting it`
  );
}

function handOver(releaser: Claim, holder: Claim, managed: Managed): string {
  return (
    `${label(releaser)} gives up ${managed.what} in this deployment, which replaces it, while ${label(holder)} manages it: deleting the old ${releaser.kind} ` +
    `${managed.onDelete}, undoing ${label(holder)}. Make the two changes in separate deployments: first the one that replaces ${label(releaser)}, then the one that gives it to ${label(holder)}`
  );
}
