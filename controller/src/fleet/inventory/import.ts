import type { Audit } from '../../core/audit.js';
import type { Principal } from '../../core/auth/roles.js';
import type { Db } from '../../core/storage/db.js';
import { readMinerCsv } from './csv.js';
import { createMiner, findByIdentity, moveMiner } from './miners.js';
import { ensurePlace } from './sites.js';
import { ensureSlots } from './slots.js';

export type ImportReport = { created: number; updated: number; placed: number; errors: string[] };

/**
 * Imports miners from CSV (serial, model, firmware, site, container, rack, slot, status,
 * purchase_date, warranty_end). Known serials are updated, new ones created; a row with a slot
 * places the miner there (history kept). Each row commits on its own, so one bad row harms nothing.
 */
export async function importMinersCsv(
  db: Db,
  text: string,
  actor: Principal,
  audit: Audit,
  now = Date.now(),
): Promise<ImportReport> {
  const { rows, errors } = readMinerCsv(text);
  const report: ImportReport = { created: 0, updated: 0, placed: 0, errors: [...errors] };
  for (const { line, row } of rows) {
    try {
      await db.tx(async (tx) => {
        let id = await findByIdentity(tx, 'serial', row.serial);
        if (id) {
          await tx.run(
            `UPDATE miners SET model = COALESCE(?, model), firmware_version = COALESCE(?, firmware_version),
               purchase_date = COALESCE(?, purchase_date), warranty_end = COALESCE(?, warranty_end), updated_at = ? WHERE id = ?`,
            [
              row.model ?? null,
              row.firmware ?? null,
              row.purchase_date ?? null,
              row.warranty_end ?? null,
              now,
              id,
            ],
          );
          report.updated++;
        } else {
          id = await createMiner(
            tx,
            {
              serial: row.serial,
              model: row.model ?? null,
              firmwareVersion: row.firmware ?? null,
              purchaseDate: row.purchase_date ?? null,
              warrantyEnd: row.warranty_end ?? null,
            },
            now,
          );
          report.created++;
        }
        if (row.site && row.container) {
          await ensurePlace(tx, row.site, row.container, null, now);
          const [slotId] =
            row.rack && row.slot
              ? await ensureSlots(tx, row.container, [{ rack: row.rack, slot: row.slot }])
              : [null];
          await moveMiner(
            tx,
            id,
            {
              siteId: row.site,
              containerId: row.container,
              slotId: slotId ?? null,
              status: row.status ?? 'in_service',
              reason: 'inventory import',
            },
            { now },
          );
          report.placed++;
        } else if (row.status) {
          await moveMiner(
            tx,
            id,
            { siteId: null, containerId: null, slotId: null, status: row.status, reason: 'inventory import' },
            { now },
          );
        }
      });
    } catch (err) {
      report.errors.push(`line ${line}: serial ${row.serial}: ${(err as Error).message}`);
    }
  }
  await audit.record({
    actor,
    action: 'inventory.import',
    subject: 'miners',
    details: { ...report, errors: report.errors.length },
  });
  return report;
}
