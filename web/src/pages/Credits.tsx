import type { Credits as CreditsData } from '../api';
import { ErrorBanner, Loading, PageHeader, TimeAgo } from '../components/common';
import { formatCredits } from '../format';
import { useLoader } from '../hooks';
import { paths } from '../router';
import { useSession } from '../session';

const REASONS: Record<string, string> = {
  delivery: 'Successful delivery',
  grant: 'Credits granted',
  initial: 'Initial credits',
};

export function Credits() {
  const { api } = useSession();
  const credits = useLoader<CreditsData>(() => api.credits(), [api]);
  const c = credits.data;
  return (
    <>
      <PageHeader
        title="Credits"
        subtitle="Each successful delivery costs 2 credits. Failed deliveries and test events cost nothing."
        actions={
          <button type="button" className="button" onClick={() => void credits.reload()} disabled={credits.loading}>
            Refresh
          </button>
        }
      />
      <ErrorBanner title="Could not load credits." error={credits.error} onRetry={() => void credits.reload()} />
      {!c ? (
        !credits.error && <Loading label="Loading credits…" />
      ) : (
        <>
          <section className="card balance-card" aria-labelledby="balance-label">
            <h2 id="balance-label">Balance</h2>
            <p className={`balance${c.balance < 0 ? ' negative' : ''}`} data-testid="credit-balance">
              {formatCredits(c.balance)} <span className="balance-unit">credits</span>
            </p>
          </section>
          <section className="card" aria-labelledby="ledger-label">
            <h2 id="ledger-label">Recent activity</h2>
            {c.ledger.length === 0 ? (
              <p className="empty">No credit activity yet.</p>
            ) : (
              <div className="table-wrap">
                <table className="table responsive-table">
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col" className="num">
                        Change
                      </th>
                      <th scope="col">Reason</th>
                      <th scope="col">Delivery</th>
                      <th scope="col" className="num">
                        Balance after
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {c.ledger.map((e) => (
                      <tr key={e.id}>
                        <td data-label="When">
                          <TimeAgo iso={e.createdAt} />
                        </td>
                        <td data-label="Change" className={`num ${e.delta < 0 ? 'delta-neg' : 'delta-pos'}`}>
                          {e.delta > 0 ? '+' : e.delta < 0 ? '−' : ''}
                          {formatCredits(Math.abs(e.delta))}
                        </td>
                        <td data-label="Reason">{REASONS[e.reason] ?? e.reason}</td>
                        <td data-label="Delivery">
                          {e.deliveryId ? <a href={paths.delivery(e.deliveryId)} className="mono">{e.deliveryId}</a> : <span className="muted">—</span>}
                        </td>
                        <td data-label="Balance after" className="num">
                          {formatCredits(e.balanceAfter)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
    </>
  );
}
