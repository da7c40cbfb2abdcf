/**
 * Firmware images and upgrades (issue 20 item 4), under /api/v1.
 *
 *   POST /firmware/images?family=braiins-os&version=23.1&name=bos-23.1.tar[&sha256=<hex>]
 *        (application/octet-stream body: the image)       -> 201 { id, family, version, name, sizeBytes, sha256, ... }
 *   GET  /firmware/images                                    -> [{ ...image }]
 *   GET  /firmware/images/:id/content                        -> the bytes (agents fetch them; checked before sending)
 *   POST /firmware/upgrades { imageId, selector, batchSize, pauseS } -> 202 bulk job (firmware.upgrade to each miner)
 * Errors: 400 (unknown family, no upgrade path, declared SHA-256 not the upload's), 404, 409 (stored bytes
 * changed: not sent; a selector matching no miner), 413 (too large).
 */
import type { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import { sendError } from '../commands/index.js';
import type { CoreContext } from '../core/context.js';
import { IdParams } from '../core/http/common.js';
import { accepted, created, errors } from '../core/http/responses.js';
import {
  BulkJobView,
  createBulkJob,
  describeJob,
  minerLabel,
  SelectorSchema,
  selectMiners,
} from '../operations/index.js';
import { upgradeAction, upgradeRefusal } from './plan.js';
import { FirmwareError, type FirmwareStore, MAX_IMAGE_BYTES } from './store.js';

const ImageView = z.object({
  id: z.string(),
  family: z.string().describe('firmware profile id the image is for'),
  version: z.string().describe('the version a miner reports once it runs the image'),
  name: z.string(),
  sizeBytes: z.number(),
  sha256: z.string().describe('computed by the controller as the bytes arrived'),
  createdAt: z.number(),
  createdBy: z.string(),
});
const UploadQuery = z
  .object({
    family: z.string().min(1).max(100),
    version: z.string().min(1).max(200),
    name: z.string().min(1).max(200).optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'lower-case hex SHA-256')
      .optional()
      .describe('what the uploader expects: a different upload is refused'),
  })
  .strict();
const UpgradeBody = z
  .object({
    imageId: z.string().min(1).max(200),
    selector: SelectorSchema,
    batchSize: z.number().int().min(1).max(10_000).default(10),
    pauseS: z.number().int().min(0).max(3600).default(60),
  })
  .strict();
const Bytes = {
  description: 'The image bytes',
  content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
};

const refuse = (reply: FastifyReply, err: unknown) => {
  if (!(err instanceof FirmwareError)) return sendError(reply, err);
  const error = { 400: 'bad_request', 404: 'not_found', 409: 'conflict', 413: 'too_large' }[err.status];
  return reply.code(err.status).send({ error, message: err.message });
};

export function firmwareRoutes(store: FirmwareStore): FastifyPluginAsync<CoreContext> {
  return async (app, ctx) => {
    const tags = ['firmware'];
    // The image arrives as a stream: the store hashes and writes it without holding it in memory.
    app.addContentTypeParser(
      'application/octet-stream',
      { bodyLimit: MAX_IMAGE_BYTES },
      (_req, payload, done) => done(null, payload),
    );
    app.post(
      '/firmware/images',
      {
        preHandler: app.authorize('admin', 'operator'),
        bodyLimit: MAX_IMAGE_BYTES,
        schema: {
          tags,
          summary: 'Keep a firmware image (its SHA-256 computed as it arrives)',
          consumes: ['application/octet-stream'],
          querystring: UploadQuery,
          response: { 201: created(ImageView), ...errors(413, 415) },
        },
      },
      async (request, reply) => {
        const q = request.query as z.infer<typeof UploadQuery>;
        const body = request.body as Readable | undefined;
        if (!body || typeof (body as Readable).pipe !== 'function')
          return reply.code(415).send({
            error: 'unsupported_media_type',
            message: 'body: send the image as application/octet-stream',
          });
        try {
          const image = await store.add(
            request.principal!,
            {
              family: q.family,
              version: q.version,
              name: q.name ?? `${q.family}-${q.version}`,
              sha256: q.sha256,
            },
            body,
            ctx.now(),
          );
          return reply.code(201).send(image);
        } catch (err) {
          return refuse(reply, err);
        }
      },
    );
    app.get(
      '/firmware/images',
      {
        preHandler: app.authorize('admin', 'operator', 'technician'),
        schema: { tags, summary: 'The firmware images kept', response: { 200: z.array(ImageView) } },
      },
      async () => store.list(),
    );
    app.get(
      '/firmware/images/:id/content',
      {
        // Agents fetch the image a firmware.upgrade command names, with their own token.
        preHandler: app.authorize('agent', 'admin', 'operator'),
        schema: {
          tags,
          summary: 'The image bytes, checked against their SHA-256 before they are sent',
          params: IdParams,
          response: { 200: Bytes, ...errors(404, 409) },
        },
      },
      async (request, reply) => {
        const { id } = request.params as z.infer<typeof IdParams>;
        try {
          const { image, stream } = await store.open(id);
          return reply
            .code(200)
            .type('application/octet-stream')
            .header('content-length', String(image.sizeBytes))
            .header('x-sha256', image.sha256)
            .send(stream);
        } catch (err) {
          if (err instanceof FirmwareError && err.status === 409) ctx.logger.error(err.message);
          return refuse(reply, err);
        }
      },
    );
    app.post(
      '/firmware/upgrades',
      {
        preHandler: app.authorize('admin', 'operator'),
        schema: {
          tags,
          summary: 'Send firmware.upgrade with an image to the selected miners, in batches (one approval)',
          body: UpgradeBody,
          response: { 202: accepted(BulkJobView), ...errors(404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body as z.infer<typeof UpgradeBody>;
        const image = await store.get(body.imageId);
        if (!image)
          return reply
            .code(404)
            .send({ error: 'not_found', message: `firmware image ${body.imageId}: not found` });
        const miners = await selectMiners(ctx.db, body.selector);
        if (miners.length === 0)
          return reply.code(409).send({ error: 'conflict', message: 'the selector matches no miner' });
        const action = upgradeAction(
          image,
          ctx.config.alerts.publicUrl ?? `http://${ctx.config.http.host}:${ctx.config.http.port}`,
        );
        try {
          const job = await createBulkJob(
            { db: ctx.db, audit: ctx.audit, commands: ctx.commands },
            {
              actor: request.principal!,
              kind: 'command',
              ref: image.id,
              op: action.op,
              selector: body.selector,
              params: action,
              batchSize: body.batchSize,
              pauseMs: body.pauseS * 1000,
              issuer: `firmware:${request.principal!.name}`,
              items: miners.map((miner) => ({
                miner,
                actions: [action],
                refusal: upgradeRefusal(miner, image, minerLabel(miner)),
              })),
              now: ctx.now(),
            },
          );
          return reply.code(202).send(await describeJob(ctx.db, job.id));
        } catch (err) {
          return sendError(reply, err);
        }
      },
    );
  };
}
