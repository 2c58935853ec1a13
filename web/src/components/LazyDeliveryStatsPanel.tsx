import { lazy, Suspense } from 'react';
import { Loading } from './common';

// Chart.js is most of the charts' weight (~60 KB gzipped): loaded with the first page that shows
// them, not with the sign-in page.
const DeliveryStatsPanel = lazy(() => import('./DeliveryStatsPanel').then((m) => ({ default: m.DeliveryStatsPanel })));

export function LazyDeliveryStatsPanel(props: { webhookId?: string; title?: string }) {
  return (
    <Suspense fallback={<Loading label="Loading statistics…" />}>
      <DeliveryStatsPanel {...props} />
    </Suspense>
  );
}
