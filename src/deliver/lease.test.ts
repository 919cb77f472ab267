import { describe, expect, it } from 'vitest';
import { newLeaseOwner, ownerIsGone } from './lease.ts';

describe('lease owners', () => {
  const self = 'worker-1:100:aaaa0001';
  const alive = (pid: number) => pid === 100 || pid === 200;
  it.each([
    { name: 'itself', owner: self, gone: false },
    { name: 'a live process on this machine', owner: 'worker-1:200:bbbb0002', gone: false },
    { name: 'a dead process on this machine', owner: 'worker-1:300:cccc0003', gone: true },
    { name: 'an earlier life of this pid (a restarted container)', owner: 'worker-1:100:dddd0004', gone: true },
    { name: 'another machine (its lease decides)', owner: 'worker-2:300:eeee0005', gone: false },
    { name: 'no owner (a row from before leases)', owner: null, gone: true },
    { name: 'an unparsable owner', owner: 'something else', gone: false },
  ])('$name → gone: $gone', ({ owner, gone }) => {
    expect(ownerIsGone(owner, self, alive)).toBe(gone);
  });

  it('names host, pid and a nonce', () => {
    expect(newLeaseOwner('box', 42)).toMatch(/^box:42:[0-9a-f]{8}$/);
    expect(newLeaseOwner('box', 42)).not.toBe(newLeaseOwner('box', 42));
  });
});
