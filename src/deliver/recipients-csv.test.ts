import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { checkAddress, parseRecipientsCsv, RecipientsCsvError } from './recipients-csv.ts';

const GOOD = [
  'email,name,groups',
  'zhang.san@example.com,张三,研究部;投资部',
  'LI.SI@Example.COM , 李四 ,研究部|宏观组',
  '',
  'bad-address,坏地址,研究部',
  'wang@例子.cn,王五,',
  'zhang.san@example.com,,风控部',
  'zhao＠example.com,赵六,研究部',
  'qian@example,钱七,',
  '"sun@example.com","孙, 八","投资部；研究部"',
].join('\r\n');

function parseError(bytes: Buffer): string {
  try {
    parseRecipientsCsv(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(RecipientsCsvError);
    return (err as Error).message;
  }
  throw new Error('expected a RecipientsCsvError');
}

describe('parseRecipientsCsv', () => {
  it('imports good rows, reports bad ones by line and merges duplicates', () => {
    const parsed = parseRecipientsCsv(Buffer.from(GOOD, 'utf8'));
    expect(parsed.encoding).toBe('utf-8');
    expect(parsed.recipients.map((r) => r.email)).toEqual([
      'zhang.san@example.com',
      'li.si@example.com',
      'wang@例子.cn',
      'sun@example.com',
    ]);
    expect(parsed.recipients[0]).toEqual({
      email: 'zhang.san@example.com',
      name: '张三',
      groups: ['投资部', '研究部', '风控部'].sort(),
      lines: [2, 7],
    });
    expect(parsed.recipients[1]).toMatchObject({ name: '李四', groups: ['宏观组', '研究部'].sort() });
    expect(parsed.recipients[3]).toMatchObject({ name: '孙, 八', groups: ['投资部', '研究部'].sort() });
    expect(parsed.invalid).toEqual([
      { line: 5, value: 'bad-address', reason: 'not an e-mail address' },
      { line: 8, value: 'zhao＠example.com', reason: 'full-width ＠ — write @' },
      { line: 9, value: 'qian@example', reason: 'invalid domain "example"' },
    ]);
    expect(parsed.duplicates).toEqual([{ email: 'zhang.san@example.com', lines: [2, 7] }]);
  });

  it('numbers lines as an editor does after quoted fields with line breaks, and keeps no break in names or groups', () => {
    const text = [
      'email,name,groups',
      'a@example.com,"张\r\n三","研究部\r\n投资部"',
      'bad-1,甲,',
      'b@example.com,"李\n四",宏观组',
      '',
      'bad-2,乙,',
    ];
    const parsed = parseRecipientsCsv(Buffer.from(text.join('\r\n')));
    expect(parsed.invalid.map((i) => i.line)).toEqual([5, 9]);
    expect(parsed.recipients).toEqual([
      { email: 'a@example.com', name: '张 三', groups: ['投资部', '研究部'].sort(), lines: [2] },
      { email: 'b@example.com', name: '李 四', groups: ['宏观组'], lines: [6] },
    ]);
  });

  it('refuses an address with a line break inside its quoted field', () => {
    const parsed = parseRecipientsCsv(Buffer.from('email,name\n"c@exa\nmple.com",丙\nd@example.com,丁\n'));
    expect(parsed.invalid).toEqual([{ line: 2, value: 'c@exa mple.com', reason: 'contains a space' }]);
    expect(parsed.recipients.map((r) => [r.email, r.lines])).toEqual([['d@example.com', [4]]]);
  });

  it.each([
    { name: 'GBK (Excel in China)', bytes: iconv.encode(GOOD, 'gbk'), encoding: 'gb18030' },
    { name: 'GB18030', bytes: iconv.encode(GOOD, 'gb18030'), encoding: 'gb18030' },
    {
      name: 'UTF-8 with BOM',
      bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(GOOD)]),
      encoding: 'utf-8',
    },
    {
      name: 'UTF-16LE with BOM',
      bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(GOOD, 'utf16le')]),
      encoding: 'utf-16le',
    },
  ])('reads $name', ({ bytes, encoding }) => {
    const parsed = parseRecipientsCsv(bytes);
    expect(parsed.encoding).toBe(encoding);
    expect(parsed.recipients.map((r) => r.name)).toEqual(['张三', '李四', '王五', '孙, 八']);
    expect(parsed.invalid.map((i) => i.line)).toEqual([5, 8, 9]);
  });

  it.each([
    {
      name: 'Chinese header, tab-separated',
      text: '邮箱\t姓名\t分组\na@example.com\t甲\t研究部',
      email: 'a@example.com',
      groups: ['研究部'],
    },
    { name: 'only an email column', text: 'Email\nb@example.com\n', email: 'b@example.com', groups: [] },
    {
      name: 'columns in another order',
      text: 'groups,email\n投资部,c@example.com',
      email: 'c@example.com',
      groups: ['投资部'],
    },
  ])('accepts $name', ({ text, email, groups }) => {
    const [r] = parseRecipientsCsv(Buffer.from(text)).recipients;
    expect(r).toMatchObject({ email, groups });
  });

  it.each([
    {
      name: 'no header',
      bytes: Buffer.from('a@example.com,张三,研究部\n'),
      error: /line 1 must be the header email,name,groups/,
    },
    {
      name: 'wrong header',
      bytes: Buffer.from('mail_address,who\nx@example.com,甲\n'),
      error: /line 1: unexpected column "mail_address"/,
    },
    { name: 'no email column', bytes: Buffer.from('name,groups\n甲,研究部\n'), error: /no email column/ },
    {
      name: 'an xlsx file',
      bytes: Buffer.from('PK\u0003\u0004\u0014\u0000\u0006\u0000', 'latin1'),
      error: /Excel workbook/,
    },
    { name: 'binary', bytes: Buffer.from([0x47, 0x49, 0x46, 0x38, 0x00, 0x01, 0x02]), error: /binary file/ },
    {
      name: 'neither UTF-8 nor GB18030',
      bytes: Buffer.from([0x65, 0x6d, 0x61, 0x69, 0x6c, 0x0a, 0x81, 0x20]),
      error: /neither UTF-8 nor GB18030/,
    },
    { name: 'empty', bytes: Buffer.alloc(0), error: /empty/ },
    { name: 'broken quoting', bytes: Buffer.from('email,name\n"a@example.com,甲\n'), error: /not a valid CSV file/ },
  ])('refuses $name with a clear error', ({ bytes, error }) => {
    expect(parseError(bytes)).toMatch(error);
  });
});

describe('checkAddress', () => {
  it.each([
    { raw: ' Li.Si@Example.COM ', ok: 'li.si@example.com' },
    { raw: '<a+tag@sub.example.com.cn>', ok: 'a+tag@sub.example.com.cn' },
    { raw: 'x@xn--fsqu00a.cn', ok: 'x@xn--fsqu00a.cn' },
    { raw: '', reason: 'missing address' },
    { raw: 'a b@example.com', reason: 'contains a space' },
    { raw: 'a@@example.com', reason: 'not an e-mail address' },
    { raw: 'a..b@example.com', reason: 'invalid characters before @' },
    { raw: 'a@-example.com', reason: 'invalid domain "-example.com"' },
    { raw: 'a@example.c', reason: 'invalid domain "example.c"' },
  ])('$raw', ({ raw, ok, reason }) => {
    expect(checkAddress(raw)).toEqual(ok ? { email: ok } : { reason });
  });
});
