import { useEffect, useId, useState } from 'react';
import { ApiError, type EventType, type RotateResult, type Webhook } from '../api';
import { useCatalog } from '../catalog';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { DeliveryLog, type WatchRequest } from '../components/DeliveryLog';
import { LazyDeliveryStatsPanel as DeliveryStatsPanel } from '../components/LazyDeliveryStatsPanel';
import { ErrorBanner, EventList, Loading, PageHeader, StatusCode, TimeAgo, WebhookStatus } from '../components/common';
import { subscribedEventTypes } from '../components/EventPicker';
import { SecretPanel } from '../components/SecretPanel';
import { WebhookForm, rateLimitValue, type WebhookFormValues } from '../components/WebhookForm';
import { describeDisabledReason, describeRetrySchedule, formatDateTime } from '../format';
import { useLoader } from '../hooks';
import { navigate, paths } from '../router';
import { useNotify, useSession } from '../session';

type Busy = null | 'toggle' | 'rotate' | 'delete';

export function WebhookDetail(props: { id: string }) {
  const { api } = useSession();
  const notify = useNotify();
  const webhook = useLoader<Webhook>(() => api.getWebhook(props.id), [api, props.id]);
  const { catalog, error: catalogError, reload: reloadCatalog } = useCatalog(api);
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState<Busy>(null);
  const [confirm, setConfirm] = useState<null | 'delete' | 'rotate'>(null);
  const [dialogError, setDialogError] = useState<unknown>(null);
  const [rotated, setRotated] = useState<RotateResult | null>(null);
  const [watch, setWatch] = useState<WatchRequest | null>(null);

  useEffect(() => {
    if (rotated) document.getElementById('rotated-secret')?.scrollIntoView({ block: 'nearest' });
  }, [rotated]);

  const w = webhook.data;

  if (!w) {
    if (webhook.error instanceof ApiError && webhook.error.status === 404) {
      return (
        <>
          <PageHeader title="Webhook not found" back={{ href: paths.webhooks(), label: 'Webhooks' }} />
          <p>
            There is no webhook <code>{props.id}</code> in this team. It may have been deleted.
          </p>
        </>
      );
    }
    return (
      <>
        <PageHeader title="Webhook" back={{ href: paths.webhooks(), label: 'Webhooks' }} />
        <ErrorBanner title="Could not load this webhook." error={webhook.error} onRetry={() => void webhook.reload()} />
        {!webhook.error && <Loading label="Loading webhook…" />}
      </>
    );
  }

  const toggle = async () => {
    setBusy('toggle');
    try {
      const next = w.enabled ? await api.disableWebhook(w.id) : await api.enableWebhook(w.id);
      webhook.setData(next);
      notify(next.enabled ? `Webhook “${next.name}” enabled. Its failure counter was reset.` : `Webhook “${next.name}” disabled.`, 'success');
    } catch (err) {
      notify(`Could not ${w.enabled ? 'disable' : 'enable'} the webhook: ${err instanceof Error ? err.message : String(err)}`, 'error');
    } finally {
      setBusy(null);
    }
  };

  const rotate = async () => {
    setBusy('rotate');
    setDialogError(null);
    try {
      const result = await api.rotateSecret(w.id);
      setRotated(result);
      setConfirm(null);
      notify('Signing secret rotated. Copy the new secret now.', 'success');
      void webhook.reload();
    } catch (err) {
      setDialogError(err);
    } finally {
      setBusy(null);
    }
  };

  const remove = async () => {
    setBusy('delete');
    setDialogError(null);
    try {
      await api.deleteWebhook(w.id);
      setConfirm(null);
      notify(`Webhook “${w.name}” deleted.`, 'success', { survivesNavigation: true });
      navigate(paths.webhooks(), { replace: true });
    } catch (err) {
      setDialogError(err);
      setBusy(null);
    }
  };

  const save = async (v: WebhookFormValues) => {
    const patch: Parameters<typeof api.updateWebhook>[1] = {};
    if (v.name !== w.name) patch.name = v.name;
    if (v.url !== w.url) patch.url = v.url;
    if (JSON.stringify(v.events) !== JSON.stringify(w.events)) patch.events = v.events;
    if (JSON.stringify(v.retrySchedule) !== JSON.stringify(w.retrySchedule)) patch.retrySchedule = v.retrySchedule;
    if (rateLimitValue(v.rateLimit) !== w.rateLimit) patch.rateLimit = rateLimitValue(v.rateLimit);
    if (Object.keys(patch).length > 0) {
      const next = await api.updateWebhook(w.id, patch);
      webhook.setData(next);
      notify(`Changes to “${next.name}” saved.`, 'success');
    } else {
      notify('Nothing changed.', 'info');
    }
    setEditing(false);
  };

  return (
    <>
      <PageHeader
        title={w.name}
        subtitle={
          <>
            <WebhookStatus webhook={w} /> <span className="mono small">{w.id}</span>
          </>
        }
        back={{ href: paths.webhooks(), label: 'Webhooks' }}
        actions={
          !editing && (
            <>
              <button type="button" className="button" onClick={() => setEditing(true)}>
                Edit
              </button>
              <button type="button" className="button" onClick={() => void toggle()} disabled={busy !== null}>
                {busy === 'toggle' ? (w.enabled ? 'Disabling…' : 'Enabling…') : w.enabled ? 'Disable' : 'Enable'}
              </button>
              <button
                type="button"
                className="button"
                onClick={() => {
                  setDialogError(null);
                  setConfirm('rotate');
                }}
                disabled={busy !== null}
              >
                Rotate secret
              </button>
              <button
                type="button"
                className="button button-danger"
                onClick={() => {
                  setDialogError(null);
                  setConfirm('delete');
                }}
                disabled={busy !== null}
              >
                Delete webhook
              </button>
            </>
          )
        }
      />

      {!w.enabled && (
        <div className="banner banner-warn">
          This webhook is <strong>disabled</strong> ({describeDisabledReason(w.disabledReason)}
          {w.disabledAt ? `, since ${formatDateTime(w.disabledAt)}` : ''}). No events are delivered to it until you enable it again;
          enabling resets the failure counter.
        </div>
      )}

      {rotated && (
        <div id="rotated-secret">
          <SecretPanel
            title="New signing secret"
            secret={rotated.secret}
            note={
              rotated.previousSecretExpiresAt
                ? `The previous secret keeps working until ${formatDateTime(rotated.previousSecretExpiresAt)}, so you can update your endpoint first.`
                : 'The previous secret no longer signs new deliveries.'
            }
          >
            <button type="button" className="button" onClick={() => setRotated(null)}>
              I have saved it
            </button>
          </SecretPanel>
        </div>
      )}

      {editing ? (
        <section className="card" aria-label="Edit webhook">
          <h2>Edit webhook</h2>
          <WebhookForm
            mode="edit"
            initial={{ name: w.name, url: w.url, secret: '', events: [...w.events], retrySchedule: w.retrySchedule, rateLimit: w.rateLimit === null ? '' : String(w.rateLimit) }}
            catalog={catalog}
            catalogError={catalogError}
            onReloadCatalog={reloadCatalog}
            submitLabel="Save changes"
            onCancel={() => setEditing(false)}
            onSubmit={save}
          />
        </section>
      ) : (
        <WebhookFacts webhook={w} />
      )}

      <TestEventPanel
        webhook={w}
        catalog={catalog}
        catalogError={catalogError}
        onSent={(ids) => setWatch((prev) => ({ nonce: (prev?.nonce ?? 0) + 1, ids }))}
      />

      <DeliveryStatsPanel webhookId={w.id} />

      <DeliveryLog webhookId={w.id} watch={watch} onActivity={() => void webhook.reload()} />

      <ConfirmDialog
        open={confirm === 'delete'}
        title={`Delete webhook “${w.name}”?`}
        confirmLabel="Delete"
        busyLabel="Deleting…"
        danger
        busy={busy === 'delete'}
        error={dialogError ? <ErrorBanner error={dialogError} /> : undefined}
        onCancel={() => setConfirm(null)}
        onConfirm={() => void remove()}
      >
        <p>
          Hookferry stops delivering events to <span className="mono">{w.url}</span> immediately. This cannot be undone.
        </p>
      </ConfirmDialog>

      <ConfirmDialog
        open={confirm === 'rotate'}
        title="Rotate the signing secret?"
        confirmLabel="Rotate secret"
        busyLabel="Rotating…"
        busy={busy === 'rotate'}
        error={dialogError ? <ErrorBanner error={dialogError} /> : undefined}
        onCancel={() => setConfirm(null)}
        onConfirm={() => void rotate()}
      >
        <p>A new secret is generated and shown once. Deliveries are signed with it from now on.</p>
      </ConfirmDialog>
    </>
  );
}

