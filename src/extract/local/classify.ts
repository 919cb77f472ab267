/**
 * Rule-based category, event type and importance. Each category has a scored lexicon; the title counts
 * three times as much as the lead. Ties go to the earlier category in `TIE_ORDER`, so results are
 * deterministic.
 */
import type { Category, Region } from '../../domain.ts';
import { lookup } from './dict/index.ts';
import type { Entities } from './entities.ts';

type Cue = readonly [pattern: string | RegExp, weight: number];
type Scored = Exclude<Category, 'other'>;

/** `回购` but not `逆回购`. */
const BUYBACK = /(?<!逆)回购/g;
/** A named rule document: 《…管理办法》, 《…指引》 (not a company's 业绩指引). */
const DOCUMENT = /《[^》]{0,40}(?:指引|办法|规定|通知|意见|细则|条例|规则|方案|措施)[^》]{0,20}》/g;

const LEXICONS: Record<Scored, readonly Cue[]> = {
  policy: [
    ['国务院', 2],
    ['国常会', 3],
    ['国务院常务会议', 3],
    ['证监会', 2],
    ['金融监管总局', 2],
    ['监管总局', 1],
    ['央行', 1],
    ['人民银行', 1],
    ['降准', 3],
    ['降息', 3],
    ['新规', 3],
    ['办法', 1],
    ['的通知', 1],
    ['意见', 0.5],
    ['印发', 3],
    ['出台', 2],
    ['征求意见', 2],
    ['指导意见', 3],
    [DOCUMENT, 3],
    ['细则', 2],
    ['实施方案', 2],
    ['条例', 2],
    ['政策', 1],
    ['试点', 1],
    ['规定', 1],
    ['改革', 1],
    ['逆回购', 2],
    ['MLF', 2],
    ['中期借贷便利', 2],
    ['LPR', 2],
    ['贷款市场报价利率', 2],
    ['公开市场', 2],
    ['存款准备金率', 3],
    ['财政部', 1],
    ['发改委', 2],
    ['专项债', 2],
    ['特别国债', 2],
    ['外汇局', 1],
    ['部署', 2],
    ['商务部', 1],
    ['工信部', 1],
    ['农业农村部', 1],
    ['医保局', 1],
    ['调控', 2],
    ['推动', 1],
    ['鼓励', 1],
    ['引导', 1],
    ['推进', 1],
    ['加快', 0.5],
    ['住建部', 1],
    ['监管', 1],
    ['货币政策', 2],
    ['财政政策', 2],
    ['政治局会议', 3],
    ['中央经济工作会议', 3],
    ['以旧换新', 1],
  ],
  macro: [
    ['CPI', 3],
    ['PPI', 3],
    ['PMI', 3],
    ['GDP', 3],
    ['居民消费价格', 3],
    ['工业生产者', 2],
    ['采购经理指数', 3],
    ['国内生产总值', 3],
    ['社融', 3],
    ['社会融资规模', 3],
    ['M2', 3],
    ['M1', 2],
    ['广义货币', 2],
    ['统计局', 2],
    ['进出口', 2],
    ['出口', 1],
    ['进口', 1],
    ['贸易顺差', 2],
    ['工业增加值', 3],
    ['社会消费品零售', 3],
    ['社零', 3],
    ['固定资产投资', 3],
    ['外汇储备', 3],
    ['经济', 1],
    ['通胀', 1],
    ['就业', 1],
    ['失业率', 2],
    ['人民币贷款', 2],
    ['信贷', 1],
    ['海关总署', 2],
    ['经济数据', 2],
    ['宏观', 1],
    ['经济增长', 2],
    ['同比增长', 0.5],
    ['景气指数', 2],
    ['商务活动指数', 3],
    ['非制造业', 2],
    ['顺差', 2],
    ['经常账户', 3],
    ['实际使用外资', 3],
    ['一般公共预算', 3],
    ['财政收入', 3],
    ['全社会用电量', 3],
    ['工业企业利润', 3],
    ['规模以上', 2],
    ['70城', 3],
    ['70个大中城市', 3],
    ['房价', 1],
    ['国际收支', 3],
  ],
  market: [
    ['沪指', 3],
    ['上证指数', 3],
    ['深成指', 3],
    ['深证成指', 3],
    ['创业板指', 3],
    ['收评', 4],
    ['午评', 4],
    ['早评', 3],
    ['收盘', 2],
    ['开盘', 1],
    ['成交额', 2],
    ['北向资金', 2],
    ['南向资金', 2],
    ['板块', 2],
    ['涨停', 2],
    ['跌停', 2],
    ['指数', 1],
    ['个股', 2],
    ['A股', 2],
    ['主力资金', 2],
    ['两市', 3],
    ['科创50', 2],
    ['沪深300', 2],
    ['三大指数', 3],
    ['大盘', 2],
    ['概念股', 2],
    ['涨幅', 1],
    ['跌幅', 1],
    ['行情', 1],
    ['中间价', 2],
    ['汇率', 1],
    ['港股', 2],
    ['恒生指数', 2],
    ['恒指', 2],
    ['恒生科技', 2],
    ['融资余额', 2],
    ['ETF', 1],
    ['国债期货', 2],
    ['债市', 2],
    ['人民币汇率', 2],
    ['离岸人民币', 2],
    ['逆势', 1],
    ['拉升', 2],
    ['跳水', 2],
    ['走强', 1],
    ['走弱', 1],
    ['概念股', 2],
    ['午后', 1],
    ['早盘', 1],
    ['尾盘', 1],
    ['基金', 1],
    ['权益类', 2],
    ['偏股', 2],
    ['公募', 1],
  ],
  company: [
    ['营收', 2],
    ['营业收入', 2],
    ['净利润', 2],
    [BUYBACK, 2],
    ['增持', 2],
    ['减持', 2],
    ['公告', 1],
    ['董事长', 2],
    ['总经理', 1],
    ['股东', 1],
    ['分红', 2],
    ['派息', 2],
    ['业绩', 2],
    ['财报', 2],
    ['季报', 2],
    ['年报', 2],
    ['半年报', 2],
    ['业绩预告', 3],
    ['并购', 2],
    ['收购', 2],
    ['重组', 1],
    ['定增', 2],
    ['股权激励', 2],
    ['订单', 1],
    ['中标', 2],
    ['签约', 1],
    ['子公司', 2],
    ['旗下', 1],
    ['发布会', 1],
    ['新品', 1],
    ['董事会', 2],
    ['股东大会', 2],
    ['每股', 1],
    ['立案', 2],
    ['处罚', 2],
    ['警示函', 2],
    ['交付', 1],
    ['发布', 0.5],
    ['推出', 1],
    ['辞职', 2],
    ['聘任', 2],
    ['违约', 2],
    ['兑付', 2],
    ['授权', 1],
    ['首付款', 1],
    ['计提', 2],
    ['减值', 1],
    ['下线', 1],
    ['量产', 1],
    ['投产', 1],
    ['出售', 1],
    ['签署', 1],
  ],
  industry: [
    ['行业', 2],
    ['产业', 1],
    ['销量', 2],
    ['产量', 2],
    ['价格', 1],
    ['产能', 2],
    ['协会', 2],
    ['中汽协', 3],
    ['乘联会', 3],
    ['乘联分会', 3],
    ['出货量', 2],
    ['装机量', 2],
    ['市场规模', 2],
    ['渗透率', 2],
    ['新能源汽车', 1],
    ['光伏', 1],
    ['半导体', 1],
    ['锂电', 1],
    ['储能', 1],
    ['芯片', 1],
    ['产业链', 2],
    ['供应链', 1],
    ['上游', 1],
    ['下游', 1],
    ['景气度', 2],
    ['库存', 1],
    ['开工率', 2],
    ['零售量', 1],
    ['批发量', 1],
    ['均价', 1],
    ['猪价', 2],
    ['商品房', 1],
    ['多晶硅', 1],
    ['保费', 2],
    ['运价', 2],
    ['集采', 3],
    ['招标', 1],
    ['现货价格', 2],
    ['碳酸锂', 2],
    ['粗钢', 2],
    ['生猪', 1],
    ['装车量', 2],
    ['面板', 1],
  ],
  global: [
    ['美联储', 3],
    ['美股', 3],
    ['欧洲央行', 3],
    ['日本央行', 3],
    ['英国央行', 3],
    ['纳指', 3],
    ['纳斯达克', 2],
    ['道指', 3],
    ['道琼斯', 3],
    ['标普500', 3],
    ['原油', 2],
    ['油价', 2],
    ['布伦特', 2],
    ['WTI', 2],
    ['黄金', 1],
    ['金价', 2],
    ['日元', 2],
    ['美元指数', 2],
    ['欧元', 2],
    ['美债', 3],
    ['华尔街', 2],
    ['非农', 3],
    ['鲍威尔', 3],
    ['拉加德', 3],
    ['欧元区', 3],
    ['日经', 2],
    ['欧佩克', 3],
    ['OPEC', 3],
    ['关税', 1],
    ['特朗普', 1],
    ['美国', 1],
    ['欧洲', 1],
    ['日本', 1],
    ['英国', 1],
    ['全球', 1],
    ['海外', 1],
  ],
};

