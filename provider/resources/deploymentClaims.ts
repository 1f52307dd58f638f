/**
 * What each resource of one deployment manages in Immuta, so that check() can refuse a second
 * resource for the same thing: two of them would overwrite each other's settings, and deleting
 * either would undo the other. The engine runs one dynamic-provider host per deployment and checks
 * every resource of the program in it, so by the time two resources clash, the first one's claim
 * is here. Claims are keyed by resource kind and Pulumi name (unique in a program but for a rare
 * same-named child of another parent type), so a re-check replaces the resource's own claim and a
 * replacement never clashes with itself. A resource may manage one thing (a connection, a user's
 * mapping) or many (the mappings of a list of users), or claim a whole group but for what it lists
 * (exclusive: true returns every other user of an IAM to unset).
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
  /** Its name in a resource that lists many of its kind: the key of its entry (a userid). */
  readonly entry: string;
  /** The group it belongs to, which one resource may claim whole: a user's IAM. */
  readonly within?: Group;
}

/** Things a resource may claim all of but those it lists, e.g. the users of one IAM. */
export interface Group {
  readonly key: string;
  /** For messages, e.g. `IAM "bim"`. */
  readonly what: string;
}

export interface Claim {
  /** The resource kind, e.g. ExternalUserMapping. */
  readonly kind: string;
  /** The resource's Pulumi name. */
  readonly name: string;
  /** What its new inputs manage; empty while they are unknown (preview) or invalid. */
  readonly manages: readonly Managed[];
  /**
   * What its old inputs managed and its new ones do not: giving it up in this deployment undoes
   * whoever manages that thing now.
   */
  readonly givesUp: readonly Managed[];
  /**
   * How the deployment makes it give those up: by replacing it (its old self is deleted), or, for a
   * resource that lists many, by an update that drops them from its list.
   */
  readonly givesUpBy: "replacement" | "removal";
  /** The input that lists what it manages, for a resource that manages many (its entries are named in messages); undefined for one that manages one thing. */
  readonly listedIn: string | undefined;
  /** A group of which it manages everything it does not list (it resets the rest). */
  readonly exclusiveOver?: Group;
}

/** A clash of the claim being recorded: the thing it is about (undefined: its claim on a whole group), and why. */
export interface Clash {
  readonly managed: Managed | undefined;
  readonly reason: string;
}

/** The claim of a resource that manages one thing, which a change of what it is replaces. */
export function claimOfOne(kind: string, name: string, manages: Managed | undefined, managedBefore: Managed | undefined): Claim {
  const givesUp = manages !== undefined && managedBefore !== undefined && managedBefore.key !== manages.key ? [managedBefore] : [];
  return { kind, name, manages: manages === undefined ? [] : [manages], givesUp, givesUpBy: "replacement", listedIn: undefined };
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
    entry: displayName,
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
    entry: userId,
    within: iamUsers(iamId),
  };
}

/** The users of an IAM, as a group that exclusive: true claims. */
export function iamUsers(iamId: string): Group {
  return { key: `iam:${JSON.stringify(iamId)}`, what: `IAM "${iamId}"` };
}

const isKnownString = (value: unknown): value is string => typeof value === "string" && !isUnknown(value);

interface Recorded {
  readonly claim: Claim;
  readonly manages: ReadonlyMap<string, Managed>;
  readonly givesUp: ReadonlyMap<string, Managed>;
}

export class DeploymentClaims {
  private readonly byResource = new Map<string, Recorded>();
  /** Managed key → the resources that manage it or give it up. */
  private readonly byManaged = new Map<string, Set<string>>();
  /** Group key → the resources that manage something in it. */
  private readonly byGroup = new Map<string, Set<string>>();
  /** Group key → the resources that claim it whole. */
  private readonly byExclusive = new Map<string, Set<string>>();

  /** Records the claim, replacing the resource's earlier one, and returns each clash with another resource. */
  record(claim: Claim): Clash[] {
    const resource = resourceKey(claim);
    this.forget(resource);
    const recorded: Recorded = { claim, manages: byKey(claim.manages), givesUp: byKey(claim.givesUp) };
    const clashes: Clash[] = [];
    for (const managed of claim.manages) {
      for (const other of this.holders(managed.key)) {
        const spelledByOther = other.manages.get(managed.key);
        if (spelledByOther !== undefined) clashes.push({ managed, reason: bothManage(claim, other.claim, managed, spelledByOther) });
        if (other.givesUp.has(managed.key)) clashes.push({ managed, reason: handOver(other.claim, claim, managed) });
      }
    }
    // Both giving a thing up is no clash: neither manages it after this deployment.
    for (const managed of claim.givesUp) {
      for (const other of this.holders(managed.key)) {
        if (other.manages.has(managed.key)) clashes.push({ managed, reason: handOver(claim, other.claim, managed) });
      }
    }
    clashes.push(...this.exclusiveClashes(recorded));
    this.byResource.set(resource, recorded);
    for (const key of [...recorded.manages.keys(), ...recorded.givesUp.keys()]) add(this.byManaged, key, resource);
    for (const group of groupsOf(claim)) add(this.byGroup, group.key, resource);
    if (claim.exclusiveOver !== undefined) add(this.byExclusive, claim.exclusiveOver.key, resource);
    return clashes;
  }

