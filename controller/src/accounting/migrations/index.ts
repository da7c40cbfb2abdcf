import type { Migration } from '../../storage/migrate.js';
import { migration as accounting } from './0100_accounting.js';

/** Accounting migrations, numbers 0100-0199. */
export const accountingMigrations: Migration[] = [accounting];
