import { createEndpointGate } from '../../src/activities/endpointGate';

// The endpoint gate alone (pure logic, fake timers): each endpoint's share of a worker, and how
// an endpoint comes to be treated as slow and stops being so.

const options = { concurrency: 2, slowConcurrency: 1, slowAfterMs: 1_000, slowForMs: 30_000 };

beforeEach(() => jest.useFakeTimers({ now: Date.parse('2030-01-01T00:00:00Z') }));
afterEach(() => jest.useRealTimers());

test('an endpoint gets at most its share; the next waits and takes the slot the first gives back', async () => {
  const gate = createEndpointGate(options);
  expect(await gate.acquire('a')).toBe('entered');
  expect(await gate.acquire('a')).toBe('entered');
  expect(gate.tryEnter('a')).toBe(false);
  expect(await gate.acquire('b')).toBe('entered'); // other endpoints are not affected
  let third: string | undefined;
  void gate.acquire('a').then((o) => (third = o));
  await Promise.resolve();
  expect(third).toBeUndefined();
  gate.leave('a', { timedOut: false, durationMs: 20 });
  await Promise.resolve();
  expect(third).toBe('entered');
  expect(gate.tryEnter('a')).toBe(false); // the slot passed on, not freed
});

test('waiting longer than slowAfterMs marks the endpoint slow: every waiter is told at once, and later batches do not wait', async () => {
  const gate = createEndpointGate(options);
  await gate.acquire('hang');
  await gate.acquire('hang');
  const waiting = [gate.acquire('hang'), gate.acquire('hang')];
  jest.advanceTimersByTime(1_000);
  expect(await Promise.all(waiting)).toEqual(['slow', 'slow']);
  expect(gate.isSlow('hang')).toBe(true);
  expect(await gate.acquire('hang')).toBe('slow');
  // Its own workflows still get the slow share: one at a time (both slots are still held here).
  expect(gate.tryEnter('hang')).toBe(false);
});

test('a timeout marks an endpoint slow for slowForMs; a quick answer clears it sooner', async () => {
  const gate = createEndpointGate(options);
  expect(gate.tryEnter('e')).toBe(true);
  gate.leave('e', { timedOut: true, durationMs: 10_000 });
  expect(gate.isSlow('e')).toBe(true);
  expect(gate.tryEnter('e')).toBe(true);
  expect(gate.tryEnter('e')).toBe(false); // the slow share is one
  gate.leave('e', { timedOut: false, durationMs: 15 });
  expect(gate.isSlow('e')).toBe(false);

  gate.tryEnter('f');
  gate.leave('f', { timedOut: true, durationMs: 10_000 });
  jest.advanceTimersByTime(30_001);
  expect(gate.isSlow('f')).toBe(false);
});

test('a slot given back without an attempt (a deferral) teaches nothing', async () => {
  const gate = createEndpointGate(options);
  gate.tryEnter('g');
  gate.leave('g', { timedOut: true, durationMs: 10_000 });
  gate.tryEnter('g');
  gate.leave('g');
  expect(gate.isSlow('g')).toBe(true);
});