  /** An exclusive claim on a group undoes every other resource that manages something in it that the claim does not list. */
  private exclusiveClashes(recorded: Recorded): Clash[] {
    const { claim } = recorded;
    const clashes: Clash[] = [];
    const group = claim.exclusiveOver;
    if (group !== undefined) {
      for (const other of this.recordedIn(this.byGroup, group.key)) {
        const undone = unlisted(other, recorded, group);
        if (undone.length > 0) clashes.push({ managed: undefined, reason: resets(claim, other.claim, group, undone) });
      }
    }
    for (const member of groupsOf(claim)) {
      for (const owner of this.recordedIn(this.byExclusive, member.key)) {
        const undone = unlisted(recorded, owner, member);
        if (undone.length > 0) clashes.push({ managed: undone[0], reason: resetBy(claim, owner.claim, member, undone) });
      }
    }
    return clashes;
  }

  private holders(key: string): Recorded[] {
    return this.recordedIn(this.byManaged, key);
  }

  private recordedIn(index: ReadonlyMap<string, ReadonlySet<string>>, key: string): Recorded[] {
    return [...(index.get(key) ?? [])].map((resource) => this.byResource.get(resource) as Recorded);
  }

  private forget(resource: string): void {
    const earlier = this.byResource.get(resource);
    if (earlier === undefined) return;
    for (const key of [...earlier.manages.keys(), ...earlier.givesUp.keys()]) this.byManaged.get(key)?.delete(resource);
    for (const group of groupsOf(earlier.claim)) this.byGroup.get(group.key)?.delete(resource);
    if (earlier.claim.exclusiveOver !== undefined) this.byExclusive.get(earlier.claim.exclusiveOver.key)?.delete(resource);
    this.byResource.delete(resource);
  }
}

function add(index: Map<string, Set<string>>, key: string, resource: string): void {
  const resources = index.get(key) ?? new Set<string>();
  resources.add(resource);
  index.set(key, resources);
}

/** The groups that what a claim manages belongs to. */
function groupsOf(claim: Claim): Group[] {
  const groups = new Map<string, Group>();
  for (const managed of claim.manages) if (managed.within !== undefined) groups.set(managed.within.key, managed.within);
  return [...groups.values()];
}

/** What `holder` manages in the group that `owner`, which claims the group whole, does not list. */
function unlisted(holder: Recorded, owner: Recorded, group: Group): Managed[] {
  return holder.claim.manages.filter((managed) => managed.within?.key === group.key && !owner.manages.has(managed.key));
}

const andMore = (undone: readonly Managed[]) => (undone.length > 1 ? ` and ${undone.length - 1} more like it` : "");

function resets(owner: Claim, holder: Claim, group: Group, undone: readonly Managed[]): string {
  return (
    `${label(owner)} has exclusive: true, which returns to unset every user of ${group.what} with a PostgreSQL username that it does not list, while ${label(holder)} manages ` +
    `${undone[0].what}${andMore(undone)}: each up would undo the other. List ${undone.length === 1 ? "that user" : "those users"} in ${label(owner)} (and remove ${undone.length === 1 ? "it" : "them"} from ${label(holder)}), or set exclusive: false`
  );
}

function resetBy(holder: Claim, owner: Claim, group: Group, undone: readonly Managed[]): string {
  return (
    `${label(holder)} manages ${undone[0].what}${andMore(undone)}, which ${label(owner)} does not list although it has exclusive: true: it returns every user of ${group.what} ` +
    `with a PostgreSQL username that it does not list to unset, so each up would undo the other. List ${undone.length === 1 ? "the user" : "the users"} in ${label(owner)} instead, or set exclusive: false there`
  );
}

const byKey = (managed: readonly Managed[]) => new Map(managed.map((m) => [m.key, m]));
const resourceKey = (claim: Claim) => `${claim.kind}::${claim.name}`;
const label = (claim: Claim) => `${claim.kind} "${claim.name}"`;
/** Where a claim declares the thing: the resource, or its entry in the resource's list. */
const declaration = (claim: Claim, managed: Managed) => (claim.listedIn === undefined ? label(claim) : `${claim.listedIn}[${JSON.stringify(managed.entry)}] of ${label(claim)}`);

function bothManage(claim: Claim, other: Claim, managed: Managed, spelledByOther: Managed): string {
  const spelling = spelledByOther.what === managed.what ? "" : ` (${label(other)} declares ${spelledByOther.what}, the same to Immuta)`;
  const start = `${label(claim)} and ${label(other)} both manage ${managed.what}${spelling}: each would overwrite what the other sets, and deleting either ${managed.onDelete}. Keep one of them.`;
  // A rename keeps a resource that manages one thing; an alias cannot turn one kind into another, nor one entry of a list into a resource.
  if (claim.kind !== other.kind || claim.listedIn !== undefined || other.listedIn !== undefined) {
    return `${start} Declare it in one place only: remove ${declaration(claim, managed)} or ${declaration(other, spelledByOther)}`;
  }
  return (
    `${start} To keep ${label(claim)} in place of ${label(other)}, remove ${label(other)} and give ${label(claim)} aliases: [{ name: "${other.name}" }], ` +
    `so that Pulumi renames ${label(other)} rather than deleting it`
  );
}

function handOver(releaser: Claim, holder: Claim, managed: Managed): string {
  if (releaser.givesUpBy === "removal") {
    return (
      `${label(releaser)} gives up ${managed.what} in this deployment, which removes it from ${releaser.listedIn}, while ${label(holder)} manages it: the update of ${label(releaser)} ` +
      `${managed.onDelete}, undoing ${label(holder)}. Make the two changes in separate deployments: first the one that removes it from ${label(releaser)}, then the one that gives it to ${label(holder)}`
    );
  }
  return (
    `${label(releaser)} gives up ${managed.what} in this deployment, which replaces it, while ${label(holder)} manages it: deleting the old ${releaser.kind} ` +
    `${managed.onDelete}, undoing ${label(holder)}. Make the two changes in separate deployments: first the one that replaces ${label(releaser)}, then the one that gives it to ${label(holder)}`
  );
}
