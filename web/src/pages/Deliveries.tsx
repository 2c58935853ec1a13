import { useId, useState, type FormEvent } from 'react';
import type { Page, Webhook } from '../api';
import { ErrorBanner, Loading, PageHeader, TimeAgo, WebhookStatus } from '../components/common';
import { useLoader } from '../hooks';
import { navigate, paths } from '../router';
import { useSession } from '../session';

/** Deliveries are listed per webhook: pick one, or jump straight to a delivery by its ID. */
export function Deliveries() {
  const { api } = useSession();
  const list = useLoader<Page<Webhook>>(() => api.listWebhooks({ limit: 100 }), [api]);
  const [deliveryId, setDeliveryId] = useState('');
  const inputId = useId();

  const open = (e: FormEvent) => {
    e.preventDefault();
    const id = deliveryId.trim();
    if (id) navigate(paths.delivery(id));
  };

  const rows = list.data?.data ?? [];
  return (
    <>
      <PageHeader title="Deliveries" subtitle="Choose a webhook to see its delivery log." />
      <form className="inline-form card" onSubmit={open}>
        <div className="field field-inline">
          <label htmlFor={inputId}>Delivery ID</label>
          <input id={inputId} type="text" value={deliveryId} onChange={(e) => setDeliveryId(e.target.value)} autoComplete="off" spellCheck={false} />
        </div>
        <button type="submit" className="button">
          Open delivery
        </button>
      </form>
      <ErrorBanner title="Could not load webhooks." error={list.error} onRetry={() => void list.reload()} />
      {list.loading && !list.data ? (
        <Loading label="Loading webhooks…" />
      ) : list.data && rows.length === 0 ? (
        <p className="empty">
          No webhooks yet. <a href={paths.newWebhook()}>Create a webhook</a> first.
        </p>
      ) : (
        <ul className="picker">
          {rows.map((w) => (
            <li key={w.id}>
              <a href={paths.webhook(w.id)} className="picker-item">
                <span className="picker-name">{w.name}</span>
                <span className="mono small muted picker-url">{w.url}</span>
                <span className="picker-meta">
                  <WebhookStatus webhook={w} /> <span className="small">Last delivery: <TimeAgo iso={w.lastDeliveryAt} /></span>
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
      {list.data?.nextCursor && <p className="muted small">Showing the first 100 webhooks.</p>}
    </>
  );
}
