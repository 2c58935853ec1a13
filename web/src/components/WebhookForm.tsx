import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, type ErrorDetail, type EventType, type RetrySchedule } from '../api';
import { describeRetrySchedule } from '../format';
import { ErrorBanner, Loading } from './common';
import { EventPicker } from './EventPicker';

export interface WebhookFormValues {
  name: string;
  url: string;
  secret: string;
  events: string[];
  retrySchedule: RetrySchedule;
  /** Requests per second, as typed; empty for no limit. */
  rateLimit: string;
}

type Field = 'name' | 'url' | 'secret' | 'events' | 'retrySchedule' | 'rateLimit';
const FIELDS: readonly Field[] = ['name', 'url', 'secret', 'events', 'retrySchedule', 'rateLimit'];

/** The form's rate limit as the API takes it: a whole number of requests a second, or null. */
export function rateLimitValue(text: string): number | null {
  return text.trim() === '' ? null : Number(text.trim());
}

/** Error codes the API answers without `details` that still belong to one field. */
const CODE_FIELD: Record<string, Field> = {
  invalid_url: 'url',
  unknown_event_types: 'events',
  weak_secret: 'secret',
  name_taken: 'name',
};

export interface FormErrors {
  top: string | null;
  code: string | null;
  general: ErrorDetail[];
  fields: Partial<Record<Field, string[]>>;
}

const NO_ERRORS: FormErrors = { top: null, code: null, general: [], fields: {} };

/** Maps an API error's `details` (`{ path, message }`) onto the form's fields. */
export function mapApiError(err: unknown): FormErrors {
  if (!(err instanceof ApiError)) return { ...NO_ERRORS, top: err instanceof Error ? err.message : String(err) };
  const fields: Partial<Record<Field, string[]>> = {};
  const general: ErrorDetail[] = [];
  const add = (f: Field, m: string) => {
    const list = fields[f] ?? (fields[f] = []);
    if (!list.includes(m)) list.push(m);
  };
  for (const d of err.details) {
    const head = d.path.split(/[.[\]/]/).filter(Boolean)[0] ?? '';
    if ((FIELDS as readonly string[]).includes(head)) add(head as Field, d.message);
    else general.push(d);
  }
  const codeField = CODE_FIELD[err.code];
  if (codeField && !fields[codeField]) add(codeField, err.message);
  return { top: err.message, code: err.code, general, fields };
}

function FieldError(props: { id: string; messages: string[] | undefined }) {
  if (!props.messages || props.messages.length === 0) return null;
  return (
    <div id={props.id} className="field-error">
      {props.messages.map((m, i) => (
        <p key={i}>
          <span aria-hidden="true">⚠ </span>
          {m}
        </p>
      ))}
    </div>
  );
}

const SCHEDULE_PRESETS = ['exponential', 'extended'] as const;

