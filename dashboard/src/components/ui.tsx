import { PayBridgeError } from '#client';
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Load } from '../hooks.ts';
import { describeError } from '../session.ts';

/** Our error message and the request id to quote to support. */
export function ErrorNotice({ error }: { error: unknown }) {
  if (error instanceof PayBridgeError && error.code === 'email_unverified') {
    // Not a failure to report: live mode waits for the emailed link (the notice on top resends it).
    return (
      <div class="notice warn" role="alert">
        <strong>Live mode is locked until your email address is verified.</strong> Open the link we emailed
        you, or use “Resend link” at the top of the page. Test mode works meanwhile.
      </div>
    );
  }
  const { message, requestId } = describeError(error);
  return (
    <div class="notice error" role="alert">
      <strong>Error:</strong> {message}
      {requestId && (
        <>
          {' '}
          <span class="request-id">
            Request ID: <code>{requestId}</code>
          </span>
        </>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** Loading, error or the content of a load. */
export function Loaded<T>({
  load,
  what,
  children,
}: {
  load: Load<T>;
  what: string;
  children: (value: T) => ComponentChildren;
}) {
  if (load.state === 'loading') return <Loading what={what} />;
  if (load.state === 'error') return <ErrorNotice error={load.error} />;
  return <>{children(load.value)}</>;
}

/** A status as a word and a shape, never colour alone. */
export function StatusBadge({ status }: { status: string }) {
  const symbol = ['succeeded', 'delivered', 'ok', 'enabled', 'active', 'signature_valid'].includes(status)
    ? '✓'
    : [
          'failed',
          'failing',
          'disabled',
          'expired',
          'cancelled',
          'revoked',
          'inactive',
          'sold_out',
          'signature_rejected',
        ].includes(status)
      ? '✕'
      : ['pending', 'processing'].includes(status)
        ? '…'
        : '•';
  return (
    <span class={`badge badge-${status}`}>
      <span aria-hidden="true">{symbol} </span>
      {status.replace(/_/g, ' ')}
    </span>
  );
}

/** A secret shown once, with a copy button. */
export function ShownOnce({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="notice secret" role="region" aria-label={label}>
      <p>
        <strong>{label}</strong>: shown this once. Store it now; PayBridge cannot show it again.
      </p>
      <CopyField label={label} value={value} onCopied={() => setCopied(true)} />
      {copied && <p role="status">Copied.</p>}
    </div>
  );
}

/** A read-only value and a "Copy" button named after it. */
export function CopyField({
  label,
  value,
  onCopied,
}: {
  label: string;
  value: string;
  onCopied?: () => void;
}) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = () => {
    navigator.clipboard.writeText(value).then(
      () => {
        setState('copied');
        onCopied?.();
      },
      () => setState('failed'),
    );
  };
  return (
    <div class="copy-field">
      <input readOnly value={value} aria-label={label} onFocus={(e) => e.currentTarget.select()} />
      <button type="button" onClick={copy} aria-label={`Copy ${label}`}>
        Copy
      </button>
      <span role="status" class="muted">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select and copy by hand' : ''}
      </span>
    </div>
  );
}

export const dateTime = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' }) : '—';

/** Next/previous over cursor pages: a stack of the cursors that led to each page. */
export function usePager() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  return {
    cursor,
    page: cursors.length,
    next: (nextCursor: string) => setCursors((c) => [...c, nextCursor]),
    previous: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    reset: () => setCursors([undefined]),
  };
}

export function Pager({
  pager,
  hasMore,
  nextCursor,
  label,
}: {
  pager: ReturnType<typeof usePager>;
  hasMore: boolean;
  nextCursor: string | null;
  label: string;
}) {
  return (
    <nav class="pager" aria-label={`${label} pages`}>
      <button type="button" disabled={pager.page <= 1} onClick={pager.previous}>
        Previous page
      </button>
      <span>Page {pager.page}</span>
      <button
        type="button"
        disabled={!hasMore || !nextCursor}
        onClick={() => nextCursor && pager.next(nextCursor)}
      >
        Next page
      </button>
    </nav>
  );
}
