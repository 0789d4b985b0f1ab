import { config } from '#runtime/config';

/** The one table's name, from configuration. */
export const tableName = (): string => config().TABLE_NAME;
