import { useId, useState, type FormEvent } from 'react';
import type { Page, Webhook } from '../api';
import { DeliveryLog } from '../components/DeliveryLog';
import { LazyDeliveryStatsPanel as DeliveryStatsPanel } from '../components/LazyDeliveryStatsPanel';
import { PageHeader } from '../components/common';
import { useLoader } from '../hooks';
import { navigate, paths } from '../router';
import { useSession } from '../session';

/** The team's recent deliveries across its webhooks, and a jump straight to a delivery by its ID. */
export function Deliveries() {
  const { api } = useSession();
  // Only for names in the log: without them (or past the first 100) a webhook shows its id.
  const webhooks = useLoader<Page<Webhook>>(() => api.listWebhooks({ limit: 100 }), [api]);
  const [deliveryId, setDeliveryId] = useState('');
  const inputId = useId();

  const open = (e: FormEvent) => {
    e.preventDefault();
    const id = deliveryId.trim();
    if (id) navigate(paths.delivery(id));
  };

  return (
    <>
      <PageHeader title="Deliveries" subtitle="Your team's recent deliveries to all of its webhooks, newest first." />
      <form className="inline-form card" onSubmit={open}>
        <div className="field field-inline">
          <label htmlFor={inputId}>Delivery ID</label>
          <input id={inputId} type="text" value={deliveryId} onChange={(e) => setDeliveryId(e.target.value)} autoComplete="off" spellCheck={false} />
        </div>
        <button type="submit" className="button">
          Open delivery
        </button>
      </form>
      <DeliveryStatsPanel title="Delivery statistics (all webhooks)" />
      <DeliveryLog title="Recent deliveries" webhooks={webhooks.data?.data} />
    </>
  );
}
