import { sql, type RawBuilder } from 'kysely';
import { AppError } from '../domain/errors';

/**
 * Opaque keyset cursors: base64url JSON of the last row's sort key.
 *
 * `at` must carry the row's timestamp at the database's full (microsecond) precision: a
 * JavaScript Date keeps only milliseconds, and a truncated key makes `(created_at, id) > key`
 * repeat rows (ascending order) or skip rows (descending order) created within the same
 * millisecond as the page's last row. Select it with `cursorTimestamp(column)`.
 */
export interface Cursor {
  at: string;
  id: string;
}

/** `column` as ISO-8601 UTC text with microseconds, for `Cursor.at`. */
export function cursorTimestamp(column: string): RawBuilder<string> {
  return sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

const CURSOR_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const CURSOR_ID = /^[A-Za-z0-9_-]{1,200}$/;

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify({ at: c.at, id: c.id })).toString('base64url');
}

/** The cursor, or undefined for none; anything this API did not hand out is invalid. */
export function decodeCursor(text: string | undefined): Cursor | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    // Only well-formed keys reach SQL: a timestamp PostgreSQL parses, an id of the id alphabet.
    if (typeof parsed?.at === 'string' && typeof parsed?.id === 'string' && CURSOR_AT.test(parsed.at) && !Number.isNaN(Date.parse(parsed.at)) && CURSOR_ID.test(parsed.id)) {
      return { at: parsed.at, id: parsed.id };
    }
  } catch {
    // fall through
  }
  throw new AppError('invalid', 'invalid_cursor', 'the cursor is not one this API returned');
}
