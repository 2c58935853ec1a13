import { metricsAccessCheck } from '../../src/metrics/endpoint';

test('by default only loopback reads /metrics, without credentials', () => {
  const check = metricsAccessCheck({ metricsAllowCidrs: '127.0.0.0/8,::1', metricsToken: undefined });
  expect(check('127.0.0.1', undefined)).toEqual({ allowed: true });
  expect(check('::ffff:127.0.0.1', undefined)).toEqual({ allowed: true });
  expect(check('::1', undefined)).toEqual({ allowed: true });
  expect(check('10.1.2.3', undefined)).toMatchObject({ allowed: false, status: 403, code: 'metrics_forbidden' });
  expect(check('::ffff:172.17.0.2', 'Bearer anything')).toMatchObject({ allowed: false, status: 403 });
  expect(check(undefined, undefined)).toMatchObject({ allowed: false, status: 403 });
});

test('a token lets any address in; a wrong one is 401; other ranges can be allowed', () => {
  const check = metricsAccessCheck({ metricsAllowCidrs: '', metricsToken: 's3cret-token-for-prometheus' });
  expect(check('203.0.113.9', 'Bearer s3cret-token-for-prometheus')).toEqual({ allowed: true });
  expect(check('203.0.113.9', 'Bearer nope')).toMatchObject({ allowed: false, status: 401, code: 'unauthorized' });
  expect(check('127.0.0.1', undefined)).toMatchObject({ allowed: false, status: 403 }); // empty list: not even loopback
  const open = metricsAccessCheck({ metricsAllowCidrs: '10.0.0.0/8, fd00::/8', metricsToken: undefined });
  expect(open('10.9.8.7', undefined)).toEqual({ allowed: true });
  expect(open('fd00::5', undefined)).toEqual({ allowed: true });
  expect(open('192.168.1.1', undefined)).toMatchObject({ allowed: false });
});

test('a bad CIDR list is refused at start-up', () => {
  expect(() => metricsAccessCheck({ metricsAllowCidrs: 'not-a-cidr', metricsToken: undefined })).toThrow(/Invalid CIDR/);
});
