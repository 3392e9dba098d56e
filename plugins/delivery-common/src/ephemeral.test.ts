import {
  DEFAULT_EPHEMERAL_LIFETIME,
  branchNameProblem,
  ephemeralNamespaceName,
  expirationAnnotation,
  expirationLabel,
  extendedExpiry,
  fnv1a64,
  formatLifetime,
  initialExpiry,
  isEphemeralBranch,
  isExpired,
  labelSafe,
  parseExpirationLabel,
} from './ephemeral';

// Kubernetes' own rules (apimachinery validation.go), written out here independently.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A deterministic pseudo-random generator (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ...'-_./ .:~^?*[]\\@{}!#$%&()+,;<=>|`\'"',
  'é',
  'ß',
  '日本',
  '🚀',
  '\u0000',
  '\n',
  '\t',
];

function hostileBranch(next: () => number): string {
  const length = Math.floor(next() * 300);
  let text = 'deploy/';
  for (let i = 0; i < length; i++) {
    text += ALPHABET[Math.floor(next() * ALPHABET.length)];
  }
  return text;
}

describe('ephemeral environment names', () => {
  it('gives every branch, however hostile or long, a valid namespace name and label value', () => {
    const next = random(20261129);
    const seen = new Map<string, string>();
    for (let i = 0; i < 5000; i++) {
      const branch = hostileBranch(next);
      const service = i % 7 === 0 ? 'Payments_API.v2' : 'payments-api';
      const entityRef = `component:default/${service}`;
      const name = ephemeralNamespaceName(entityRef, branch);
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(DNS1123_LABEL);
      const label = labelSafe(branch);
      expect(label.length).toBeLessThanOrEqual(63);
      expect(label).toMatch(LABEL_VALUE);
      // No two inputs share a name.
      const key = `${entityRef}\n${branch}`;
      expect(seen.get(name) ?? key).toBe(key);
      seen.set(name, key);
    }
  });

  it('keeps apart branches that sanitise alike, and is stable', () => {
    const ref = 'component:default/payments-api';
    const names = [
      'deploy/Foo',
      'deploy/foo',
      'deploy/foo_',
      'deploy/f.o.o',
      'deploy/f-o-o',
      `deploy/${'x'.repeat(80)}a`,
      `deploy/${'x'.repeat(80)}b`,
    ].map(b => ephemeralNamespaceName(ref, b));
    expect(new Set(names).size).toBe(names.length);
    expect(ephemeralNamespaceName(ref, 'deploy/try-this')).toBe(
      ephemeralNamespaceName(ref, 'deploy/try-this'),
    );
    expect(ephemeralNamespaceName(ref, 'deploy/try-this')).toMatch(
      /^payments-api-try-this-[0-9a-f]{10}$/,
    );
    // Another service's branch of the same name is another namespace.
    expect(
      ephemeralNamespaceName(
        'component:default/checkout-web',
        'deploy/try-this',
      ),
    ).toMatch(/^checkout-web-try-this-/);
    // Nothing usable left of the branch: a name all the same.
    expect(
      ephemeralNamespaceName('component:default/___', 'deploy/🚀'),
    ).toMatch(/^env-[0-9a-f]{10}$/);
  });

  it('hashes with FNV-1a 64 (the published test vectors)', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });

  it('takes only deploy/ branches, refusing what git refuses', () => {
    expect(isEphemeralBranch('deploy/x')).toBe(true);
    expect(isEphemeralBranch('deploy/')).toBe(false);
    expect(isEphemeralBranch('feature/deploy/x')).toBe(false);
    expect(isEphemeralBranch('main')).toBe(false);
    expect(branchNameProblem('deploy/ok-1.2')).toBeUndefined();
    for (const bad of [
      'deploy/a b',
      'deploy/a..b',
      'deploy/a~b',
      'deploy/a:b',
      'deploy//b',
      'deploy/b/',
      'deploy/.hidden',
      'deploy/x.lock',
      'deploy/a@{b',
      'deploy/x.',
      '',
    ]) {
      expect(branchNameProblem(bad)).toBeDefined();
    }
  });
});

describe('ephemeral environment expiry', () => {
  const at = new Date('2024-01-15T15:30:00.123Z');

  it('writes the expiry as a label value and as an ISO annotation, and reads it back', () => {
    expect(expirationLabel(at)).toBe('2024-01-15T15-30-00Z');
    expect(expirationLabel(at)).toMatch(LABEL_VALUE);
    expect(expirationAnnotation(at)).toBe('2024-01-15T15:30:00Z');
    expect(parseExpirationLabel('2024-01-15T15-30-00Z')?.toISOString()).toBe(
      '2024-01-15T15:30:00.000Z',
    );
    expect(parseExpirationLabel('2024-01-15T15:30:00Z')).toBeUndefined();
    expect(parseExpirationLabel('tomorrow')).toBeUndefined();
  });

  it('lives 3 h by default and at most a day', () => {
    const created = new Date('2024-01-15T12:00:00Z');
    expect(initialExpiry(created, DEFAULT_EPHEMERAL_LIFETIME)).toEqual({
      expiresAt: new Date('2024-01-15T15:00:00Z'),
    });
    expect(
      initialExpiry(created, DEFAULT_EPHEMERAL_LIFETIME, 25 * 3_600_000),
    ).toEqual({ problem: 'the lifetime may be at most 24 h' });
    expect(
      initialExpiry(created, DEFAULT_EPHEMERAL_LIFETIME, 0),
    ).toHaveProperty('problem');
  });

  it('extends from the expiry (or from now once passed), within the maximum from creation', () => {
    const env = {
      createdAt: new Date('2024-01-15T12:00:00Z'),
      expiresAt: new Date('2024-01-15T15:00:00Z'),
    };
    const now = new Date('2024-01-15T14:00:00Z');
    expect(
      extendedExpiry(env, 3_600_000, now, DEFAULT_EPHEMERAL_LIFETIME),
    ).toEqual({ expiresAt: new Date('2024-01-15T16:00:00Z') });
    const late = new Date('2024-01-15T18:00:00Z');
    expect(
      extendedExpiry(env, 3_600_000, late, DEFAULT_EPHEMERAL_LIFETIME),
    ).toEqual({ expiresAt: new Date('2024-01-15T19:00:00Z') });
    expect(
      extendedExpiry(env, 22 * 3_600_000, now, DEFAULT_EPHEMERAL_LIFETIME),
    ).toEqual({
      problem:
        'an environment lives at most 24 h from its creation: this one can be extended by 21 h at most',
    });
    const atMax = { ...env, expiresAt: new Date('2024-01-16T12:00:00Z') };
    expect(
      extendedExpiry(atMax, 60_000, now, DEFAULT_EPHEMERAL_LIFETIME),
    ).toEqual({
      problem:
        'an environment lives at most 24 h from its creation: this one cannot be extended any more',
    });
  });

  it('says which are due for the sweep', () => {
    const now = new Date('2024-01-15T15:00:00Z');
    expect(isExpired({ expiresAt: now, persistent: false }, now)).toBe(true);
    expect(isExpired({ expiresAt: now, persistent: true }, now)).toBe(false);
    expect(
      isExpired(
        { expiresAt: new Date('2024-01-15T15:00:01Z'), persistent: false },
        now,
      ),
    ).toBe(false);
    expect(formatLifetime(90 * 60_000)).toBe('1 h 30 min');
    expect(formatLifetime(45 * 60_000)).toBe('45 min');
  });
});
