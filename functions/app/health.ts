import { queueIsHealthy } from '#runtime/queues';
import { tableIsHealthy } from '#store/table';

/** What `GET /health` asks of the stack: the table and both queues answer. */
export const health = {
  async check(): Promise<{ table: boolean; queues: boolean }> {
    const [table, providerEvents, deliveries] = await Promise.all([
      tableIsHealthy(),
      queueIsHealthy('providerEvents'),
      queueIsHealthy('deliveries'),
    ]);
    return { table, queues: providerEvents && deliveries };
  },
};
