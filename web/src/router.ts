// Minimal hash router: the API serves index.html at `/`, every screen lives after `#`.
import { useEffect, useState } from 'react';

export type Route =
  | { name: 'webhooks' }
  | { name: 'webhook-new' }
  | { name: 'webhook'; id: string }
  | { name: 'deliveries' }
  | { name: 'delivery'; id: string }
  | { name: 'credits' }
  | { name: 'not-found'; path: string };

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '').split('?')[0] ?? '';
  const parts = raw
    .split('/')
    .filter((p) => p.length > 0)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  if (parts.length === 0) return { name: 'webhooks' };
  const [first, second, ...rest] = parts;
  if (rest.length > 0) return { name: 'not-found', path: raw };
  switch (first) {
    case 'webhooks':
      if (second === undefined) return { name: 'webhooks' };
      if (second === 'new') return { name: 'webhook-new' };
      return { name: 'webhook', id: second };
    case 'deliveries':
      if (second === undefined) return { name: 'deliveries' };
      return { name: 'delivery', id: second };
    case 'credits':
      if (second === undefined) return { name: 'credits' };
      break;
  }
  return { name: 'not-found', path: raw };
}

export const paths = {
  webhooks: () => '#/webhooks',
  newWebhook: () => '#/webhooks/new',
  webhook: (id: string) => `#/webhooks/${encodeURIComponent(id)}`,
  deliveries: () => '#/deliveries',
  delivery: (id: string) => `#/deliveries/${encodeURIComponent(id)}`,
  credits: () => '#/credits',
};

export function navigate(hash: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) {
    const url = new URL(window.location.href);
    url.hash = hash;
    window.history.replaceState(null, '', url);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    window.location.hash = hash;
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** Which sidebar entry a route belongs to. */
export function sectionOf(route: Route): 'webhooks' | 'deliveries' | 'credits' | null {
  switch (route.name) {
    case 'webhooks':
    case 'webhook-new':
    case 'webhook':
      return 'webhooks';
    case 'deliveries':
    case 'delivery':
      return 'deliveries';
    case 'credits':
      return 'credits';
    default:
      return null;
  }
}
