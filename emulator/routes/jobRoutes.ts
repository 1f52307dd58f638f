import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { EmulatorContext } from "../context";
import { requirePermission } from "../http/authentication";
import { parseOrReject } from "../http/httpError";
import { listJobs } from "../state/jobs";

const jobQuery = z.object({ bulkId: z.string().min(1) });

export function jobRoutes({ state }: EmulatorContext): FastifyPluginAsync {
  return async (app) => {
    app.get("/jobs", async (request) => {
      requirePermission(request, "APPLICATION_ADMIN");
      return listJobs(state, parseOrReject(jobQuery, request.query).bulkId);
    });
  };
}
