import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Api, ApiError, type Me } from './api';
import { Brand } from './components/Brand';
import { Loading } from './components/common';
import { Credits } from './pages/Credits';
import { Deliveries } from './pages/Deliveries';
import { DeliveryDetail } from './pages/DeliveryDetail';
import { NotFound } from './pages/NotFound';
import { SignIn } from './pages/SignIn';
import { WebhookCreate } from './pages/WebhookCreate';
import { WebhookDetail } from './pages/WebhookDetail';
import { WebhookList } from './pages/WebhookList';
import { paths, sectionOf, useRoute, type Route } from './router';
import { NotifyContext, readStoredKey, SessionContext, storeKey, type NoticeKind, type NotifyOptions, type Session } from './session';

type Auth =
  | { state: 'checking'; key: string }
  | { state: 'signed-out'; notice: string | null }
  | { state: 'signed-in'; key: string; me: Me };

export function App() {
  const [auth, setAuth] = useState<Auth>(() => {
    const key = readStoredKey();
    return key ? { state: 'checking', key } : { state: 'signed-out', notice: null };
  });

  const signOut = useCallback((notice: string | null = null) => {
    storeKey(null);
    setAuth({ state: 'signed-out', notice });
  }, []);

  // A key from an earlier visit in this tab: check it is still accepted.
  useEffect(() => {
    if (auth.state !== 'checking') return;
    let live = true;
    new Api(auth.key).me().then(
      (me) => {
        if (live) setAuth({ state: 'signed-in', key: auth.key, me });
      },
      (err: unknown) => {
        if (!live) return;
        if (err instanceof ApiError && err.status === 401) signOut('Your saved API key is no longer accepted. Sign in again.');
        else signOut(`Could not check the saved API key: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
    return () => {
      live = false;
    };
  }, [auth, signOut]);

  if (auth.state === 'checking') {
    return (
      <div className="signin-page">
        <main className="signin-card" id="main">
          <Loading label="Signing in…" />
        </main>
      </div>
    );
  }
  if (auth.state === 'signed-out') {
    return (
      <SignIn
        notice={auth.notice}
        onSignedIn={(key, me) => {
          storeKey(key);
          setAuth({ state: 'signed-in', key, me });
        }}
      />
    );
  }
  return <Shell key={auth.key} apiKey={auth.key} me={auth.me} signOut={signOut} />;
}

interface Notice {
  id: number;
  message: string;
  kind: NoticeKind;
  survivesNavigation: boolean;
}

const SECTION_TITLES = { webhooks: 'Webhooks', deliveries: 'Deliveries', credits: 'Credits' } as const;

function Shell(props: { apiKey: string; me: Me; signOut: (notice?: string | null) => void }) {
  const { signOut } = props;
  const route = useRoute();
  const mainRef = useRef<HTMLElement>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const noticeSeq = useRef(0);

  const api = useMemo(
    () => new Api(props.apiKey, () => signOut('Your API key is no longer accepted. Sign in again.')),
    [props.apiKey, signOut],
  );
  const session: Session = useMemo(() => ({ api, me: props.me, signOut: () => signOut(null) }), [api, props.me, signOut]);

  const notify = useCallback((message: string, kind: NoticeKind = 'info', opts: NotifyOptions = {}) => {
    setNotice({ id: ++noticeSeq.current, message, kind, survivesNavigation: !!opts.survivesNavigation });
  }, []);

  // Success and info messages fade after a while; errors stay until dismissed or replaced.
  useEffect(() => {
    if (!notice || notice.kind === 'error') return;
    const t = setTimeout(() => setNotice((n) => (n && n.id === notice.id ? null : n)), 10000);
    return () => clearTimeout(t);
  }, [notice]);

  // Move focus to the new screen's heading so keyboard and screen-reader users land on it.
  const routeKey = JSON.stringify(route);
  const firstRoute = useRef(true);
  useEffect(() => {
    const section = sectionOf(route);
    document.title = section ? `${SECTION_TITLES[section]} · Hookferry` : 'Hookferry';
    if (firstRoute.current) {
      firstRoute.current = false;
      // Just signed in (focus was on the removed sign-in form): start on the page heading.
      if (document.activeElement === document.body || document.activeElement === null) {
        mainRef.current?.querySelector<HTMLElement>('h1')?.focus();
      }
      return;
    }
    // A message about the previous screen is stale on the next one, unless it was sent
    // for the navigation itself (e.g. "Webhook deleted" followed by the jump to the list).
    setNotice((n) => (n && n.survivesNavigation ? { ...n, survivesNavigation: false } : null));
    const heading = mainRef.current?.querySelector<HTMLElement>('h1');
    (heading ?? mainRef.current)?.focus();
  }, [routeKey]);

  const section = sectionOf(route);
  const nav: Array<{ key: keyof typeof SECTION_TITLES; href: string }> = [
    { key: 'webhooks', href: paths.webhooks() },
    { key: 'deliveries', href: paths.deliveries() },
    { key: 'credits', href: paths.credits() },
  ];

  return (
    <SessionContext.Provider value={session}>
      <NotifyContext.Provider value={notify}>
        <div className="app">
          <a
            className="skip-link"
            href="#main"
            onClick={(e) => {
              e.preventDefault();
              mainRef.current?.focus();
            }}
          >
            Skip to content
          </a>
          <header className="sidebar">
            <Brand />
            <nav aria-label="Main" className="nav">
              <ul>
                {nav.map((n) => (
                  <li key={n.key}>
                    <a href={n.href} aria-current={section === n.key ? 'page' : undefined}>
                      {SECTION_TITLES[n.key]}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
            <div className="sidebar-footer">
              <p className="team" title={props.me.team.id}>
                <span className="visually-hidden">Team: </span>
                {props.me.team.name}
              </p>
              <button type="button" className="button button-small button-ghost" onClick={() => signOut(null)}>
                Sign out
              </button>
            </div>
          </header>
          <main id="main" ref={mainRef} tabIndex={-1}>
            <div className="notice-region" role="status" aria-live="polite" aria-atomic="true">
              {notice && notice.kind !== 'error' && <NoticeBanner notice={notice} onDismiss={() => setNotice(null)} />}
            </div>
            <div className="notice-region" role="alert" aria-atomic="true">
              {notice && notice.kind === 'error' && <NoticeBanner notice={notice} onDismiss={() => setNotice(null)} />}
            </div>
            <Screen route={route} />
          </main>
        </div>
      </NotifyContext.Provider>
    </SessionContext.Provider>
  );
}

function NoticeBanner(props: { notice: Notice; onDismiss: () => void }) {
  return (
    <div className={`banner notice banner-${props.notice.kind}`} data-testid="notice">
      <span className="notice-text">{props.notice.message}</span>
      <button type="button" className="banner-dismiss" onClick={props.onDismiss} aria-label="Dismiss message">
        ×
      </button>
    </div>
  );
}

function Screen(props: { route: Route }) {
  const r = props.route;
  switch (r.name) {
    case 'webhooks':
      return <WebhookList />;
    case 'webhook-new':
      return <WebhookCreate />;
    case 'webhook':
      return <WebhookDetail key={r.id} id={r.id} />;
    case 'deliveries':
      return <Deliveries />;
    case 'delivery':
      return <DeliveryDetail key={r.id} id={r.id} />;
    case 'credits':
      return <Credits />;
    case 'not-found':
      return <NotFound path={r.path} />;
  }
}
