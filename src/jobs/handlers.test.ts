import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { ChainTier } from '../extract/chain.ts';
import type { LlmRequest, LlmResponse } from '../extract/provider.ts';
import { abortable } from './handlers.ts';

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;
const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A provider that, like the openai SDK, ties a controller of its own to the call's signal and never unties it. */
function sdkLikeTier(onCall: (signal: AbortSignal) => Promise<void> = async () => {}): {
  tier: ChainTier;
  signals: WeakRef<AbortSignal>[];
} {
  const signals: WeakRef<AbortSignal>[] = [];
  const provider = {
    name: 'sdk-like',
    model: 'm',
    async complete(req: LlmRequest): Promise<LlmResponse> {
      const own = new AbortController();
      req.signal!.addEventListener('abort', () => own.abort());
      signals.push(new WeakRef(req.signal!));
      await onCall(req.signal!);
      return { content: '{}', usage: null, finishReason: 'stop' } as unknown as LlmResponse;
    },
  };
  return { tier: { provider } as unknown as ChainTier, signals };
}

describe("abortable: the job's signal on every LLM call", () => {
  it("aborts a call in flight when the job's signal aborts", async () => {
    const job = new AbortController();
    let seen: AbortSignal | null = null;
    const { tier } = sdkLikeTier(async (signal) => {
      seen = signal;
      job.abort(new Error('worker stopping'));
    });
    await abortable([tier], job.signal)[0]!.provider.complete({ messages: [] } as unknown as LlmRequest);
    expect(seen!.aborted).toBe(true);
    expect((seen!.reason as Error).message).toBe('worker stopping');
  });

  it('refuses a call once the job is aborted', async () => {
    const job = new AbortController();
    job.abort(new Error('gone'));
    const { tier } = sdkLikeTier();
    await expect(
      abortable([tier], job.signal)[0]!.provider.complete({ messages: [] } as unknown as LlmRequest),
    ).rejects.toThrow('gone');
  });

  it("keeps nothing of a finished call, though the SDK leaves a listener on the call's signal", async () => {
    const job = new AbortController(); // the worker's: lives as long as the process
    const { tier, signals } = sdkLikeTier();
    const [wrapped] = abortable([tier], job.signal);
    for (let i = 0; i < 50; i++) await wrapped!.provider.complete({ messages: [] } as unknown as LlmRequest);
    for (let i = 0; i < 3; i++) {
      await turn();
      gc();
    }
    // AbortSignal.any([job.signal]) kept every one of them (a signal with an abort listener whose source
    // has not aborted stays alive): 50 signals, listeners and controllers per 50 calls, for good.
    expect(signals.filter((s) => s.deref() !== undefined)).toHaveLength(0);
  });
});
