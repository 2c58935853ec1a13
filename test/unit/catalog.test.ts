import {
  BUILT_IN_EVENT_TYPES,
  EVENT_TYPE_ID_PATTERN,
  PRESET_NAMES,
  builtInEventTypes,
  findBuiltInEventType,
  isValidEventTypeId,
  parsePresetList,
  type EventTypeDefinition,
  type PresetName,
} from '../../src/domain/catalog';

const OUTREACH_IDS = [
  'linkedin.message.sent',
  'linkedin.message.received',
  'linkedin.invitation.sent',
  'linkedin.invitation.accepted',
  // "Event Categories" section of the outreach seed's List Test Events page
  'prospect.qualified',
  'prospect.responded',
  'prospect.disqualified',
  'prospect.paused',
  'prospect.resumed',
  'campaign.started',
  'campaign.paused',
  'campaign.resumed',
  'campaign.completed',
  'campaign.deleted',
  'message.sent',
  'message.failed',
  'message.received',
  'message.scheduled',
  'connection.sent',
  'connection.accepted',
  'connection.rejected',
  'connection.withdrawn',
  'agent.status_changed',
  'agent.health_alert',
  'agent.limits_reached',
  'agent.offline',
];
const ANALYTICS_IDS = [
  'chat',
  'message',
  'insight.summary',
  'insight.topic',
  'insight.key',
  'insight.conversation',
  'insight.sentiment',
];
const VOICE_IDS = ['call.started', 'call.ended', 'call.failed', 'call.recording.completed', 'transcription.completed'];

const ids = (types: readonly EventTypeDefinition[]): string[] => types.map((t) => t.id);

function byId(id: string): EventTypeDefinition {
  const def = BUILT_IN_EVENT_TYPES.find((t) => t.id === id);
  if (!def) throw new Error(`missing ${id}`);
  return def;
}

