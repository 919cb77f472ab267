import { describe, expect, it } from 'vitest';
import { parseDedupLine } from './dedup.ts';

describe('parseDedupLine', () => {
  it('reads id, title, text and an optional date', () => {
    expect(parseDedupLine('{"id":"a","title":"t","text":"x"}', 1)).toEqual({
      id: 'a',
      title: 't',
      text: 'x',
      published: null,
    });
    expect(
      parseDedupLine('{"id":7,"title":"t","text":"x","published":"2025-11-10T08:30:00+08:00","url":"ignored"}', 1),
    ).toEqual({ id: 7, title: 't', text: 'x', published: new Date('2025-11-10T00:30:00Z') });
    expect(parseDedupLine('{"id":"a","title":"","text":"","published":null}', 1).published).toBeNull();
    expect(parseDedupLine('{"id":"a","title":"","text":"","published":1762732800000}', 1).published).toEqual(
      new Date(1762732800000),
    );
  });

  it.each([
    { name: 'invalid JSON', line: '{"id": "b", oops}', message: /^line 4: not valid JSON \(/ },
    { name: 'an array', line: '[1,2]', message: /^line 4: expected a JSON object$/ },
    { name: 'null', line: 'null', message: /^line 4: expected a JSON object$/ },
    {
      name: 'a missing id',
      line: '{"title":"t","text":"x"}',
      message: /^line 4: "id" must be a non-empty string or a number$/,
    },
    {
      name: 'an empty id',
      line: '{"id":"","title":"t","text":"x"}',
      message: /^line 4: "id" must be a non-empty string or a number$/,
    },
    {
      name: 'an object id',
      line: '{"id":{},"title":"t","text":"x"}',
      message: /^line 4: "id" must be a non-empty string or a number$/,
    },
    { name: 'a missing title', line: '{"id":"a","text":"x"}', message: /^line 4: "title" must be a string$/ },
    { name: 'a null text', line: '{"id":"a","title":"t","text":null}', message: /^line 4: "text" must be a string$/ },
    {
      name: 'a bad date',
      line: '{"id":"a","title":"t","text":"x","published":"yesterday"}',
      message: /^line 4: "published" must be an ISO 8601 date or epoch milliseconds \(got "yesterday"\)$/,
    },
    {
      name: 'a date of the wrong type',
      line: '{"id":"a","title":"t","text":"x","published":true}',
      message: /^line 4: "published" must be/,
    },
  ])('rejects $name with the line number', ({ line, message }) => {
    expect(() => parseDedupLine(line, 4)).toThrow(message);
  });
});
