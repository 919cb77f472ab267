/**
 * Entities: companies (dictionary names and aliases, plus codes such as 贵州茅台（600519） and
 * 腾讯控股（00700.HK）), institutions from the dictionary, and people from the dictionary or a title
 * pattern (董事长王传福表示). Precision over recall: an unsure match is left out.
 */
import type { Region } from '../../domain.ts';
import { companyByTicker, lookup, LEXICON, tickerRegion } from './dict/index.ts';
import { segment } from './segment.ts';
import type { Token } from './segment.ts';
import { findCodes } from './tickers.ts';

/** A company found in the article. */
export interface CompanyMention {
  name: string;
  ticker: string | null;
}

/** Everything the other rules need to know about the article's entities. */
export interface Entities {
  companies: CompanyMention[];
  people: string[];
  institutions: string[];
  /** Regions of every company, institution and index mentioned, with title mentions counted ×3. */
  regionVotes: Map<Region, number>;
  /** Companies named in the title. */
  titleCompanies: CompanyMention[];
  /** Canonical names of institutions named in the title. */
  titleInstitutions: string[];
}

const LIMITS = { companies: 12, people: 8, institutions: 10 } as const;

const COMPANY_CONTEXT = /股价|市值|财报|营收|净利润|季度|美股|港股|纳斯达克|纳指|手机|iPhone|汽车|发布会|雷军|库克|出货量|科技|保险|股东|市场份额|公司|上市/;
const NOT_COMPANY_CONTEXT = /苹果期货|苹果价格|郑商所|果农|小米粥|小米价格/;

const FOREIGN_BEFORE_CENTRAL_BANK = new Set(['中国', '我国']);

const TITLES = '董事长|副董事长|总经理|总裁|副总裁|行长|副行长|首席经济学家|首席策略师|首席分析师|首席执行官|CEO|首席财务官|CFO|创始人|董秘|董事会秘书|主席|副主席|理事长|局长|副局长|部长|副部长|署长|司长|主任|副主任|发言人|总理|副总理|首席统计师|分析师|研究员|院长|所长|合伙人|负责人';
const PERSON = new RegExp(
  `(?:${TITLES})\\s?([\\u4e00-\\u9fa5]{2,3}?)(?=表示|称|说|指出|认为|坦言|透露|强调|介绍|提到|预计|预测|分析|在|于|就|对|向|接受|出席|主持|发表|宣布|回应|日前|近日|此前|也|则|还|曾|已|，|。|、|：|:|\\s|（|\\(|”|$)`,
  'g',
);
const SURNAMES = new Set(
  [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储栗燕楚鄢劳谌奚皮粟冼蔺楼满闻厉伊仝郜阚权帅屠豆朴盖练廉禹井祖漆巴丰支卿狄计索宣晋初门容敬扈晁芮普阙浦戈伏鹿薄邸雍辜羊乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇哈湛宾戎勾茅揭干尉冶斯束檀衣展阴昝智幸奉植衡富尧'],
);
const NOT_NAMES = /^(?:公司|集团|本人|先生|女士|团队|表示|认为|指出|近日|日前|今日|昨日|目前|此前|同时|也是|以及|兼任|兼|代表|一职|职务|任期|人士|称|介绍|接受)/;

/** An alias that is also an everyday word counts only when the article reads like company news. */
function acceptAmbiguous(fullText: string): boolean {
  return COMPANY_CONTEXT.test(fullText) && !NOT_COMPANY_CONTEXT.test(fullText);
}

function isPersonName(name: string): boolean {
  return SURNAMES.has(name[0] ?? '') && !NOT_NAMES.test(name) && !LEXICON.has(name) && !/[的了和与及在是将从]/.test(name.slice(1));
}

class Collector {
  readonly companies = new Map<string, CompanyMention>();
  readonly people = new Set<string>();
  readonly institutions = new Set<string>();
  readonly regionVotes = new Map<Region, number>();
  readonly titleCompanies = new Map<string, CompanyMention>();
  readonly titleInstitutions = new Set<string>();

  vote(region: Region | null, weight: number): void {
    if (region !== null) this.regionVotes.set(region, (this.regionVotes.get(region) ?? 0) + weight);
  }

  addCompany(name: string, ticker: string | null, inTitle: boolean, explicit: boolean): void {
    const existing = this.companies.get(name);
    // An explicit code in the text beats the dictionary's default listing (比亚迪（01211.HK）).
    if (existing !== undefined) {
      if (explicit && ticker !== null) existing.ticker = ticker;
    } else if (this.companies.size < LIMITS.companies) {
      this.companies.set(name, { name, ticker });
    }
    const mention = this.companies.get(name);
    if (inTitle && mention !== undefined) this.titleCompanies.set(name, mention);
  }
}

function scanTokens(tokens: readonly Token[], inTitle: boolean, fullText: string, out: Collector): void {
  const weight = inTitle ? 3 : 1;
  tokens.forEach((token, i) => {
    const hits = LEXICON.get(token.word);
    if (hits === undefined) return;
    for (const hit of hits) {
      switch (hit.kind) {
        case 'company':
          if (hit.ambiguous && !acceptAmbiguous(fullText)) break;
          out.addCompany(hit.name, hit.ticker, inTitle, false);
          out.vote(hit.region, weight);
          break;
        case 'institution': {
          const prev = tokens[i - 1];
          // 土耳其央行 is not the PBoC: a place name right before 央行 means a foreign central bank.
          if (hit.name === '中国人民银行' && token.word === '央行' && prev?.tag === 'ns' && !FOREIGN_BEFORE_CENTRAL_BANK.has(prev.word)) break;
          if (out.institutions.size < LIMITS.institutions) out.institutions.add(hit.name);
          if (inTitle) out.titleInstitutions.add(hit.name);
          out.vote(hit.region, weight);
          break;
        }
        case 'index':
          out.vote(hit.region, weight);
          break;
        case 'person':
          if (out.people.size < LIMITS.people) out.people.add(hit.name);
          break;
        case 'term':
          break;
      }
    }
  });
}

/** Finds the entities of an article from its segmented title and body. */
export function findEntities(title: string, body: string, titleTokens: readonly Token[], bodyTokens: readonly Token[]): Entities {
  const out = new Collector();
  const fullText = `${title}\n${body}`;
  scanTokens(titleTokens, true, fullText, out);
  // Codes first in the body pass, so 比亚迪（01211.HK） overrides the dictionary's A-share listing.
  const titleEnd = title.length + 1;
  for (const code of findCodes(fullText, segment)) {
    const known = companyByTicker(code.ticker);
    const name = known?.name ?? code.name ?? lookup(code.name ?? '', 'company')?.name ?? code.ticker;
    out.addCompany(name, code.ticker, code.index < titleEnd, true);
    out.vote(tickerRegion(code.ticker), code.index < titleEnd ? 3 : 1);
  }
  scanTokens(bodyTokens, false, fullText, out);
  for (const m of fullText.matchAll(PERSON)) {
    const name = m[1];
    if (name !== undefined && isPersonName(name) && out.people.size < LIMITS.people) out.people.add(name);
  }
  return {
    companies: [...out.companies.values()],
    people: [...out.people],
    institutions: [...out.institutions],
    regionVotes: out.regionVotes,
    titleCompanies: [...out.titleCompanies.values()],
    titleInstitutions: [...out.titleInstitutions],
  };
}
