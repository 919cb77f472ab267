/**
 * People: dictionary names (潘功胜, 鲍威尔) are found by the entity scan; anyone else only through a title
 * right before the name and a verb or punctuation right after it (董事长王传福表示). Precision over recall.
 */
import { LEXICON } from './dict/index.ts';
import { getJieba } from './segment.ts';

const TITLES =
  '董事长|副董事长|总经理|总裁|副总裁|行长|副行长|首席经济学家|首席策略师|首席分析师|首席执行官|CEO|首席财务官|CFO|创始人|董秘|董事会秘书|主席|副主席|理事长|局长|副局长|部长|副部长|署长|司长|主任|副主任|发言人|总理|副总理|首席统计师|分析师|研究员|院长|所长|合伙人|负责人|股东|实控人|实际控制人';
const AFTER =
  '表示|称|说|指出|认为|坦言|透露|强调|介绍|提到|预计|预测|分析|在|于|就|对|向|接受|出席|主持|发表|宣布|回应|日前|近日|此前|也|则|还|曾|已|辞职|辞去|离任|卸任|代为|履行|兼任|出任|先生|女士|计划|拟|\\d|，|。|、|：|:|\\s|（|\\(|”|$';
const PERSON = new RegExp(`(?:${TITLES})\\s?([\\u4e00-\\u9fa5]{2,3}?)(?=${AFTER})`, 'g');

const SURNAMES = new Set([
  ...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储栗燕楚鄢劳谌奚皮粟冼蔺楼满闻厉伊仝郜阚权帅屠豆朴盖练廉禹井祖漆巴丰支卿狄计索宣晋初门容敬扈晁芮普阙浦戈伏鹿薄邸雍辜羊乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇哈湛宾戎勾茅揭干尉冶斯束檀衣展阴昝智幸奉植衡富尧',
]);
const NOT_NAMES =
  /^(?:公司|集团|本人|先生|女士|团队|表示|认为|指出|近日|日前|今日|昨日|目前|此前|同时|也是|以及|兼任|兼|代表|一职|职务|任期|人士|称|介绍|接受)/;

/** True when a candidate after a title looks like a Chinese personal name. */
export function isPersonName(name: string): boolean {
  if (
    !SURNAMES.has(name[0] ?? '') ||
    NOT_NAMES.test(name) ||
    LEXICON.has(name) ||
    /[的了和与及在是将从们]/.test(name.slice(1))
  )
    return false;
  // A common word that happens to start with a surname (普遍, 高度) is one dictionary word that is not a name.
  const words = getJieba().tag(name, false);
  return !(words.length === 1 && !words[0]!.tag.startsWith('nr'));
}

/** Names introduced by a title in the text, in order of appearance. */
export function titledPeople(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(PERSON)) {
    const name = m[1];
    if (name !== undefined && !out.includes(name) && isPersonName(name)) out.push(name);
  }
  return out;
}
