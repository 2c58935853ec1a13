import { useState } from 'react';
import { ApiError, type Attempt, type DeliveryDetail as Detail, type Webhook } from '../api';
import { CopyButton } from '../components/CopyButton';
import { DeliveryStatusBadge, ErrorBanner, isFinished, isInFlight, Loading, PageHeader, StatusCode, TimeAgo } from '../components/common';
import { formatDateTime, formatDuration } from '../format';
import { useInterval, useLoader } from '../hooks';
import { paths } from '../router';
import { useNotify, useSession } from '../session';

export function DeliveryDetail(props: { id: string }) {
  const { api } = useSession();
  const notify = useNotify();
  const delivery = useLoader<Detail>(() => api.getDelivery(props.id), [api, props.id]);
  const webhookId = delivery.data?.webhookId;
  const webhook = useLoader<Webhook | null>(() => (webhookId ? api.getWebhook(webhookId).catch(() => null) : Promise.resolve(null)), [api, webhookId]);
  const [retrying, setRetrying] = useState(false);
  const [watchUntil, setWatchUntil] = useState(0);

  const d = delivery.data;
  const inFlight = d ? isInFlight(d.status) : false;
  useInterval(() => delivery.reload(), 2000, inFlight || watchUntil > Date.now());

  if (!d) {
    const notFound = delivery.error instanceof ApiError && delivery.error.status === 404;
    return (
      <>
        <PageHeader title={notFound ? 'Delivery not found' : 'Delivery'} back={{ href: paths.deliveries(), label: 'Deliveries' }} />
        {notFound ? (
          <p>
            There is no delivery <code>{props.id}</code> in this team.
          </p>
        ) : (
          <>
            <ErrorBanner title="Could not load this delivery." error={delivery.error} onRetry={() => void delivery.reload()} />
            {!delivery.error && <Loading label="Loading delivery…" />}
          </>
        )}
      </>
    );
  }

  const retry = async () => {
    setRetrying(true);
    try {
      const r = await api.retryDelivery(d.id);
      notify(`Sending again (attempt series ${r.series}).`, 'success');
      setWatchUntil(Date.now() + 30000);
      await delivery.reload();
    } catch (err) {
      notify(`Could not retry this delivery: ${err instanceof Error ? err.message : String(err)}`, 'error');
    } finally {
      setRetrying(false);
    }
  };

  const attempts = [...d.attempts].sort((a, b) => a.series - b.series || a.attemptNumber - b.attemptNumber);
  const multiSeries = new Set(attempts.map((a) => a.series)).size > 1;
  const webhookName = webhook.data?.name;

  return (
    <>
      <PageHeader
        title={
          <>
            Delivery <span className="mono">{d.id}</span>
          </>
        }
        subtitle={
          <>
            <DeliveryStatusBadge status={d.status} /> <code>{d.eventType}</code>
            {d.test && <span className="tag">test</span>}
          </>
        }
        back={{ href: paths.webhook(d.webhookId), label: webhookName ? `Webhook “${webhookName}”` : 'Webhook' }}
        actions={
          <>
            {d.deliveryWorkflowUrl && (
              <a className="button" href={d.deliveryWorkflowUrl} target="_blank" rel="noopener noreferrer">
                Delivery workflow in Temporal<span className="visually-hidden"> (opens in a new tab)</span>
              </a>
            )}
            <a className="button" href={d.dispatchWorkflowUrl} target="_blank" rel="noopener noreferrer">
              Dispatch workflow in Temporal<span className="visually-hidden"> (opens in a new tab)</span>
            </a>
            {isFinished(d.status) && (
              <button type="button" className="button button-primary" onClick={() => void retry()} disabled={retrying}>
                {retrying ? 'Sending…' : d.status === 'succeeded' ? 'Re-send' : 'Retry'}
              </button>
            )}
          </>
        }
      />
      {inFlight && (
        <p className="muted small polling-note">
          <span className="pulse" aria-hidden="true" /> In progress — refreshing every 2 seconds.
        </p>
      )}
      <ErrorBanner title="Could not refresh this delivery." error={delivery.error} />
      <section className="card" aria-labelledby="delivery-summary">
        <h2 id="delivery-summary">Summary</h2>
        <dl className="facts">
          <div>
            <dt>Webhook</dt>
            <dd>
              <a href={paths.webhook(d.webhookId)}>{webhookName ?? d.webhookId}</a>
            </dd>
          </div>
          <div>
            <dt>Event ID</dt>
            <dd className="mono break">{d.eventId}</dd>
          </div>
          <div>
            <dt>Attempts</dt>
            <dd>{d.attemptCount}</dd>
          </div>
          <div>
            <dt>Last status code</dt>
            <dd>
              <StatusCode code={d.lastStatusCode} />
            </dd>
          </div>
          {d.lastError && (
            <div>
              <dt>Last error</dt>
              <dd className="break">{d.lastError}</dd>
            </div>
          )}
          {d.nextAttemptAt && (
            <div>
              <dt>Next attempt</dt>
              <dd>
                <TimeAgo iso={d.nextAttemptAt} />
              </dd>
            </div>
          )}
          <div>
            <dt>Created</dt>
            <dd>{formatDateTime(d.createdAt)}</dd>
          </div>
          <div>
            <dt>Completed</dt>
            <dd>{d.completedAt ? formatDateTime(d.completedAt) : <span className="muted">not yet</span>}</dd>
          </div>
          <div>
            <dt>Dispatch workflow</dt>
            <dd className="mono break">{d.dispatchWorkflowId}</dd>
          </div>
          <div>
            <dt>Delivery workflow</dt>
            <dd className={d.deliveryWorkflowId ? 'mono break' : 'muted'}>
              {d.deliveryWorkflowId ?? 'none: its only attempt was made by the dispatch workflow'}
            </dd>
          </div>
        </dl>
      </section>

      <RequestBody body={d.requestBody} />

      <section className="card" aria-labelledby="delivery-attempts">
        <h2 id="delivery-attempts">
          Attempts <span className="muted">({attempts.length})</span>
        </h2>
        {attempts.length === 0 ? (
          <p className="empty">{inFlight ? 'No attempt has finished yet.' : 'No attempts were made.'}</p>
        ) : (
          <ol className="attempts">
            {attempts.map((a) => (
              <AttemptItem key={`${a.series}-${a.attemptNumber}`} attempt={a} showSeries={multiSeries} />
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

function AttemptItem(props: { attempt: Attempt; showSeries: boolean }) {
  const a = props.attempt;
  const error = [a.errorClass, a.errorMessage].filter(Boolean).join(': ');
  return (
    <li className={`attempt ${a.succeeded ? 'attempt-ok' : 'attempt-bad'}`} data-testid="attempt">
      <h3>
        Attempt {a.attemptNumber}
        {props.showSeries && <span className="muted"> (series {a.series})</span>}{' '}
        <span className={`badge ${a.succeeded ? 'badge-ok' : 'badge-bad'}`}>{a.succeeded ? 'succeeded' : 'failed'}</span>
      </h3>
      <dl className="facts facts-compact">
        <div>
          <dt>Time</dt>
          <dd>{formatDateTime(a.startedAt)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(a.durationMs)}</dd>
        </div>
        <div>
          <dt>Status code</dt>
          <dd data-testid="attempt-status">
            <StatusCode code={a.statusCode} />
          </dd>
        </div>
        {error && (
          <div>
            <dt>Error</dt>
            <dd className="break">{error}</dd>
          </div>
        )}
      </dl>
      <div className="exchange">
        <div>
          <p className="small muted">Request headers sent</p>
          {a.requestHeaders ? (
            <RequestHeaders headers={a.requestHeaders} attemptNumber={a.attemptNumber} />
          ) : (
            <p className="small muted">Not recorded (attempts made before Hookferry stored request headers).</p>
          )}
        </div>
        <div>
          {a.responseBody !== null && a.responseBody !== '' ? (
            <>
              <p className="small muted">Response body{a.responseTruncated ? ' (truncated)' : ''}</p>
              <pre className="code-block" tabIndex={0} aria-label={`Response body of attempt ${a.attemptNumber}`}>
                {a.responseBody}
                {a.responseTruncated && <span className="muted">{'\n'}… (truncated)</span>}
              </pre>
            </>
          ) : (
            <p className="small muted">No response body.</p>
          )}
        </div>
      </div>
    </li>
  );
}

/** The body every attempt sent and signed: shown pretty-printed, copied byte for byte. */
function RequestBody(props: { body: string }) {
  let pretty = props.body;
  try {
    pretty = JSON.stringify(JSON.parse(props.body), null, 2);
  } catch {
    // not JSON (never expected): shown as sent
  }
  return (
    <section className="card" aria-labelledby="delivery-request">
      <div className="card-header">
        <h2 id="delivery-request">Request body</h2>
        <CopyButton text={props.body} label="Copy exact body" testId="copy-request-body" />
      </div>
      <p className="hint">
        The same bytes on every attempt: the signatures are computed over them exactly as sent (shown here indented; the copy is the exact body).
      </p>
      <pre className="code-block" tabIndex={0} aria-label="Request body" data-testid="request-body">
        {pretty}
      </pre>
    </section>
  );
}

function RequestHeaders(props: { headers: Record<string, string>; attemptNumber: number }) {
  const names = Object.keys(props.headers).sort((a, b) => a.localeCompare(b));
  return (
    <dl className="headers code-block" tabIndex={0} aria-label={`Request headers of attempt ${props.attemptNumber}`} data-testid="request-headers">
      {names.map((name) => (
        <div key={name}>
          <dt>{name.toLowerCase()}:</dt> <dd>{props.headers[name]}</dd>
        </div>
      ))}
    </dl>
  );
}
