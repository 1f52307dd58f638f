/**
 * Work over many items, a bounded number at a time. The client throttles requests on its own; this
 * bounds whole tasks (a read and a write, with their retries), so that a task that must not start
 * after a failure can still see it.
 */
import Bottleneck from "bottleneck";

/** `task` for each item, at most `concurrency` at once; the results in the items' order. */
export function eachAtMost<T, R>(concurrency: number, items: readonly T[], task: (item: T) => Promise<R>): Promise<R[]> {
  const limiter = new Bottleneck({ maxConcurrent: concurrency });
  return Promise.all(items.map((item) => limiter.schedule(() => task(item))));
}