function WebhookFacts(props: { webhook: Webhook }) {
  const w = props.webhook;
  return (
    <section className="card" aria-labelledby="webhook-facts">
      <h2 id="webhook-facts">Configuration</h2>
      <dl className="facts">
        <div>
          <dt>URL</dt>
          <dd className="mono break">{w.url}</dd>
        </div>
        <div>
          <dt>Events</dt>
          <dd>
            <EventList events={w.events} />
          </dd>
        </div>
        <div>
          <dt>Retry schedule</dt>
          <dd>{describeRetrySchedule(w.retrySchedule)}</dd>
        </div>
        <div>
          <dt>Rate limit</dt>
          <dd>{w.rateLimit === null ? <span className="muted">none</span> : `${w.rateLimit} requests a second`}</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>
            <WebhookStatus webhook={w} />
          </dd>
        </div>
        <div>
          <dt>Consecutive failures</dt>
          <dd data-testid="consecutive-failures">{w.consecutiveFailures}</dd>
        </div>
        <div>
          <dt>Last failure</dt>
          <dd>
            <TimeAgo iso={w.lastFailureAt} />
          </dd>
        </div>
        <div>
          <dt>Last delivery</dt>
          <dd>
            <TimeAgo iso={w.lastDeliveryAt} />
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatDateTime(w.createdAt)}</dd>
        </div>
        <div>
          <dt>Updated</dt>
          <dd>{formatDateTime(w.updatedAt)}</dd>
        </div>
      </dl>
      {w.recentFailures.length > 0 && (
        <>
          <h3>Recent failures</h3>
          <ul className="failure-list">
            {w.recentFailures.map((f) => (
              <li key={`${f.deliveryId}-${f.at}`}>
                <TimeAgo iso={f.at} /> — <StatusCode code={f.statusCode} /> {f.error && <span>{f.error}</span>}{' '}
                <a href={paths.delivery(f.deliveryId)}>delivery {f.deliveryId}</a>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function TestEventPanel(props: {
  webhook: Webhook;
  catalog: EventType[] | undefined;
  catalogError: unknown;
  onSent: (deliveryIds: string[]) => void;
}) {
  const { api } = useSession();
  const notify = useNotify();
  const selectId = useId();
  const headingId = useId();
  const options = subscribedEventTypes(props.webhook.events, props.catalog ?? []);
  const [event, setEvent] = useState<string>('');
  const [sending, setSending] = useState(false);
  const [sendError, setSendError] = useState<unknown>(null);
  const selected = options.includes(event) ? event : (options[0] ?? '');
  const example = useLoader(() => (selected ? api.examplePayload(selected) : Promise.resolve(null)), [api, selected]);
  const catalogEntry = props.catalog?.find((e) => e.id === selected);

  const send = async () => {
    if (!selected) return;
    setSending(true);
    setSendError(null);
    try {
      const r = await api.sendTest({ event: selected, webhookId: props.webhook.id });
      const mine = r.deliveries.filter((d) => d.webhookId === props.webhook.id);
      if (mine.length === 0) {
        notify(`Test event ${r.eventId} sent, but no delivery was created for this webhook${props.webhook.enabled ? '' : ' (it is disabled)'}.`, 'info');
      } else {
        notify(`Test event ${r.eventId} sent: ${mine.length === 1 ? 'one delivery' : `${mine.length} deliveries`} queued.`, 'success');
      }
      props.onSent(mine.map((d) => d.id));
    } catch (err) {
      setSendError(err);
    } finally {
      setSending(false);
    }
  };

  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>Send test event</h2>
      <p className="hint">Sends an example payload of the chosen event type to this webhook only, signed like a real delivery.</p>
      {!props.catalog && !props.catalogError ? (
        <Loading label="Loading event types…" />
      ) : options.length === 0 ? (
        <p className="muted">This webhook does not subscribe to any event type from the catalog.</p>
      ) : (
        <>
          <div className="inline-form">
            <div className="field field-inline">
              <label htmlFor={selectId}>Event type</label>
              <select id={selectId} value={selected} onChange={(e) => setEvent(e.target.value)}>
                {options.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            </div>
            <button type="button" className="button button-primary" onClick={() => void send()} disabled={sending || !selected}>
              {sending ? 'Sending…' : 'Send test event'}
            </button>
          </div>
          {!props.webhook.enabled && <p className="muted small">This webhook is disabled: enable it to receive test events.</p>}
          <ErrorBanner title="The test event was not sent." error={sendError} />
          <details className="example" open>
            <summary>
              Example payload{catalogEntry ? ` — ${catalogEntry.name}` : ''}
            </summary>
            {catalogEntry && <p className="hint">{catalogEntry.description}</p>}
            {example.error ? (
              <ErrorBanner title="Could not load the example payload." error={example.error} />
            ) : example.data ? (
              <pre className="code-block" tabIndex={0} aria-label={`Example payload for ${selected}`}>
                {JSON.stringify(example.data, null, 2)}
              </pre>
            ) : (
              <Loading label="Loading example…" />
            )}
          </details>
        </>
      )}
      <ErrorBanner title="Could not load the event catalog." error={props.catalogError} />
    </section>
  );
}
