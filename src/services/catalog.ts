import type { Selectable } from 'kysely';
import type { Db } from '../db/database';
import type { EventTypesTable } from '../db/schema';
import { builtInEventTypes, eventTypeCategory, type EventTypeDefinition, type PresetName } from '../domain/catalog';
import { AppError } from '../domain/errors';
import { ALL_EVENTS } from '../domain/eventMatching';

/** The event types a deployment exposes: the configured presets plus operator-added ones. */
export interface Catalog {
  list(): Promise<EventTypeDefinition[]>;
  get(id: string): Promise<EventTypeDefinition | undefined>;
  /** Subscriptions that name no known event type or category. */
  unknownSubscriptions(subscriptions: readonly string[]): Promise<string[]>;
  add(def: Omit<EventTypeDefinition, 'preset' | 'category'> & { category?: string }): Promise<EventTypeDefinition>;
}

function customType(c: Selectable<EventTypesTable>): EventTypeDefinition {
  return { id: c.id, name: c.name, description: c.description, category: c.category, preset: 'custom', example: c.example };
}

export function createCatalog(db: Db, presets: readonly PresetName[]): Catalog {
  const builtIn = builtInEventTypes(presets);
  const builtInIds = new Set(builtIn.map((e) => e.id));

  async function list(): Promise<EventTypeDefinition[]> {
    const custom = await db.selectFrom('event_types').selectAll().orderBy('id').execute();
    return [
      ...builtIn,
      ...custom
        .filter((c) => !builtInIds.has(c.id))
        .map(customType),
    ];
  }

  return {
    list,
    async get(id) {
      // Every ingest calls this: a built-in type needs no query, a custom one a single lookup.
      const builtInType = builtIn.find((e) => e.id === id);
      if (builtInType) return builtInType;
      const c = await db.selectFrom('event_types').selectAll().where('id', '=', id).executeTakeFirst();
      return c && customType(c);
    },
    async unknownSubscriptions(subscriptions) {
      const all = await list();
      const ids = new Set(all.map((e) => e.id));
      return subscriptions.filter((s) => {
        if (s === ALL_EVENTS) return false;
        if (s.endsWith('.*')) {
          const prefix = s.slice(0, -1); // keeps the dot: 'prospect.'
          return !all.some((e) => e.id.startsWith(prefix));
        }
        return !ids.has(s);
      });
    },
    async add(def) {
      // Built-in types come from code; a row for one would be ignored by list(), so the
      // "update" would silently do nothing.
      if (builtInIds.has(def.id)) throw new AppError('conflict', 'built_in_event_type', `"${def.id}" is a built-in event type and cannot be changed`);
      const category = def.category ?? eventTypeCategory(def.id);
      await db
        .insertInto('event_types')
        .values({ id: def.id, name: def.name, description: def.description, category, example: JSON.stringify(def.example) })
        .onConflict((oc) => oc.column('id').doUpdateSet({ name: def.name, description: def.description, category, example: JSON.stringify(def.example) }))
        .execute();
      return { id: def.id, name: def.name, description: def.description, category, preset: 'custom', example: def.example };
    },
  };
}
