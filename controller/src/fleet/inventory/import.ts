import type { Audit } from '../../core/audit.js';
import type { Principal } from '../../core/auth/roles.js';
import type { Db } from '../../core/storage/db.js';
import { assetCodeFor, assignAssetCode, setAssetTag } from './asset-code.js';
import { readMinerCsv } from './csv.js';
import { normaliseMac } from './mac.js';
import { createMiner, findByIdentity, moveMiner, observeIdentity } from './miners.js';
import { ensurePlace } from './sites.js';
import { ensureSlots } from './slots.js';

export type ImportReport = { created: number; updated: number; placed: number; errors: string[] };

/**
 * Imports miners from CSV (serial, model, firmware, site, container, rack, slot, status,
 * purchase_date, warranty_end, ip, mac, asset_tag): the expected inventory (issue 19 item 1). Known serials are updated, new ones created; a row with a slot
 * places the miner there (history kept). Each row commits on its own, so one bad row harms nothing.
 */
export async function importMinersCsv(
  db: Db,
  text: string,
  actor: Principal,
  audit: Audit,
  now: number,
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
          if (!row.asset_tag && row.rack && row.slot)
            await assignAssetCode(tx, id, assetCodeFor(row.container, row.rack, row.slot));
        } else if (row.status) {
          await moveMiner(
            tx,
            id,
            { siteId: null, containerId: null, slotId: null, status: row.status, reason: 'inventory import' },
            { now },
          );
        }
        if (row.asset_tag) await setAssetTag(tx, id, row.asset_tag);
        // What the site's plan says this unit answers at: an agent's report of a silent miner
        // (it has only the address) finds the expected asset by it (expected.ts).
        if (row.ip) await observeIdentity(tx, id, 'ip', row.ip, now);
        if (row.mac) await observeIdentity(tx, id, 'mac', normaliseMac(row.mac), now);
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
