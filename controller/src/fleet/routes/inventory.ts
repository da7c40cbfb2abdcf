import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { CoreContext } from '../../core/context.js';
import { EDITORS } from '../../core/http/common.js';
import { errors } from '../../core/http/responses.js';
import { importMinersCsv } from '../inventory/import.js';

const ImportReport = z.looseObject({
  created: z.number(),
  updated: z.number(),
  placed: z.number(),
  errors: z.array(z.string()),
});

/** `POST /inventory/miners.csv` (text/csv): the CLI's `inventory import` over HTTP. */
export const inventoryRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  app.addContentTypeParser(
    'text/csv',
    { parseAs: 'string', bodyLimit: 20 * 1024 * 1024 },
    (_req, body, done) => done(null, body),
  );
  app.post(
    '/inventory/miners.csv',
    {
      preHandler: app.authorize(...EDITORS),
      schema: {
        tags: ['inventory'],
        summary:
          'Import miners from CSV (serial, model, firmware, site, container, rack, slot, status, purchase_date, warranty_end)',
        consumes: ['text/csv'],
        response: {
          200: ImportReport,
          422: ImportReport.describe('Imported what it could; errors name each bad row'),
          ...errors(415),
        },
      },
    },
    async (request, reply) => {
      if (typeof request.body !== 'string') {
        return reply
          .code(415)
          .send({ error: 'unsupported_media_type', message: 'body: send the CSV as text/csv' });
      }
      const report = await importMinersCsv(ctx.db, request.body, request.principal!, ctx.audit, ctx.now());
      return reply.code(report.errors.length ? 422 : 200).send(report);
    },
  );
};
