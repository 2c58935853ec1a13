import { useId, useState } from 'react';
import type { Page, Webhook } from '../api';
import { EventList, ErrorBanner, Loading, PageHeader, TimeAgo, WebhookStatus } from '../components/common';
import { useLoader } from '../hooks';
import { navigate, paths } from '../router';
import { useNotify, useSession } from '../session';

const PAGE_SIZE = 25;

export function WebhookList() {
  const { api } = useSession();
  const notify = useNotify();
  const [enabled, setEnabled] = useState<'' | 'true' | 'false'>('');
  const [loadingMore, setLoadingMore] = useState(false);
  const filterId = useId();
  const list = useLoader<Page<Webhook>>(() => api.listWebhooks({ limit: PAGE_SIZE, enabled }), [api, enabled]);

  const loadMore = async () => {
    const cursor = list.data?.nextCursor;
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const next = await api.listWebhooks({ limit: PAGE_SIZE, enabled, cursor });
      list.setData((prev) => {
        const rows = prev?.data ?? [];
        const seen = new Set(rows.map((r) => r.id));
        return { data: [...rows, ...next.data.filter((r) => !seen.has(r.id))], nextCursor: next.nextCursor };
      });
    } catch (err) {
      notify(`Could not load more webhooks: ${err instanceof Error ? err.message : String(err)}`, 'error');
    } finally {
      setLoadingMore(false);
    }
  };

  const rows = list.data?.data ?? [];

  return (
    <>
      <PageHeader
        title="Webhooks"
        subtitle="Endpoints that receive signed HTTP POST requests when events happen."
        actions={
          <a className="button button-primary" href={paths.newWebhook()}>
            Create Webhook
          </a>
        }
      />
      <div className="toolbar">
        <label htmlFor={filterId}>Show</label>
        <select id={filterId} value={enabled} onChange={(e) => setEnabled(e.target.value as '' | 'true' | 'false')}>
          <option value="">All webhooks</option>
          <option value="true">Enabled only</option>
          <option value="false">Disabled only</option>
        </select>
      </div>
      <ErrorBanner title="Could not load webhooks." error={list.error} onRetry={() => void list.reload()} />
      {list.loading && !list.data ? (
        <Loading label="Loading webhooks…" />
      ) : list.data && rows.length === 0 ? (
        <div className="empty">
          <p>{enabled ? 'No webhooks match this filter.' : 'No webhooks yet.'}</p>
          {!enabled && (
            <p>
              <a href={paths.newWebhook()}>Create a webhook</a> to start receiving events.
            </p>
          )}
        </div>
      ) : list.data ? (
        <div className="table-wrap">
          <table className="table responsive-table" data-testid="webhook-table">
            <caption className="visually-hidden">Webhooks</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Consecutive failures
                </th>
                <th scope="col">Last delivery</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((w) => (
                <tr
                  key={w.id}
                  className="clickable-row"
                  data-testid="webhook-row"
                  data-id={w.id}
                  onClick={(e) => {
                    if ((e.target as HTMLElement).closest('a,button,input,select,textarea')) return;
                    navigate(paths.webhook(w.id));
                  }}
                >
                  <th scope="row" data-label="Name">
                    <a href={paths.webhook(w.id)}>{w.name}</a>
                  </th>
                  <td data-label="URL" className="url-cell">
                    <span className="mono url-text" title={w.url}>
                      {w.url}
                    </span>
                  </td>
                  <td data-label="Events">
                    <EventList events={w.events} max={3} />
                  </td>
                  <td data-label="Status">
                    <WebhookStatus webhook={w} />
                  </td>
                  <td data-label="Consecutive failures" className="num">
                    {w.consecutiveFailures}
                  </td>
                  <td data-label="Last delivery">
                    <TimeAgo iso={w.lastDeliveryAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {list.data?.nextCursor && (
        <div className="load-more">
          <button type="button" className="button" onClick={() => void loadMore()} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </>
  );
}
