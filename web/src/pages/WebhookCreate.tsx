import { useEffect, useState } from 'react';
import type { CreatedWebhook } from '../api';
import { PageHeader } from '../components/common';
import { SecretPanel } from '../components/SecretPanel';
import { WebhookForm, rateLimitValue, type WebhookFormValues } from '../components/WebhookForm';
import { useCatalog } from '../catalog';
import { navigate, paths } from '../router';
import { useNotify, useSession } from '../session';

const EMPTY: WebhookFormValues = { name: '', url: '', secret: '', events: [], retrySchedule: 'exponential', rateLimit: '' };

export function WebhookCreate() {
  const { api } = useSession();
  const notify = useNotify();
  const { catalog, error: catalogError, reload } = useCatalog(api);
  // The secret lives only in this screen's state: leaving the screen discards it.
  const [created, setCreated] = useState<CreatedWebhook | null>(null);

  useEffect(() => {
    if (created) document.querySelector<HTMLElement>('main h1')?.focus();
  }, [created]);

  if (created) {
    return (
      <>
        <PageHeader title="Webhook created" back={{ href: paths.webhooks(), label: 'Webhooks' }} />
        <SecretPanel
          title={`Signing secret for “${created.name}”`}
          secret={created.secret}
          note="Deliveries carry Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature) plus any signature headers the deployment's preset adds (HOOKFERRY_SIGNATURE_PRESETS)."
        >
          <button type="button" className="button button-primary" onClick={() => navigate(paths.webhook(created.id))}>
            Continue to webhook
          </button>
        </SecretPanel>
      </>
    );
  }

  return (
    <>
      <PageHeader title="Create Webhook" back={{ href: paths.webhooks(), label: 'Webhooks' }} />
      <WebhookForm
        mode="create"
        initial={EMPTY}
        catalog={catalog}
        catalogError={catalogError}
        onReloadCatalog={reload}
        submitLabel="Save"
        onCancel={() => navigate(paths.webhooks())}
        onSubmit={async (v) => {
          const result = await api.createWebhook({
            name: v.name,
            url: v.url,
            events: v.events,
            retrySchedule: v.retrySchedule,
            rateLimit: rateLimitValue(v.rateLimit),
            ...(v.secret.trim() ? { secret: v.secret.trim() } : {}),
          });
          setCreated(result);
          notify(`Webhook “${result.name}” created. Copy its signing secret now.`, 'success');
        }}
      />
    </>
  );
}
