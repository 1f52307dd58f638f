/**
 * The input under which the SDK's resource classes tell check() their Pulumi name. The engine
 * sends the URN with every Check, but the dynamic-provider host passes check() only the old and
 * new inputs, and a resource that is checked must be told apart from the others of its deployment.
 * check() returns only the declared arguments, so the name never reaches the state or a diff.
 * The name rather than the URN: a child's URN is known only once its parent is registered, and an
 * input that waited for it would make the resource depend on its parent's other children. (And not
 * `__name`: every input becomes a property of the resource object, where Pulumi keeps its own.)
 */
export const RESOURCE_NAME_INPUT = "__resourceName";

/** The name, or undefined for inputs that did not come from the SDK's classes (which then claim nothing). */
export function resourceNameOf(news: Record<string, unknown>): string | undefined {
  const name = news[RESOURCE_NAME_INPUT];
  return typeof name === "string" && name !== "" ? name : undefined;
}
