import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export type Load<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'error'; readonly error: unknown }
  | { readonly state: 'ready'; readonly value: T };

/**
 * Runs `load` now and whenever `deps` change (and every `pollMs` when given); a late answer
 * for stale `deps` is dropped, so a page never shows data of a previous query or session.
 */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  pollMs?: number,
): Load<T> & { reload: () => void } {
  const [result, setResult] = useState<Load<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const lastDeps = useRef<readonly unknown[] | undefined>(undefined);
  useEffect(() => {
    const mine = ++generation.current;
    const previous = lastDeps.current;
    lastDeps.current = deps;
    // A new query shows "loading"; a poll or reload of the same one keeps what is on screen.
    if (!previous || deps.some((d, i) => !Object.is(d, previous[i]))) setResult({ state: 'loading' });
    load().then(
      (value) => mine === generation.current && setResult({ state: 'ready', value }),
      (error: unknown) => mine === generation.current && setResult({ state: 'error', error }),
    );
  }, [...deps, tick]);
  useEffect(() => {
    if (!pollMs) return;
    const timer = setInterval(reload, pollMs);
    return () => clearInterval(timer);
  }, [pollMs, reload]);
  return { ...result, reload };
}

/** Runs an action, tracking busy and error; returns its value or undefined on failure. */
export function useAction<A extends unknown[], T>(action: (...args: A) => Promise<T>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = async (...args: A): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await action(...args);
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, error, clearError: () => setError(undefined) };
}
