import { z } from 'zod';

export const MinerStatusSchema = z.enum([
  'in_service',
  'sleeping',
  'in_repair',
  'in_storage',
  'in_transit',
  'decommissioned',
]);
export type MinerStatus = z.infer<typeof MinerStatusSchema>;

/** USD (or `currency`) per kWh, by month (12 rows) and local hour (24 columns). */
export const TariffSchema = z.object({
  currency: z.string().min(3).max(3).default('USD'),
  perKwh: z.array(z.array(z.number().nonnegative()).length(24)).length(12),
});
export type Tariff = z.infer<typeof TariffSchema>;

export const flatTariff = (perKwh: number, currency = 'USD'): Tariff => ({
  currency,
  perKwh: Array.from({ length: 12 }, () => Array.from({ length: 24 }, () => perKwh)),
});

export type SiteInput = {
  id: string;
  name: string;
  timezone: string;
  capacityMw?: number | null;
  capacitySlots?: number | null;
  tariff: Tariff;
};

export type ContainerInput = { id: string; siteId: string; name: string; agentId?: string | null };

export type Location = {
  siteId: string | null;
  containerId: string | null;
  slotId: string | null;
  status: MinerStatus;
  reason: string;
};
