import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import type { EmulatorContext } from "../context";
import { requirePermission } from "../http/authentication";
import { HttpError, parseOrReject } from "../http/httpError";
import { objectSummaryView, objectView } from "../immuta/wireViews";
import { deleteConnection } from "../state/connections";
import { inTransaction, type Queryable } from "../state/database";
import { countDescendants, deleteSubtree, findObject, listChildren } from "../state/objects";

const searchBody = z.object({
  size: z.int().min(1).max(1000).default(25),
  offset: z.int().min(0).default(0),
});

/** The object hierarchy (connection → database → schema → table), its search and its crawl. */
export function objectRoutes({ state, crawler }: EmulatorContext): FastifyPluginAsync {
  return async (app) => {
    app.get("/data/object/*", async (request) => {
      requirePermission(request, "APPLICATION_ADMIN");
      return objectView(await requireObject(state, objectPathOf(request, "/data/object/")));
    });

    app.delete("/data/object/*", async (request) => {
      requirePermission(request, "APPLICATION_ADMIN");
      const path = objectPathOf(request, "/data/object/");
      await requireObject(state, path);
      const childCount = await inTransaction(state, async (client) => {
        const descendants = await countDescendants(client, path);
        if (path.length === 1) await deleteConnection(client, path[0] as string);
        else await deleteSubtree(client, path);
        return descendants;
      });
      return { objectPath: path, childCount };
    });

    const search = async (request: FastifyRequest, path: string[]) => {
      requirePermission(request, "APPLICATION_ADMIN");
      const { size, offset } = parseOrReject(searchBody, request.body ?? {});
      if (path.length > 0) await requireObject(state, path);
      const { objects, count } = await listChildren(state, path, size, offset);
      return { hits: objects.map(objectSummaryView), count };
    };
    app.post("/data/object/search", (request) => search(request, []));
    app.post("/data/object/search/*", (request) => search(request, objectPathOf(request, "/data/object/search/")));

    app.post("/data/crawl/*", async (request) => {
      requirePermission(request, "APPLICATION_ADMIN");
      const path = objectPathOf(request, "/data/crawl/");
      await requireObject(state, path);
      return { bulkId: await crawler.start(path[0] as string) };
    });
  };
}

/** The objectPath after `prefix`, split on `/` and decoded per segment (so a segment may hold an encoded `/`). */
function objectPathOf(request: FastifyRequest, prefix: string): string[] {
  const pathname = (request.raw.url ?? "").split("?", 1)[0] ?? "";
  try {
    return pathname
      .slice(prefix.length)
      .split("/")
      .filter((segment) => segment !== "")
      .map(decodeURIComponent);
  } catch {
    throw new HttpError(400, "Invalid request path");
  }
}

async function requireObject(db: Queryable, path: string[]) {
  const object = path.length === 0 ? undefined : await findObject(db, path);
  if (object === undefined) throw new HttpError(404, `No object exists at path '${path.join("/")}'`);
  return object;
}
