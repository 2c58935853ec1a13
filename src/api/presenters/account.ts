// The API's view of a team and its credits.
import type { CreditLedgerEntry, Team } from '../../db/schema';

export function presentTeam(t: Team) {
  return { id: t.id, name: t.name, notificationEmail: t.notification_email };
}

export function presentCredits(balance: number, ledger: CreditLedgerEntry[]) {
  return {
    balance,
    ledger: ledger.map((l) => ({ id: String(l.id), delta: Number(l.delta), reason: l.reason, deliveryId: l.delivery_id, balanceAfter: Number(l.balance_after), createdAt: l.created_at.toISOString() })),
  };
}
