import type { JobInfo, Jobs } from '../kernel/jobs.js';
import { handler, params, text } from '../kernel/schema.js';
import { UserError } from '../kernel/errors.js';

/** Handlers over the job registry: list (a reloaded page finds its jobs again), get one, cancel one. */
export function createJobHandlers(deps: { jobs: Jobs }) {
  const { jobs } = deps;
  return {
    /** Running jobs first, then recent finished ones. */
    'jobs-list': handler((): JobInfo[] => jobs.list()),
    /** One job, running or recently finished. */
    'jobs-get': handler(params({ id: text(100) }), ({ id }): JobInfo => {
      const job = jobs.get(id);
      if (!job) throw new UserError(`No job ${id}: it finished long ago or never existed`, 'E_NOT_FOUND');
      return job;
    }),
    /** Cancels a running job; what it finished so far stays. */
    'jobs-cancel': handler(params({ id: text(100) }), ({ id }) => ({ cancelled: jobs.cancel(id) })),
  };
}

/** The jobs part of the API contract. */
export type JobHandlerDefs = ReturnType<typeof createJobHandlers>;