/** Throws unless `value` is made only of plain objects, arrays, strings, finite numbers, booleans and null. */
function assertPlainJson(value: unknown, path: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${path}: non-finite number`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertPlainJson(v, `${path}[${i}]`));
    return;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw new Error(`${path}: not a plain object`);
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) assertPlainJson(v, `${path}.${k}`);
    return;
  }
  throw new Error(`${path}: unsupported ${typeof value}`);
}

describe('built-in event catalog', () => {
  it('has the expected presets', () => {
    expect([...PRESET_NAMES]).toEqual(['outreach', 'analytics', 'voice']);
  });

  it('holds every seed event type per preset, in catalog order', () => {
    expect(ids(builtInEventTypes(['outreach']))).toEqual(OUTREACH_IDS);
    expect(ids(builtInEventTypes(['analytics']))).toEqual(ANALYTICS_IDS);
    expect(ids(builtInEventTypes(['voice']))).toEqual(VOICE_IDS);
    expect(ids(BUILT_IN_EVENT_TYPES)).toEqual([...OUTREACH_IDS, ...ANALYTICS_IDS, ...VOICE_IDS]);
  });

  it('has the expected counts', () => {
    const outreach = builtInEventTypes(['outreach']);
    expect(outreach).toHaveLength(26);
    expect(outreach.filter((t) => t.category === 'linkedin')).toHaveLength(4);
    expect(outreach.filter((t) => t.category !== 'linkedin')).toHaveLength(22);
    const perCategory: Record<string, number> = {};
    for (const t of outreach) perCategory[t.category] = (perCategory[t.category] ?? 0) + 1;
    expect(perCategory).toEqual({ linkedin: 4, prospect: 5, campaign: 5, message: 4, connection: 4, agent: 4 });
    expect(builtInEventTypes(['analytics'])).toHaveLength(7);
    expect(builtInEventTypes(['voice'])).toHaveLength(5);
    expect(BUILT_IN_EVENT_TYPES).toHaveLength(38);
  });

  it('has unique ids across all presets', () => {
    const all = ids(BUILT_IN_EVENT_TYPES);
    expect(new Set(all).size).toBe(all.length);
  });

  it('has valid ids, categories equal to the prefix, and non-empty names/descriptions', () => {
    for (const t of BUILT_IN_EVENT_TYPES) {
      expect(isValidEventTypeId(t.id)).toBe(true);
      expect(EVENT_TYPE_ID_PATTERN.test(t.id)).toBe(true);
      expect(t.category).toBe(t.id.includes('.') ? t.id.split('.')[0] : t.id);
      expect(t.name.trim()).not.toBe('');
      expect(t.description.trim()).not.toBe('');
      expect(t.preset).not.toBe('custom');
    }
    expect(byId('call.recording.completed').category).toBe('call');
    expect(byId('transcription.completed').category).toBe('transcription');
    expect(byId('chat').category).toBe('chat');
    expect(byId('message').category).toBe('message');
    expect(byId('message').preset).toBe('analytics');
    expect(byId('message.sent').preset).toBe('outreach');
  });

  it('uses the seeds’ names and descriptions where they are given', () => {
    expect(byId('prospect.qualified')).toMatchObject({
      name: 'Prospect Qualified',
      description: 'Triggered when a prospect is marked as qualified',
      category: 'prospect',
    });
    expect(byId('agent.status_changed')).toMatchObject({
      name: 'Agent Status Changed',
      description: "Triggered when an agent's status changes",
    });
    expect(byId('connection.accepted').description).toBe('Triggered when a LinkedIn connection is accepted');
    expect(byId('linkedin.message.received').description).toBe('Prospect responds to an agent');
    expect(byId('call.failed').description).toBe('Call failed to connect');
  });

  it('has plain, JSON-serialisable, non-empty examples', () => {
    for (const t of BUILT_IN_EVENT_TYPES) {
      expect(() => assertPlainJson(t.example, t.id)).not.toThrow();
      expect(Array.isArray(t.example)).toBe(false);
      expect(Object.keys(t.example).length).toBeGreaterThan(0);
      expect(JSON.parse(JSON.stringify(t.example))).toEqual(t.example);
    }
  });

  it('follows the seeds’ example payload shapes', () => {
    expect(Object.keys(byId('linkedin.message.received').example)).toEqual([
      'agentId',
      'campaignId',
      'chatId',
      'prospectId',
      'message',
      'timestamp',
    ]);
    expect(byId('call.ended').example).toEqual({
      call_id: 'call_xyz789',
      from_number: '+2348012345678',
      to_number: '+14155551234',
      direction: 'outbound',
      duration: 180,
      cost_cents: 12,
      status: 'completed',
    });
  });

  it('uses fixed ISO-8601 timestamps in examples', () => {
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
    const check = (value: unknown, key: string): void => {
      if (typeof value === 'string' && /(^timestamp$|At$|_at$|For$)/.test(key)) {
        expect(value).toMatch(iso);
        expect(Number.isNaN(Date.parse(value))).toBe(false);
      } else if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) check(v, k);
      }
    };
    for (const t of BUILT_IN_EVENT_TYPES) check(t.example, '');
  });

  it('is immutable', () => {
    const def = byId('call.ended');
    expect(Object.isFrozen(BUILT_IN_EVENT_TYPES)).toBe(true);
    expect(Object.isFrozen(def)).toBe(true);
    expect(Object.isFrozen(def.example)).toBe(true);
    expect(() => {
      (def.example as Record<string, unknown>).status = 'mutated';
    }).toThrow(TypeError);
  });

  it('filters by preset in catalog order regardless of the order asked for', () => {
    const voiceFirst = builtInEventTypes(['voice', 'outreach']);
    expect(ids(voiceFirst)).toEqual([...OUTREACH_IDS, ...VOICE_IDS]);
    expect(builtInEventTypes([])).toEqual([]);
    expect(builtInEventTypes([...PRESET_NAMES])).toEqual([...BUILT_IN_EVENT_TYPES]);
    // The result is a fresh array the caller may modify.
    const copy = builtInEventTypes(['analytics']);
    copy.pop();
    expect(builtInEventTypes(['analytics'])).toHaveLength(7);
  });

  it('finds built-in event types by id', () => {
    expect(findBuiltInEventType('message')?.preset).toBe('analytics');
    expect(findBuiltInEventType('nope.nope')).toBeUndefined();
    expect(findBuiltInEventType('*')).toBeUndefined();
  });
});

describe('parsePresetList', () => {
  const all: PresetName[] = ['outreach', 'analytics', 'voice'];

  it.each([[undefined], [''], ['   '], ['all'], ['ALL'], [' all '], [',']])('%p means all presets', (value) => {
    expect(parsePresetList(value)).toEqual(all);
  });

  it('parses a comma-separated list', () => {
    expect(parsePresetList('outreach,voice')).toEqual(['outreach', 'voice']);
    expect(parsePresetList('voice')).toEqual(['voice']);
    expect(parsePresetList(' voice , Analytics ')).toEqual(['voice', 'analytics']);
    expect(parsePresetList('voice,,voice,')).toEqual(['voice']);
    expect(parsePresetList('voice,all')).toEqual(all);
  });

  it('throws an Error naming an unknown preset', () => {
    expect(() => parsePresetList('outreach,telephony')).toThrow(Error);
    expect(() => parsePresetList('outreach,telephony')).toThrow(/telephony/);
    expect(() => parsePresetList('all,bogus')).toThrow(/bogus/);
    expect(() => parsePresetList('custom')).toThrow(/custom/);
  });

  it('returns a fresh array each time', () => {
    const a = parsePresetList(undefined);
    a.pop();
    expect(parsePresetList(undefined)).toEqual(all);
    expect([...PRESET_NAMES]).toEqual(all);
  });
});

describe('event type id validation', () => {
  it.each([
    'a',
    'chat',
    'prospect.qualified',
    'agent.status_changed',
    'call.recording.completed',
    'v2.order_1.created',
    '_',
    'x'.repeat(100),
    `${'a'.repeat(49)}.${'b'.repeat(50)}`,
  ])('accepts %p', (id) => {
    expect(isValidEventTypeId(id)).toBe(true);
    expect(EVENT_TYPE_ID_PATTERN.test(id)).toBe(true);
  });

  it.each([
    '',
    '*',
    'prospect.*',
    '.chat',
    'chat.',
    'a..b',
    'Prospect.Qualified',
    'prospect-qualified',
    'prospect qualified',
    ' chat',
    'chat\n',
    'prospect/qualified',
    'é',
    'x'.repeat(101),
    `${'a'.repeat(50)}.${'b'.repeat(50)}`,
  ])('rejects %p', (id) => {
    expect(isValidEventTypeId(id)).toBe(false);
    expect(EVENT_TYPE_ID_PATTERN.test(id)).toBe(false);
  });

  it('is stateless across calls', () => {
    expect(EVENT_TYPE_ID_PATTERN.global).toBe(false);
    expect(EVENT_TYPE_ID_PATTERN.sticky).toBe(false);
    for (let i = 0; i < 3; i++) expect(isValidEventTypeId('chat')).toBe(true);
  });

  it('rejects non-string input at runtime', () => {
    expect(isValidEventTypeId(undefined as unknown as string)).toBe(false);
    expect(isValidEventTypeId(42 as unknown as string)).toBe(false);
  });
});
