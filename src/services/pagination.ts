import { ApiError } from '../api/errors';

/** Opaque keyset cursors: base64url JSON of the last row's sort key. */
export interface Cursor {
  at: string;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(text: string | undefined): Cursor | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (typeof parsed?.at === 'string' && typeof parsed?.id === 'string' && !Number.isNaN(Date.parse(parsed.at))) return parsed;
  } catch {
    // fall through
  }
  throw new ApiError(400, 'invalid_cursor', 'the cursor is not one this API returned');
}
