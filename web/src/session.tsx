// Session (API key + team) and status-message contexts shared by every screen.
import { createContext, useContext } from 'react';
import type { Api, Me } from './api';

export const API_KEY_STORAGE = 'hookferry.apiKey';

export function readStoredKey(): string | null {
  try {
    return window.sessionStorage.getItem(API_KEY_STORAGE);
  } catch {
    return null;
  }
}

export function storeKey(key: string | null): void {
  try {
    if (key === null) window.sessionStorage.removeItem(API_KEY_STORAGE);
    else window.sessionStorage.setItem(API_KEY_STORAGE, key);
  } catch {
    // sessionStorage unavailable (privacy mode): the key lives in memory only.
  }
}

export interface Session {
  api: Api;
  me: Me;
  signOut: () => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside of a signed-in screen');
  return session;
}

export type NoticeKind = 'success' | 'error' | 'info';
export interface NotifyOptions {
  /** Keep the message on the next screen (for messages sent right before navigating). */
  survivesNavigation?: boolean;
}
export type Notify = (message: string, kind?: NoticeKind, opts?: NotifyOptions) => void;

export const NotifyContext = createContext<Notify>(() => {});

/** Shows a message in the page's live region (announced by screen readers). */
export function useNotify(): Notify {
  return useContext(NotifyContext);
}
