import { useId, useMemo, useState } from 'react';
import type { EventType } from '../api';

export const ALL_EVENTS = '*';

export function categoryPattern(category: string): string {
  return `${category}.*`;
}

/** Does the subscription pattern cover the event type id? (`*`, `prefix.*` or an exact id) */
export function patternCovers(pattern: string, eventId: string): boolean {
  if (pattern === ALL_EVENTS) return true;
  if (pattern.endsWith('.*')) return eventId.startsWith(pattern.slice(0, -1));
  return pattern === eventId;
}

export interface CategoryGroup {
  category: string;
  events: EventType[];
}

export function groupByCategory(catalog: EventType[]): CategoryGroup[] {
  const groups = new Map<string, EventType[]>();
  for (const e of catalog) {
    const list = groups.get(e.category);
    if (list) list.push(e);
    else groups.set(e.category, [e]);
  }
  return [...groups.entries()].map(([category, events]) => ({ category, events }));
}

/** Concrete event types a subscription receives (for "Send test event"), in subscription order. */
export function subscribedEventTypes(patterns: string[], catalog: EventType[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (id: string) => {
    if (!seen.has(id)) {
      seen.add(id);
      out.push(id);
    }
  };
  for (const p of patterns) {
    if (p === ALL_EVENTS || p.endsWith('.*')) {
      for (const e of catalog) if (patternCovers(p, e.id)) add(e.id);
    } else {
      add(p);
    }
  }
  return out;
}

function titleCase(s: string): string {
  return s
    .split(/[_\s-]+/)
    .map((w) => (w ? w[0].toUpperCase() + w.slice(1) : w))
    .join(' ');
}

/**
 * Event subscription picker: the catalog grouped by category, with an "All events (*)"
 * option and one "All <category> events (<category>.*)" option per category.
 */
export function EventPicker(props: {
  catalog: EventType[];
  value: string[];
  onChange: (value: string[]) => void;
  errorId?: string;
  invalid?: boolean;
  disabled?: boolean;
}) {
  const { catalog, value, onChange } = props;
  const [filter, setFilter] = useState('');
  const legendId = useId();
  const filterId = useId();
  const hintId = useId();
  const groups = useMemo(() => groupByCategory(catalog), [catalog]);
  const selected = new Set(value);
  const all = selected.has(ALL_EVENTS);

  // Patterns that are not offered as checkboxes (custom types, deeper wildcards): kept visible so editing never drops them.
  const known = new Set<string>([ALL_EVENTS]);
  for (const g of groups) {
    known.add(categoryPattern(g.category));
    for (const e of g.events) known.add(e.id);
  }
  const others = value.filter((v) => !known.has(v));

  const coveredBy = (id: string) => value.some((p) => p !== id && p.endsWith('*') && patternCovers(p, id));

  const toggle = (pattern: string, checked: boolean) => {
    if (!checked) {
      onChange(value.filter((v) => v !== pattern));
      return;
    }
    if (pattern === ALL_EVENTS) {
      // `*` covers everything else
      onChange([ALL_EVENTS]);
      return;
    }
    if (pattern.endsWith('.*')) {
      // the category wildcard makes the individual types of that category redundant
      const kept = value.filter((v) => v !== pattern && (v.endsWith('*') || !patternCovers(pattern, v)));
      onChange([...kept, pattern]);
      return;
    }
    onChange([...value.filter((v) => v !== pattern), pattern]);
  };

  const needle = filter.trim().toLowerCase();
  const matches = (e: EventType) =>
    !needle || e.id.toLowerCase().includes(needle) || e.name.toLowerCase().includes(needle) || e.description.toLowerCase().includes(needle);

  const count = all ? 'All events' : `${value.length} selected`;
  const describedBy = [hintId, props.errorId].filter(Boolean).join(' ');

  return (
    <fieldset
      className={`event-picker${props.invalid ? ' is-invalid' : ''}`}
      aria-labelledby={legendId}
      aria-describedby={describedBy}
      aria-invalid={props.invalid || undefined}
      disabled={props.disabled}
    >
      <legend id={legendId}>
        Events <span className="muted">({count})</span>
      </legend>
      <p id={hintId} className="hint">
        Choose the event types this webhook receives. Wildcards also cover event types added later.
      </p>
      <label className="check check-all">
        <input type="checkbox" value={ALL_EVENTS} checked={all} onChange={(e) => toggle(ALL_EVENTS, e.target.checked)} />
        <span>
          All events <code>(*)</code>
        </span>
      </label>
      <div className="event-filter">
        <label htmlFor={filterId}>Filter event types</label>
        <input id={filterId} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="e.g. message" autoComplete="off" />
      </div>
      <div className="event-groups">
        {groups.map((g) => {
          const visible = g.events.filter(matches);
          if (needle && visible.length === 0 && !g.category.includes(needle)) return null;
          const catPattern = categoryPattern(g.category);
          const catChecked = selected.has(catPattern) || all;
          const catImplied = all;
          return (
            <fieldset key={g.category} className="event-group">
              <legend>{titleCase(g.category)}</legend>
              <label className="check check-category">
                <input
                  type="checkbox"
                  value={catPattern}
                  checked={catChecked}
                  disabled={catImplied}
                  onChange={(e) => toggle(catPattern, e.target.checked)}
                />
                <span>
                  All {g.category} events <code>({catPattern})</code>
                </span>
              </label>
              {(needle ? visible : g.events).map((e) => {
                const implied = coveredBy(e.id);
                const descId = `${legendId}-${e.id}`;
                return (
                  <label key={e.id} className="check check-event" title={e.description}>
                    <input
                      type="checkbox"
                      value={e.id}
                      checked={selected.has(e.id) || implied}
                      disabled={implied}
                      aria-describedby={descId}
                      onChange={(ev) => toggle(e.id, ev.target.checked)}
                    />
                    <span className="event-text">
                      <code className="event-id">{e.id}</code> <span className="event-name">{e.name}</span>
                      <span id={descId} className="event-desc">
                        {e.description}
                      </span>
                    </span>
                  </label>
                );
              })}
            </fieldset>
          );
        })}
        {others.length > 0 && (
          <fieldset className="event-group">
            <legend>Other subscriptions</legend>
            {others.map((o) => (
              <label key={o} className="check check-event">
                <input type="checkbox" value={o} checked onChange={(ev) => toggle(o, ev.target.checked)} />
                <span className="event-text">
                  <code className="event-id">{o}</code>
                </span>
              </label>
            ))}
          </fieldset>
        )}
      </div>
    </fieldset>
  );
}