export function WebhookForm(props: {
  mode: 'create' | 'edit';
  initial: WebhookFormValues;
  catalog: EventType[] | undefined;
  catalogError?: unknown;
  onReloadCatalog?: () => void;
  submitLabel: string;
  onSubmit: (values: WebhookFormValues) => Promise<void>;
  onCancel: () => void;
  extra?: ReactNode;
}) {
  const [values, setValues] = useState<WebhookFormValues>(props.initial);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [submitting, setSubmitting] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const uid = useId();
  const ids = {
    name: `${uid}-name`,
    url: `${uid}-url`,
    secret: `${uid}-secret`,
    retry: `${uid}-retry`,
    rateLimit: `${uid}-rate-limit`,
    err: (f: Field) => `${uid}-${f}-error`,
    hint: (f: Field) => `${uid}-${f}-hint`,
    summary: `${uid}-summary`,
  };

  const customSchedule = typeof props.initial.retrySchedule === 'object' ? props.initial.retrySchedule : null;
  const scheduleKey = typeof values.retrySchedule === 'string' ? values.retrySchedule : 'custom';

  const set = <K extends keyof WebhookFormValues>(key: K, v: WebhookFormValues[K]) => {
    setValues((prev) => ({ ...prev, [key]: v }));
  };

  // After a failed submit, move focus to the first problem so keyboard and screen-reader users find it.
  const focusTarget = useRef<string | null>(null);
  useEffect(() => {
    const target = focusTarget.current;
    if (!target) return;
    focusTarget.current = null;
    const el = formRef.current?.querySelector<HTMLElement>(target);
    el?.focus();
  }, [errors]);

  const fail = (next: FormErrors) => {
    const first = FIELDS.find((f) => next.fields[f]?.length);
    focusTarget.current =
      first === 'events'
        ? 'fieldset.event-picker input[type=checkbox]'
        : first === 'retrySchedule'
          ? `#${CSS.escape(ids.retry)}`
          : first
            ? `#${CSS.escape(ids[first])}`
            : `#${CSS.escape(ids.summary)}`;
    setErrors(next);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (submitting) return;
    const local: FormErrors = { top: null, code: null, general: [], fields: {} };
    if (!values.name.trim()) local.fields.name = ['Enter a name for this webhook.'];
    if (!values.url.trim()) local.fields.url = ['Enter the URL that will receive the POST requests.'];
    if (values.events.length === 0) local.fields.events = ['Select at least one event.'];
    const limit = rateLimitValue(values.rateLimit);
    if (limit !== null && !(Number.isInteger(limit) && limit >= 1 && limit <= 10_000)) local.fields.rateLimit = ['Enter a whole number from 1 to 10,000, or leave it empty for no limit.'];
    if (Object.keys(local.fields).length > 0) {
      fail({ ...local, top: 'Some fields need your attention.' });
      return;
    }
    setSubmitting(true);
    setErrors(NO_ERRORS);
    try {
      await props.onSubmit({ ...values, name: values.name.trim(), url: values.url.trim() });
    } catch (err) {
      fail(mapApiError(err));
    } finally {
      setSubmitting(false);
    }
  };

  const describe = (f: Field, hint?: boolean) => [hint ? ids.hint(f) : null, errors.fields[f]?.length ? ids.err(f) : null].filter(Boolean).join(' ') || undefined;
  const invalid = (f: Field) => (errors.fields[f]?.length ? true : undefined);

  return (
    <form ref={formRef} className="form" onSubmit={(e) => void submit(e)} noValidate aria-busy={submitting || undefined}>
      {errors.top && (
        <div id={ids.summary} className="banner banner-error" role="alert" tabIndex={-1}>
          <strong>{props.mode === 'create' ? 'The webhook was not created. ' : 'The changes were not saved. '}</strong>
          {errors.top}
          {errors.code && <span className="muted"> ({errors.code})</span>}
          {errors.general.length > 0 && (
            <ul>
              {errors.general.map((d, i) => (
                <li key={i}>
                  {d.path && <code>{d.path}</code>} {d.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}

      <div className="field">
        <label htmlFor={ids.name}>Name</label>
        <p id={ids.hint('name')} className="hint">
          A label for this webhook, e.g. “CRM Sync”.
        </p>
        <input
          id={ids.name}
          name="name"
          type="text"
          value={values.name}
          onChange={(e) => set('name', e.target.value)}
          aria-invalid={invalid('name')}
          aria-describedby={describe('name', true)}
          autoComplete="off"
          maxLength={200}
          required
        />
        <FieldError id={ids.err('name')} messages={errors.fields.name} />
      </div>

      <div className="field">
        <label htmlFor={ids.url}>URL</label>
        <p id={ids.hint('url')} className="hint">
          The HTTPS endpoint that will receive the signed POST requests.
        </p>
        <input
          id={ids.url}
          name="url"
          type="url"
          inputMode="url"
          value={values.url}
          onChange={(e) => set('url', e.target.value)}
          aria-invalid={invalid('url')}
          aria-describedby={describe('url', true)}
          placeholder="https://example.com/webhooks/hookferry"
          autoComplete="off"
          spellCheck={false}
          required
        />
        <FieldError id={ids.err('url')} messages={errors.fields.url} />
      </div>

      {props.mode === 'create' && (
        <div className="field">
          <label htmlFor={ids.secret}>
            Secret <span className="muted">(optional)</span>
          </label>
          <p id={ids.hint('secret')} className="hint">
            Used to sign every delivery (HMAC-SHA256). Leave empty to generate one.
          </p>
          <input
            id={ids.secret}
            name="secret"
            type="text"
            value={values.secret}
            onChange={(e) => set('secret', e.target.value)}
            aria-invalid={invalid('secret')}
            aria-describedby={describe('secret', true)}
            autoComplete="off"
            spellCheck={false}
          />
          <FieldError id={ids.err('secret')} messages={errors.fields.secret} />
        </div>
      )}

      <div className="field">
        {props.catalog ? (
          <EventPicker
            catalog={props.catalog}
            value={values.events}
            onChange={(v) => set('events', v)}
            invalid={invalid('events')}
            errorId={errors.fields.events?.length ? ids.err('events') : undefined}
          />
        ) : props.catalogError ? (
          <ErrorBanner title="Could not load the event catalog." error={props.catalogError} onRetry={props.onReloadCatalog} />
        ) : (
          <Loading label="Loading event types…" />
        )}
        <FieldError id={ids.err('events')} messages={errors.fields.events} />
      </div>

      <div className="field">
        <label htmlFor={ids.retry}>Retry schedule</label>
        <p id={ids.hint('retrySchedule')} className="hint">
          How failed deliveries are retried. Each attempt times out after 10 seconds.
        </p>
        <select
          id={ids.retry}
          name="retrySchedule"
          value={scheduleKey}
          onChange={(e) => {
            const v = e.target.value;
            if (v === 'custom' && customSchedule) set('retrySchedule', customSchedule);
            else if (v === 'exponential' || v === 'extended') set('retrySchedule', v);
          }}
          aria-invalid={invalid('retrySchedule')}
          aria-describedby={describe('retrySchedule', true)}
        >
          {SCHEDULE_PRESETS.map((p) => (
            <option key={p} value={p}>
              {describeRetrySchedule(p)}
              {p === 'exponential' ? ' — default' : ''}
            </option>
          ))}
          {customSchedule && <option value="custom">{describeRetrySchedule(customSchedule)}</option>}
        </select>
        <FieldError id={ids.err('retrySchedule')} messages={errors.fields.retrySchedule} />
      </div>

      <div className="field">
        <label htmlFor={ids.rateLimit}>Rate limit (optional)</label>
        <p id={ids.hint('rateLimit')} className="hint">
          At most this many requests a second to the URL. Deliveries above it wait their turn; they never count as failures. Empty: no limit.
        </p>
        <input
          id={ids.rateLimit}
          name="rateLimit"
          inputMode="numeric"
          value={values.rateLimit}
          onChange={(e) => set('rateLimit', e.target.value)}
          aria-invalid={invalid('rateLimit')}
          aria-describedby={describe('rateLimit', true)}
        />
        <FieldError id={ids.err('rateLimit')} messages={errors.fields.rateLimit} />
      </div>

      {props.extra}

      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={submitting}>
          {submitting ? 'Saving…' : props.submitLabel}
        </button>
        <button type="button" className="button" onClick={props.onCancel} disabled={submitting}>
          Cancel
        </button>
      </div>
    </form>
  );
}