const TIE_ORDER: readonly Scored[] = ['policy', 'macro', 'company', 'market', 'industry', 'global'];
/** Below this score nothing is convincing and the article is `other`. */
const MIN_SCORE = 2;

function occurrences(text: string, pattern: string | RegExp): number {
  if (typeof pattern !== 'string') return Math.min(2, [...text.matchAll(pattern)].length);
  let n = 0;
  for (let i = text.indexOf(pattern); i !== -1 && n < 2; i = text.indexOf(pattern, i + pattern.length)) n++;
  return n;
}

/** Each category's score: title ×3 plus lead. */
export function categoryScores(title: string, lead: string): Record<Scored, number> {
  const out = {} as Record<Scored, number>;
  for (const cat of TIE_ORDER) {
    out[cat] = LEXICONS[cat].reduce((sum, [p, w]) => sum + w * (3 * occurrences(title, p) + occurrences(lead, p)), 0);
  }
  return out;
}

/** The category: best score with adjustments for company presence and foreign news. */
export function categoryOf(title: string, lead: string, entities: Entities, region: Region): Category {
  const s = categoryScores(title, lead);
  // Company news needs a company; one named in the title is strong evidence.
  if (entities.companies.length === 0) s.company *= 0.5;
  if (entities.titleCompanies.length > 0) s.company += 4;
  const domestic = region === 'CN' || region === 'HK';
  if (domestic) s.global *= 0.3;
  const best = TIE_ORDER.reduce((a, b) => (s[b] > s[a] ? b : a));
  if (s[best] < MIN_SCORE) return 'other';
  // Foreign policy, data and market news (美联储降息, 美国CPI, 美股收盘) goes to the international section.
  if (!domestic && (best === 'policy' || best === 'macro' || best === 'market')) return 'global';
  return best;
}

