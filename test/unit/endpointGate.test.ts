import { createEndpointGate, type EndpointSlot } from '../../src/delivery/endpointGate';

// The endpoint gate alone (pure logic, fake timers): each endpoint's share of a worker, and how
// an endpoint comes to be treated as slow and stops being so.

const options = { concurrency: 2, slowConcurrency: 1, slowTotal: 100, slowAfterMs: 1_000, slowForMs: 30_000 };
const quick = { timedOut: false, durationMs: 20 };

beforeEach(() => jest.useFakeTimers({ now: Date.parse('2030-01-01T00:00:00Z') }));
afterEach(() => jest.useRealTimers());

const slot = (outcome: EndpointSlot | 'slow' | undefined): EndpointSlot => {
  if (outcome === undefined || outcome === 'slow') throw new Error(`expected a slot, got ${outcome}`);
  return outcome;
};

test('an endpoint gets at most its share; the next waits and takes the slot the first gives back', async () => {
  const gate = createEndpointGate(options);
  const first = slot(await gate.acquire('a'));
  slot(await gate.acquire('a'));
  expect(gate.tryEnter('a')).toBeUndefined();
  slot(await gate.acquire('b')); // other endpoints are not affected
  let third: EndpointSlot | 'slow' | undefined;
  void gate.acquire('a').then((o) => (third = o));
  await Promise.resolve();
  expect(third).toBeUndefined();
  first.leave(quick);
  await Promise.resolve();
  expect(typeof third).toBe('object');
  expect(gate.tryEnter('a')).toBeUndefined(); // the slot passed on, not freed
  first.leave(quick); // a second leave of the same slot changes nothing
  expect(gate.tryEnter('a')).toBeUndefined();
});

test('a long queue behind an endpoint that answers quickly does not make it slow', async () => {
  const gate = createEndpointGate(options);
  const held = [slot(await gate.acquire('busy')), slot(await gate.acquire('busy'))];
  const outcomes: Array<EndpointSlot | 'slow'> = [];
  for (let i = 0; i < 10; i++) void gate.acquire('busy').then((o) => outcomes.push(o));
  // Slots are given back quickly, one after another, while the queue waits for far longer than slowAfterMs.
  for (let i = 0; i < 10; i++) {
    jest.advanceTimersByTime(400);
    held.shift()!.leave(quick);
    await Promise.resolve();
    held.push(outcomes[outcomes.length - 1] as EndpointSlot);
  }
  expect(outcomes).toHaveLength(10);
  expect(outcomes.every((o) => o !== 'slow')).toBe(true);
  expect(gate.isSlow('busy')).toBe(false);
});

test('an attempt in flight longer than slowAfterMs marks the endpoint slow: every waiter is told, and later batches do not wait', async () => {
  const gate = createEndpointGate(options);
  await gate.acquire('hang');
  await gate.acquire('hang');
  const waiting = [gate.acquire('hang'), gate.acquire('hang')];
  jest.advanceTimersByTime(1_500);
  expect(await Promise.all(waiting)).toEqual(['slow', 'slow']);
  expect(gate.isSlow('hang')).toBe(true);
  expect(await gate.acquire('hang')).toBe('slow');
  // Its own workflows get the slow share: one at a time, and both slots are still held here.
  expect(gate.tryEnter('hang')).toBeUndefined();
});

test('a timeout or a slow answer marks an endpoint slow for slowForMs; a quick answer clears it sooner', () => {
  const gate = createEndpointGate(options);
  slot(gate.tryEnter('e')).leave({ timedOut: true, durationMs: 10_000 });
  expect(gate.isSlow('e')).toBe(true);
  const one = slot(gate.tryEnter('e'));
  expect(gate.tryEnter('e')).toBeUndefined(); // the slow share is one
  one.leave(quick);
  expect(gate.isSlow('e')).toBe(false);

  slot(gate.tryEnter('f')).leave({ timedOut: false, durationMs: 1_500 });
  expect(gate.isSlow('f')).toBe(true);
  jest.advanceTimersByTime(30_001);
  expect(gate.isSlow('f')).toBe(false);
});

