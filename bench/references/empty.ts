/** Cold-start reference: the smallest possible handler, so the figures show what Node itself costs. */
export const handler = async (): Promise<Record<string, never>> => ({});