const EVENTS: readonly (readonly [label: string, pattern: RegExp])[] = [
  [
    '货币政策',
    /降准|降息|加息|逆回购|中期借贷便利|MLF|LPR|贷款市场报价利率|存款准备金率|公开市场操作|利率决议|议息|货币政策|关键利率|基准利率|政策利率|利率不变|联邦基金利率/,
  ],
  [
    '宏观数据',
    /CPI|PPI|PMI|GDP|社融|社会融资规模|M2|工业增加值|社会消费品零售|社零|固定资产投资|进出口|外汇储备|非农|失业率|经济数据|居民消费价格/,
  ],
  ['监管处罚', /行政处罚|处罚|罚款|罚没|立案|警示函|监管函|纪律处分|通报批评|市场禁入/],
  [
    '业绩',
    /业绩|净利润|营收|营业收入|财报|年报|半年报|季报|三季报|预增|预亏|预减|扭亏|收入(?:同比)?(?:增长|下降|下滑)|EBITA|EBITDA|每股收益/,
  ],
  ['回购', /(?<!逆)回购/],
  ['增持', /增持/],
  ['减持', /减持/],
  ['分红', /分红|派息|派现/],
  ['债务违约', /违约|未能按期兑付|未能按时兑付|展期|爆雷|暴雷/],
  ['并购重组', /并购|收购(?!价)|重组|吸收合并|要约/],
  ['人事变动', /辞职|辞任|聘任|任命|当选|离任|换帅|履新|卸任/],
  ['融资上市', /IPO|首发上市|挂牌上市|定增|配股|发行上市|招股|新股|上市首日|登陆(?:科创板|创业板|北交所|主板|港交所)/],
  [
    '政策发布',
    /印发|出台|新规|管理办法|实施办法|的通知|发布通知|指导意见|《[^》]{0,40}指引[^》]{0,20}》|细则|实施方案|条例|国常会|国务院常务会议|征求意见|政治局会议|部署/,
  ],
  ['汇率', /中间价|人民币汇率|离岸人民币|在岸人民币|人民币对美元|人民币兑美元/],
  [
    '市场行情',
    /收评|午评|早评|收盘|沪指|上证指数|深成指|创业板指|三大指数|恒指|恒生指数|成交额|涨停|跌停|北向资金|板块/,
  ],
  ['行业数据', /销量|产量|产销|出货量|装机量|装车量|渗透率|开工率|协会|乘联|中汽协|均价/],
  ['产品发布', /(?<!新闻)发布会|发布新|发布.{0,8}(?:大模型|手机|车型|芯片|新品|产品|系列)|推出|新品|上市新|亮相|首发/],
  ['大宗商品', /原油|油价|黄金|金价|铜价|大宗商品/],
  ['机构观点', /看好|展望|策略|研报|评级|目标价/],
];

