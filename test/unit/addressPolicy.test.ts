import { checkAddress, parseAllowedCidrs } from '../../src/domain/addressPolicy';

const none = parseAllowedCidrs('');

describe('checkAddress with an empty allowlist', () => {
  const blocked: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback (whole /8)'],
    ['10.1.2.3', 'private 10/8'],
    ['172.16.0.1', 'private 172.16/12'],
    ['172.31.255.255', 'private 172.16/12 upper end'],
    ['192.168.1.1', 'private 192.168/16'],
    ['169.254.169.254', 'link-local / cloud metadata'],
    ['100.64.0.1', 'CGNAT'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'this-network 0/8'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'documentation TEST-NET-1'],
    ['198.18.0.1', 'benchmarking'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['fe80::1', 'IPv6 link-local'],
    ['fe80::1%eth0', 'IPv6 link-local with zone'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local fd00::/8'],
    ['fec0::1', 'deprecated site-local'],
    ['ff02::1', 'IPv6 multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex form'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
    ['::ffff:0:127.0.0.1', 'IPv4-translated loopback'],
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['64:ff9b::7f00:1', 'NAT64 loopback'],
    ['64:ff9b::a00:1', 'NAT64 private'],
    ['64:ff9b:1::1', 'NAT64 local-use prefix'],
    ['2002:7f00:1::', '6to4 of loopback'],
    ['2002:a9fe:a9fe::1', '6to4 of metadata'],
    ['2001:db8::1', 'documentation'],
    ['2001::1', 'teredo'],
    ['2001:2::1', 'benchmarking'],
    ['100::1', 'discard-only'],
    ['5f00::1', 'segment routing'],
    ['4000::1', 'outside global unicast 2000::/3'],
    ['not-an-ip', 'not an IP'],
    ['localhost', 'hostname, not an IP'],
    ['0x7f.0.0.1', 'non-canonical IPv4 spelling'],
    ['', 'empty'],
  ];

  test.each(blocked)('%s is blocked (%s)', (ip) => {
    const verdict = checkAddress(ip, none);
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) expect(verdict.reason).toEqual(expect.any(String));
  });

  const allowed: Array<[string, string]> = [
    ['8.8.8.8', 'public IPv4'],
    ['1.1.1.1', 'public IPv4'],
    ['93.184.215.14', 'public IPv4'],
    ['172.32.0.1', 'just outside 172.16/12'],
    ['100.128.0.1', 'just outside CGNAT'],
    ['2606:4700:4700::1111', 'public IPv6'],
    ['2a00:1450:4001:81b::200e', 'public IPv6'],
    ['::ffff:8.8.8.8', 'IPv4-mapped public'],
    ['64:ff9b::808:808', 'NAT64 of public'],
    ['2002:808:808::1', '6to4 of public'],
    ['[2606:4700:4700::1111]', 'bracketed IPv6'],
  ];

  test.each(allowed)('%s is allowed (%s)', (ip) => {
    expect(checkAddress(ip, none)).toEqual({ allowed: true });
  });

  test('the reason names the address and the range', () => {
    const verdict = checkAddress('169.254.169.254', none);
    expect(verdict).toEqual({ allowed: false, reason: expect.stringContaining('169.254.169.254') });
    expect(!verdict.allowed && verdict.reason).toContain('linkLocal');
  });
});

describe('parseAllowedCidrs', () => {
  test('undefined and empty mean no entries', () => {
    expect(parseAllowedCidrs(undefined).allowedCidrs).toHaveLength(0);
    expect(parseAllowedCidrs('').allowedCidrs).toHaveLength(0);
    expect(parseAllowedCidrs(' , ,').allowedCidrs).toHaveLength(0);
  });

  test('parses CIDRs with whitespace and bare addresses', () => {
    const policy = parseAllowedCidrs(' 10.0.0.0/8 ,fd00::/8,  127.0.0.1 , ::1 ');
    const entries = policy.allowedCidrs.map(([addr, bits]) => `${addr.toString()}/${bits}`);
    expect(entries).toEqual(['10.0.0.0/8', 'fd00::/8', '127.0.0.1/32', '::1/128']);
  });

  test.each(['10.0.0.0/33', 'fd00::/129', 'bogus', '10.0.0.0/', '10.0.0.0/abc', '0x7f.1/8', '10.1/8', '1.2.3.4/-1', 'fe80::1%eth0'])(
    'rejects %s naming the entry',
    (bad) => {
      expect(() => parseAllowedCidrs(`10.0.0.0/8, ${bad}`)).toThrow(bad);
    },
  );
});

describe('checkAddress with an allowlist', () => {
  test('allowlisted private ranges are allowed, others still blocked', () => {
    const policy = parseAllowedCidrs('10.0.0.0/8, 192.168.1.5');
    expect(checkAddress('10.20.30.40', policy)).toEqual({ allowed: true });
    expect(checkAddress('192.168.1.5', policy)).toEqual({ allowed: true });
    expect(checkAddress('192.168.1.6', policy).allowed).toBe(false);
    expect(checkAddress('127.0.0.1', policy).allowed).toBe(false);
    expect(checkAddress('8.8.8.8', policy)).toEqual({ allowed: true });
  });

  test('allowing 127.0.0.0/8 also allows IPv6 forms embedding it', () => {
    const policy = parseAllowedCidrs('127.0.0.0/8');
    for (const ip of ['127.0.0.1', '127.1.2.3', '::ffff:127.0.0.1', '64:ff9b::7f00:1', '2002:7f00:1::']) {
      expect([ip, checkAddress(ip, policy)]).toEqual([ip, { allowed: true }]);
    }
    expect(checkAddress('::1', policy).allowed).toBe(false);
    expect(checkAddress('::ffff:10.0.0.1', policy).allowed).toBe(false);
  });

  test('IPv6 allowlist entries', () => {
    const policy = parseAllowedCidrs('::1, fd00:1::/32');
    expect(checkAddress('::1', policy)).toEqual({ allowed: true });
    expect(checkAddress('fd00:1::5', policy)).toEqual({ allowed: true });
    expect(checkAddress('fd00:2::5', policy).allowed).toBe(false);
    expect(checkAddress('127.0.0.1', policy).allowed).toBe(false);
  });

  test('an IPv4-mapped IPv6 CIDR also matches the plain IPv4 address', () => {
    const policy = parseAllowedCidrs('::ffff:10.0.0.0/104');
    expect(checkAddress('10.1.1.1', policy)).toEqual({ allowed: true });
    expect(checkAddress('::ffff:10.1.1.1', policy)).toEqual({ allowed: true });
    expect(checkAddress('11.0.0.1', policy)).toEqual({ allowed: true }); // public anyway
    expect(checkAddress('192.168.0.1', policy).allowed).toBe(false);
  });
});
