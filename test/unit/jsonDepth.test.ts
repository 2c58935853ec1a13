import fc from 'fast-check';
import { loadConfig } from '../../src/config';
import { exceedsJsonDepth } from '../../src/domain/jsonDepth';

/** The obvious recursive definition, for values shallow enough to recurse on. */
function referenceDepth(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + Math.max(0, ...children.map(referenceDepth));
}

/**
 * A value exactly `depth` levels deep, built iteratively: objects and arrays alternate as `shape`
 * says, and every level carries `siblings` shallow neighbours so the walk has width too.
 */
function nested(depth: number, shape: 'arrays' | 'objects' | 'mixed', siblings: number): unknown {
  let v: unknown = 'leaf';
  for (let level = 0; level < depth; level++) {
    const asArray = shape === 'arrays' || (shape === 'mixed' && level % 3 === 0);
    const neighbours = Array.from({ length: siblings }, (_, i) => (i % 2 ? i : { n: i }));
    if (asArray) v = [...neighbours, v];
    else v = { ...Object.fromEntries(neighbours.map((n, i) => [`k${i}`, n])), inner: v };
  }
  return v;
}

test('agrees with the recursive definition on arbitrary JSON, for every limit', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 12 }), fc.integer({ min: 0, max: 14 }), (value, limit) => {
      expect(exceedsJsonDepth(value, limit)).toBe(referenceDepth(value) > limit);
    }),
    { numRuns: 500 },
  );
});

test('exact at the boundary, and never overflows the stack, up to 100,000 levels', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 100_000 }),
      fc.constantFrom('arrays' as const, 'objects' as const, 'mixed' as const),
      fc.integer({ min: 0, max: 3 }),
      (depth, shape, siblings) => {
        const value = nested(depth, shape, siblings);
        // The innermost level's object neighbour ({ n: 0 }) is one level deeper still.
        const deepest = depth + (siblings >= 1 ? 1 : 0);
        expect(exceedsJsonDepth(value, deepest)).toBe(false);
        expect(exceedsJsonDepth(value, deepest - 1)).toBe(true);
        expect(exceedsJsonDepth(value, 64)).toBe(deepest > 64);
      },
    ),
    { numRuns: 25 },
  );
});

test('values JSON.parse builds from deep text (which JSON.stringify cannot serialize) are measured without recursion', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 150_000 }), fc.constantFrom('[', '{"a":'), (depth, open) => {
      const close = open === '[' ? ']' : '}';
      const value: unknown = JSON.parse(`${open.repeat(depth)}1${close.repeat(depth)}`);
      expect(exceedsJsonDepth(value, depth)).toBe(false);
      expect(exceedsJsonDepth(value, depth - 1)).toBe(true);
    }),
    { numRuns: 40 },
  );
});

test('width costs no depth: wide arrays and objects of shallow values stay within a small limit', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 50_000 }), fc.boolean(), (width, asObject) => {
      const items = Array.from({ length: width }, (_, i) => ({ i, tags: ['a'] }));
      const value = asObject ? Object.fromEntries(items.map((v, i) => [`k${i}`, v])) : items;
      const depth = width === 0 ? 1 : 3;
      expect(exceedsJsonDepth(value, depth)).toBe(false);
      expect(exceedsJsonDepth(value, depth - 1)).toBe(true);
    }),
    { numRuns: 20 },
  );
});

test('scalars have depth 0', () => {
  for (const v of [null, 0, 'x', true, undefined]) {
    expect(exceedsJsonDepth(v, 0)).toBe(false);
  }
  expect(exceedsJsonDepth({}, 0)).toBe(true);
  expect(exceedsJsonDepth({}, 1)).toBe(false);
});

test('HOOKFERRY_MAX_JSON_DEPTH: 64 by default, configurable, bounded where serializing stays safe', () => {
  expect(loadConfig({}).maxJsonDepth).toBe(64);
  expect(loadConfig({ HOOKFERRY_MAX_JSON_DEPTH: '200' }).maxJsonDepth).toBe(200);
  expect(() => loadConfig({ HOOKFERRY_MAX_JSON_DEPTH: '0' })).toThrow();
  expect(() => loadConfig({ HOOKFERRY_MAX_JSON_DEPTH: '5000' })).toThrow();
});