/** A short Chinese event label: the first rule matching the title, else the lead; 其他 otherwise. */
export function eventTypeOf(title: string, lead: string): string {
  for (const text of [title, lead]) {
    for (const [label, re] of EVENTS) if (re.test(text)) return label;
  }
  return '其他';
}

/** A rate move that is only expected (降息预期) is not a decision. */
const SPECULATIVE = /预期|预计|可能|或将|押注|概率|前瞻/;
const TOP_REGULATORS = new Set([
  '国务院',
  '中国人民银行',
  '中国证监会',
  '国家金融监督管理总局',
  '财政部',
  '国家统计局',
  '国家发展改革委',
  '美联储',
]);

/** Importance 1–5 from what the story is about (rate moves and regulators high, routine items low). */
export function importanceOf(title: string, category: Category, eventType: string, entities: Entities): number {
  let score = 2;
  if (
    /降准|降息|加息|下调.{0,8}准备金率|[下上]调.{0,8}利率|政治局会议|中央经济工作会议/.test(title) &&
    !SPECULATIVE.test(title)
  )
    score = 5;
  else if (/国常会|国务院常务会议|LPR|贷款市场报价利率|MLF/.test(title)) score = 4;
  else if (eventType === '宏观数据' && /CPI|PPI|PMI|GDP|社融|M2|进出口|工业增加值|社零|社会消费品零售|非农/.test(title))
    score = 4;
  else if (eventType === '货币政策') score = 4;
  else if (/收评|收盘/.test(title)) score = 3;
  else if (category === 'policy' || category === 'macro') score = 3;
  if (score < 4 && entities.titleInstitutions.some((n) => TOP_REGULATORS.has(n))) score += 1;
  if (category === 'company' || entities.titleCompanies.length > 0) {
    const bigCap = entities.titleCompanies.some((name) => lookup(name, 'company') !== undefined);
    score = Math.max(score, bigCap ? 3 : 2);
    if (['业绩', '并购重组', '监管处罚'].includes(eventType)) score += 1;
  }
  if (category === 'other') score = Math.min(score, 2);
  return Math.max(1, Math.min(5, score));
}
