import type { ReactNode } from 'react';
import { ApiError, type Delivery, type Webhook } from '../api';
import { describeDisabledReason, formatDateTime, formatRelative } from '../format';
import { useNow } from '../hooks';

export function PageHeader(props: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode; back?: { href: string; label: string } }) {
  return (
    <header className="page-header">
      {props.back && (
        <p className="back-link">
          <a href={props.back.href}>
            <span aria-hidden="true">← </span>
            {props.back.label}
          </a>
        </p>
      )}
      <div className="page-header-row">
        <div className="page-title">
          <h1 tabIndex={-1}>{props.title}</h1>
          {props.subtitle && <div className="page-subtitle">{props.subtitle}</div>}
        </div>
        {props.actions && <div className="page-actions">{props.actions}</div>}
      </div>
    </header>
  );
}

export function ErrorBanner(props: { error: unknown; title?: string; onRetry?: () => void }) {
  if (!props.error) return null;
  const err = props.error;
  const message = err instanceof Error ? err.message : String(err);
  const code = err instanceof ApiError ? err.code : null;
  return (
    <div className="banner banner-error" role="alert">
      {props.title && <strong>{props.title} </strong>}
      <span>{message}</span>
      {code && code !== 'network_error' && <span className="muted"> ({code})</span>}
      {props.onRetry && (
        <>
          {' '}
          <button type="button" className="button-link" onClick={props.onRetry}>
            Try again
          </button>
        </>
      )}
    </div>
  );
}

export function Loading(props: { label?: string }) {
  return (
    <p className="loading" role="status" aria-busy="true">
      <span className="spinner" aria-hidden="true" />
      {props.label ?? 'Loading…'}
    </p>
  );
}

export function TimeAgo(props: { iso: string | null | undefined; empty?: string }) {
  const now = useNow();
  if (!props.iso) return <span className="muted">{props.empty ?? 'never'}</span>;
  return (
    <time dateTime={props.iso} title={formatDateTime(props.iso)}>
      {formatRelative(props.iso, now)}
    </time>
  );
}

export function WebhookStatus(props: { webhook: Pick<Webhook, 'enabled' | 'disabledReason'> }) {
  const w = props.webhook;
  if (w.enabled) {
    return (
      <span className="badge badge-ok" data-status="enabled">
        Enabled
      </span>
    );
  }
  return (
    <span className="badge badge-off" data-status="disabled">
      Disabled<span className="badge-reason"> — {describeDisabledReason(w.disabledReason)}</span>
    </span>
  );
}

const DELIVERY_BADGE: Record<string, string> = {
  succeeded: 'badge-ok',
  failed: 'badge-bad',
  cancelled: 'badge-off',
  pending: 'badge-busy',
  retrying: 'badge-warn',
  held: 'badge-off',
};

export function DeliveryStatusBadge(props: { status: Delivery['status'] }) {
  return (
    <span className={`badge ${DELIVERY_BADGE[props.status] ?? ''}`} data-status={props.status}>
      {props.status}
    </span>
  );
}

export function StatusCode(props: { code: number | null | undefined }) {
  if (props.code === null || props.code === undefined) return <span className="muted">—</span>;
  const cls = props.code >= 200 && props.code < 300 ? 'code-ok' : 'code-bad';
  return <span className={`status-code ${cls}`}>{props.code}</span>;
}

export function EventList(props: { events: string[]; max?: number }) {
  const max = props.max ?? Infinity;
  const shown = props.events.slice(0, max);
  const rest = props.events.length - shown.length;
  return (
    <span className="event-list">
      {shown.map((e) => (
        <code key={e} className="event-chip">
          {e}
        </code>
      ))}
      {rest > 0 && <span className="muted"> +{rest} more</span>}
    </span>
  );
}

export function isRetryable(status: Delivery['status']): boolean {
  return status === 'failed' || status === 'cancelled';
}

/** Finished deliveries can be sent again (a succeeded one too: free if it was charged). */
export function isFinished(status: Delivery['status']): boolean {
  return status === 'succeeded' || isRetryable(status);
}

export function isInFlight(status: Delivery['status']): boolean {
  return status === 'pending' || status === 'retrying';
}
