import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { DELIVERY_STATUSES, type Delivery, type Webhook } from '../api';
import { useInterval } from '../hooks';
import { paths } from '../router';
import { useNotify, useSession } from '../session';
import { DeliveryStatusBadge, ErrorBanner, isInFlight, isRetryable, Loading, StatusCode, TimeAgo } from './common';

const PAGE_SIZE = 20;
const POLL_MS = 2000;
const WATCH_MS = 60000;

interface Watch {
  /** status/attempts when the watch started; null = the delivery has not been listed yet */
  snapshot: string | null;
  until: number;
}

const fingerprint = (d: Delivery) => `${d.status}/${d.attemptCount}`;

/** Request from the parent to refresh and keep polling until these deliveries appear or change. */
export interface WatchRequest {
  nonce: number;
  ids: string[];
}

export interface DeliveryLogProps {
  /** One webhook's log. Without it, the team's deliveries across its webhooks, with a Webhook column and filter. */
  webhookId?: string;
  /** Names for the Webhook column and filter (team-wide log); a webhook not listed shows its id. */
  webhooks?: ReadonlyArray<Pick<Webhook, 'id' | 'name'>>;
  title?: string;
  watch?: WatchRequest | null;
  onActivity?: () => void;
}

/**
 * A delivery log — one webhook's, or the team's across its webhooks: status filter, "Load
 * more" with the API cursor, a Retry button for failed/cancelled deliveries, polling every
 * 2 s while any delivery is pending or retrying (or one the user just started has not shown
 * up yet).
 */
