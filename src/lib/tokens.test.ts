import { describe, expect, it } from 'vitest';
import { signUnsubscribe, verifyUnsubscribe } from './tokens.ts';

describe('unsubscribe tokens', () => {
  it('round-trips and names the recipient', () => {
    const t = signUnsubscribe(42, 'Zhang@Example.com', 'secret-secret-secret');
    expect(verifyUnsubscribe(t, 'secret-secret-secret')).toEqual({ recipientId: 42, email: 'zhang@example.com' });
  });
  it.each([
    { name: 'another secret', mutate: (t: string) => t, secret: 'other-secret-other' },
    {
      name: 'tampered payload',
      mutate: (t: string) => `${Buffer.from('43:zhang@example.com').toString('base64url')}.${t.split('.')[1]}`,
      secret: 'secret-secret-secret',
    },
    { name: 'no signature', mutate: (t: string) => t.split('.')[0]!, secret: 'secret-secret-secret' },
  ])('rejects $name', ({ mutate, secret }) => {
    const t = mutate(signUnsubscribe(42, 'zhang@example.com', 'secret-secret-secret'));
    expect(verifyUnsubscribe(t, secret)).toBeNull();
  });
});
