import { useId, useRef, useState, type FormEvent } from 'react';
import { Api, ApiError, type Me } from '../api';
import { Brand } from '../components/Brand';

export function SignIn(props: { notice?: string | null; onSignedIn: (key: string, me: Me) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const inputId = useId();
  const hintId = useId();
  const errorId = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setError('Paste an API key to sign in.');
      inputRef.current?.focus();
      return;
    }
    setChecking(true);
    setError(null);
    try {
      const me = await new Api(trimmed).me();
      props.onSignedIn(trimmed, me);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) setError('That API key was not accepted. Check it and try again.');
      else setError(err instanceof Error ? err.message : String(err));
      setChecking(false);
      inputRef.current?.focus();
    }
  };

  return (
    <div className="signin-page">
      <main className="signin-card" id="main">
        <Brand large />
        <h1>Sign in to the dashboard</h1>
        {props.notice && (
          <p className="banner banner-info" role="status">
            {props.notice}
          </p>
        )}
        <form onSubmit={(e) => void submit(e)} noValidate>
          <div className="field">
            <label htmlFor={inputId}>API key</label>
            <p id={hintId} className="hint">
              Your team’s API key. It is kept in this browser tab only (sessionStorage) and sent as a Bearer token.
            </p>
            <input
              ref={inputRef}
              id={inputId}
              type="password"
              value={key}
              onChange={(e) => setKey(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              autoFocus
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? `${hintId} ${errorId}` : hintId}
            />
            <div id={errorId} className="field-error" role="alert">
              {error && <p>{error}</p>}
            </div>
          </div>
          <button type="submit" className="button button-primary button-block" disabled={checking}>
            {checking ? 'Checking…' : 'Sign in'}
          </button>
        </form>
      </main>
    </div>
  );
}