test('a slot given back without an attempt (a deferral) teaches nothing', () => {
  const gate = createEndpointGate(options);
  slot(gate.tryEnter('g')).leave({ timedOut: true, durationMs: 10_000 });
  slot(gate.tryEnter('g')).leave();
  expect(gate.isSlow('g')).toBe(true);
});

test('a delivery that finds no slot gets a turn: turns are spaced by how often a slot frees up, one after another', () => {
  const gate = createEndpointGate(options);
  // A healthy endpoint in use whose attempts take about 200 ms, share 2: a slot frees about every 100 ms.
  const first = slot(gate.tryEnter('quick'));
  for (let i = 0; i < 20; i++) slot(gate.tryEnter('quick')).leave({ timedOut: false, durationMs: 200 });
  const slots = [first, slot(gate.tryEnter('quick'))];
  const turns = [gate.nextTurnInMs('quick'), gate.nextTurnInMs('quick'), gate.nextTurnInMs('quick')];
  expect(turns[0]).toBeGreaterThanOrEqual(90);
  expect(turns[0]).toBeLessThanOrEqual(110);
  expect(turns[1] - turns[0]).toBe(turns[0]);
  expect(turns[2] - turns[1]).toBe(turns[0]);
  // Time passing uses up turns: the next one is counted from the last turn given, not from now.
  jest.advanceTimersByTime(150);
  expect(gate.nextTurnInMs('quick')).toBe(4 * turns[0] - 150);
  for (const s of slots) s.leave({ timedOut: false, durationMs: 200 });
});

test('a hanging endpoint gives turns far apart (attempt timeout ÷ its slow share), so its queue does not poll', () => {
  const gate = createEndpointGate(options); // slow share 1, slowAfterMs 1 s
  // Marked slow by an attempt in flight too long, before any attempt has come back: turns are a
  // slowAfterMs apart at least.
  const hanging = slot(gate.tryEnter('hang'));
  jest.advanceTimersByTime(1_500);
  expect(gate.isSlow('hang')).toBe(true);
  expect(gate.nextTurnInMs('hang')).toBeGreaterThanOrEqual(1_000);
  // Once its attempts time out after 10 s, it learns: turns spread further apart.
  hanging.leave({ timedOut: true, durationMs: 10_000 });
  for (let i = 0; i < 6; i++) slot(gate.tryEnter('hang')).leave({ timedOut: true, durationMs: 10_000 });
  const a = gate.nextTurnInMs('hang');
  const b = gate.nextTurnInMs('hang');
  expect(b - a).toBeGreaterThanOrEqual(8_000);
  // Another endpoint's turns are its own.
  expect(gate.nextTurnInMs('other')).toBeLessThan(100);
});

test('slow endpoints together hold no more than slowTotal slots, however many of them there are', () => {
  const gate = createEndpointGate({ ...options, slowConcurrency: 2, slowTotal: 3 });
  for (const e of ['s1', 's2', 's3']) slot(gate.tryEnter(e)).leave({ timedOut: true, durationMs: 10_000 });
  const held = [slot(gate.tryEnter('s1')), slot(gate.tryEnter('s1')), slot(gate.tryEnter('s2'))];
  expect(gate.tryEnter('s2')).toBeUndefined(); // s2 has a slot of its share left, but the total is used up
  expect(gate.tryEnter('s3')).toBeUndefined();
  expect(slot(gate.tryEnter('healthy'))).toBeDefined(); // healthy endpoints are not counted
  held[0].leave({ timedOut: true, durationMs: 10_000 });
  expect(slot(gate.tryEnter('s3'))).toBeDefined();
  expect(gate.tryEnter('s2')).toBeUndefined();
});
