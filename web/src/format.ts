import type { DisabledReason, RetrySchedule } from './api';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return dateTime.format(d);
}

export function formatRelative(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return 'never';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const diff = Math.round((now - t) / 1000);
  const abs = Math.abs(diff);
  const fmt = (n: number, unit: string) => {
    const v = `${n} ${unit}${n === 1 ? '' : 's'}`;
    return diff >= 0 ? `${v} ago` : `in ${v}`;
  };
  if (abs < 5) return 'just now';
  if (abs < 60) return fmt(abs, 'second');
  if (abs < 3600) return fmt(Math.round(abs / 60), 'minute');
  if (abs < 86400) return fmt(Math.round(abs / 3600), 'hour');
  return fmt(Math.round(abs / 86400), 'day');
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

export function describeRetrySchedule(s: RetrySchedule): string {
  if (s === 'exponential') return 'Exponential (1 s, 2 s, 4 s)';
  if (s === 'extended') return 'Extended (1 min, 5 min, 30 min, 2 h)';
  if (s && typeof s === 'object' && Array.isArray(s.delays)) return `Custom (${s.delays.join(', ') || 'no retries'})`;
  return String(s);
}

export function describeDisabledReason(r: DisabledReason | null): string {
  switch (r) {
    case 'manual':
      return 'disabled manually';
    case 'consecutive_failures':
      return 'too many consecutive failures';
    case 'endpoint_gone':
      return 'endpoint answered 410 Gone';
    case null:
      return 'disabled';
    default:
      return String(r);
  }
}

export function formatCredits(n: number): string {
  return new Intl.NumberFormat().format(n);
}