export function DeliveryLog(props: DeliveryLogProps) {
  const { api } = useSession();
  const notify = useNotify();
  const teamWide = props.webhookId === undefined;
  const [status, setStatus] = useState('');
  const [webhookFilter, setWebhookFilter] = useState('');
  const [rows, setRows] = useState<Delivery[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const pages = useRef(1);
  const [error, setError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [retrying, setRetrying] = useState<Set<string>>(new Set());
  const [watches, setWatches] = useState<Map<string, Watch>>(new Map());
  const generation = useRef(0);
  const statusId = useId();
  const webhookFilterId = useId();
  const captionId = useId();
  const names = useMemo(() => new Map((props.webhooks ?? []).map((w) => [w.id, w.name])), [props.webhooks]);

  /** One page of the log, newest first, after `cursor` (none: the first page). */
  const fetchPage = useCallback(
    (cursor?: string | null) => {
      const query = { status, limit: PAGE_SIZE, cursor };
      return props.webhookId === undefined
        ? api.listTeamDeliveries({ ...query, webhookId: webhookFilter })
        : api.listDeliveries(props.webhookId, query);
    },
    [api, props.webhookId, status, webhookFilter],
  );

  /** Fetches the first page and merges it into what is shown (rows from "Load more" are kept). */
  const refresh = useCallback(
    async (reset: boolean) => {
      const gen = reset ? ++generation.current : generation.current;
      try {
        const page = await fetchPage();
        if (gen !== generation.current) return;
        setError(null);
        if (reset) {
          setRows(page.data);
          setNextCursor(page.nextCursor);
          pages.current = 1;
          return;
        }
        setRows((prev) => {
          const fresh = new Set(page.data.map((d) => d.id));
          return [...page.data, ...(prev ?? []).filter((d) => !fresh.has(d.id))];
        });
        // with only the first page shown its cursor stays valid; after "Load more" keep ours
        if (pages.current <= 1) setNextCursor(page.nextCursor);
      } catch (err) {
        if (gen === generation.current) setError(err);
      }
    },
    [fetchPage],
  );

  useEffect(() => {
    setRows(null);
    void refresh(true);
  }, [refresh]);

  // The parent sent a test event (or similar): refresh now and watch the new deliveries.
  const lastNonce = useRef<number | null>(null);
  useEffect(() => {
    const w = props.watch;
    if (!w || w.nonce === lastNonce.current) return;
    lastNonce.current = w.nonce;
    setWatches((prev) => {
      const next = new Map(prev);
      for (const id of w.ids) next.set(id, { snapshot: null, until: Date.now() + WATCH_MS });
      return next;
    });
    void refresh(false);
  }, [props.watch, refresh]);

  // Drop watches that have been satisfied (delivery listed / changed) or expired.
  useEffect(() => {
    if (watches.size === 0 || !rows) return;
    const now = Date.now();
    let changed = false;
    const next = new Map(watches);
    for (const [id, w] of watches) {
      const row = rows.find((d) => d.id === id);
      const done = now > w.until || (row && (w.snapshot === null || fingerprint(row) !== w.snapshot));
      if (done) {
        next.delete(id);
        changed = true;
      }
    }
    if (changed) setWatches(next);
  }, [rows, watches]);

  const polling = (rows ?? []).some((d) => isInFlight(d.status)) || watches.size > 0;
  useInterval(
    async () => {
      await refresh(false);
      props.onActivity?.();
    },
    POLL_MS,
    polling,
  );

  const loadMore = async () => {
    if (!nextCursor) return;
    const gen = generation.current;
    setLoadingMore(true);
    try {
      const page = await fetchPage(nextCursor);
      if (gen !== generation.current) return;
      setRows((prev) => {
        const have = new Set((prev ?? []).map((d) => d.id));
        return [...(prev ?? []), ...page.data.filter((d) => !have.has(d.id))];
      });
      setNextCursor(page.nextCursor);
      pages.current += 1;
    } catch (err) {
      notify(`Could not load more deliveries: ${err instanceof Error ? err.message : String(err)}`, 'error');
    } finally {
      setLoadingMore(false);
    }
  };

  const retry = async (d: Delivery) => {
    setRetrying((s) => new Set(s).add(d.id));
    try {
      const r = await api.retryDelivery(d.id);
      notify(`Retry started for delivery ${d.id} (series ${r.series}).`, 'success');
      setWatches((prev) => new Map(prev).set(d.id, { snapshot: fingerprint(d), until: Date.now() + WATCH_MS }));
      await refresh(false);
    } catch (err) {
      notify(`Could not retry delivery ${d.id}: ${err instanceof Error ? err.message : String(err)}`, 'error');
    } finally {
      setRetrying((s) => {
        const n = new Set(s);
        n.delete(d.id);
        return n;
      });
    }
  };

  return (
    <section className="card" aria-labelledby={captionId}>
      <div className="card-header">
        <h2 id={captionId}>{props.title ?? 'Delivery log'}</h2>
        <div className="toolbar">
          {teamWide && names.size > 0 && (
            <>
              <label htmlFor={webhookFilterId}>Webhook</label>
              <select id={webhookFilterId} value={webhookFilter} onChange={(e) => setWebhookFilter(e.target.value)}>
                <option value="">All webhooks</option>
                {[...names].map(([id, name]) => (
                  <option key={id} value={id}>
                    {name}
                  </option>
                ))}
              </select>
            </>
          )}
          <label htmlFor={statusId}>Status</label>
          <select id={statusId} value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">All statuses</option>
            {DELIVERY_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          <button type="button" className="button button-small" onClick={() => void refresh(false)}>
            Refresh
          </button>
        </div>
      </div>
      {polling && (
        <p className="muted small polling-note">
          <span className="pulse" aria-hidden="true" /> Deliveries in progress — refreshing every 2 seconds.
        </p>
      )}
      <ErrorBanner title="Could not load deliveries." error={error} onRetry={() => void refresh(rows === null)} />
      {rows === null ? (
        !error && <Loading label="Loading deliveries…" />
      ) : rows.length === 0 ? (
        <p className="empty">
          {status || webhookFilter
            ? `No ${status ? `${status} ` : ''}deliveries${webhookFilter ? ' to this webhook' : ''}.`
            : teamWide
              ? "No deliveries yet. Send a test event from a webhook's page to see one here."
              : 'No deliveries yet. Send a test event to see one here.'}
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table responsive-table" data-testid="delivery-table">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Event type</th>
                {teamWide && <th scope="col">Webhook</th>}
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col">Last status code</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={d.id} data-testid="delivery-row" data-id={d.id} data-status={d.status}>
                  <td data-label="Status">
                    <DeliveryStatusBadge status={d.status} />
                  </td>
                  <td data-label="Event type">
                    <code>{d.eventType}</code>
                    {d.test && <span className="tag">test</span>}
                  </td>
                  {teamWide && (
                    <td data-label="Webhook">
                      <a href={paths.webhook(d.webhookId)} data-testid="delivery-webhook">
                        {names.get(d.webhookId) ?? <code>{d.webhookId}</code>}
                      </a>
                    </td>
                  )}
                  <td data-label="Attempts" className="num">
                    {d.attemptCount}
                  </td>
                  <td data-label="Last status code">
                    <StatusCode code={d.lastStatusCode} />
                    {d.lastError && d.lastStatusCode === null && <span className="muted small error-snippet"> {d.lastError}</span>}
                  </td>
                  <td data-label="Created">
                    <TimeAgo iso={d.createdAt} />
                  </td>
                  <td className="row-actions">
                    <a href={paths.delivery(d.id)} aria-label={`Details of delivery ${d.id}`}>
                      Details
                    </a>
                    {/* Its own workflow when it has one, else the dispatch that made its attempt. */}
                    <a href={d.deliveryWorkflowUrl ?? d.dispatchWorkflowUrl} target="_blank" rel="noopener noreferrer">
                      Open in Temporal Web UI<span className="visually-hidden"> (opens in a new tab)</span>
                    </a>
                    {isRetryable(d.status) && (
                      <button
                        type="button"
                        className="button button-small"
                        onClick={() => void retry(d)}
                        disabled={retrying.has(d.id)}
                        aria-label={`Retry delivery ${d.id}`}
                      >
                        {retrying.has(d.id) ? 'Retrying…' : 'Retry'}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextCursor && rows && rows.length > 0 && (
        <div className="load-more">
          <button type="button" className="button" onClick={() => void loadMore()} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
          <span className="muted small"> {rows.length} shown</span>
        </div>
      )}
    </section>
  );
}
