import { area } from '../area.ts';
import { CHANNEL_INPUT_TEXTS } from '../../../channels/input-texts.ts';
import type { ChannelInputCode } from '../../../channels/input-texts.ts';
import { RULE_INPUT_TEXTS } from '../../../alerts/input-texts.ts';
import type { RuleInputCode } from '../../../alerts/input-texts.ts';
import { EVENT_TEXTS } from '../../../pipeline/event-texts.ts';
import type { EventCode } from '../../../pipeline/event-texts.ts';
import { DEGRADED_TEXTS } from '../../../extract/degraded-texts.ts';
import type { DegradedCode } from '../../../extract/degraded-texts.ts';
import { CSV_TEXTS } from '../../../deliver/csv-texts.ts';
import type { CsvCode } from '../../../deliver/csv-texts.ts';
import { SOURCE_TEXTS } from '../../../collect/source-texts.ts';
import { PASSWORD_TEXTS } from '../../auth/password-texts.ts';
import type { PasswordCode } from '../../auth/password-texts.ts';
import type { SourceTextCode } from '../../../collect/source-texts.ts';

/** Every code of the core's English tables, as a message key (`text.<code>`). */
type TextKey =
  `text.${ChannelInputCode | RuleInputCode | EventCode | DegradedCode | CsvCode | SourceTextCode | PasswordCode}`;

/**
 * The core's coded sentences (`lib/coded-text.ts`): the channel store's, the rules module's and the source
 * validator's refusals, a sources or recipients file's problems, and the runs' event and stage lines, by code. A refusal's Chinese is the short reason a form shows after the
 * field's own sentence (`channels.err.name（“x y”不符合）`). The Chinese is written here — the type wants every code of the
 * core's tables — and the English is the core's own templates, so an English page says what the CLI prints.
 * `{stage}`, `{phase}`, `{status}`, `{queue}` and `{kind}` are said in the page's words (`web/i18n/coded.ts`).
 */
const zh: Record<TextKey, string> & Record<'state.stage.alerts', string> = {
  'state.stage.alerts': '预警',
  'text.channel.name.required': '未填写',
  'text.channel.name.invalid': '“{name}”不符合',
  'text.channel.name.exists': '“{name}”已存在',
  'text.channel.kind.invalid': '须为 {kinds} 之一',
  'text.channel.url.required': '未填写',
  'text.channel.url.invalid': '不是有效的网址',
  'text.channel.url.scheme': '不能是 {scheme}',
  'text.channel.url.userinfo': '不能包含用户名或密码',
  'text.channel.url.tooLong': '超过 2048 个字符',
  'text.channel.secret.notSigning': '{kind}通道不签名消息，请留空',
  'text.channel.secret.remove': '{kind}通道不签名消息，请删除已保存的签名密钥',
  'text.channel.secret.invalid': '须为一行，最多 512 个字符',
  'text.channel.group.type': '须为文本',
  'text.channel.group.invalid': '含逗号或超过 64 个字符',
  'text.channel.chatId.notTelegram': '只有 Telegram 通道使用 Chat ID',
  'text.channel.chatId.invalid': '格式不对',
  'text.channel.chatId.required': '未填写',
  'text.channel.keywords.type': '须为列表',
  'text.channel.keywords.notDingtalk': '只有钉钉通道使用关键词',
  'text.channel.keywords.tooMany': '超过 10 个，或有关键词超过 20 个字符',
  'text.channel.format.notWebhook': '只有 Webhook 通道使用消息格式',
  'text.channel.format.invalid': '须为 json 或 slack',
  'text.channel.maxItems.invalid': '超出 1–50',
  'text.channel.edition.missing': '没有 {date} 这一期日报',
  'text.csv.tooLarge': '文件太大（{bytes} 字节，最多 {max}）',
  'text.csv.workbook': '这是 Excel 工作簿或 zip 文件，不是 CSV——请在 Excel 中“另存为” → “CSV UTF-8 (逗号分隔)”',
  'text.csv.binary': '这是二进制文件（含 NUL 字节），不是 CSV 文本',
  'text.csv.encoding': '无法识别的文本编码：既不是 UTF-8，也不是 GB18030/GBK',
  'text.csv.headerAddress': '第 1 行须为表头 {expected}，却是一个地址：“{cell}”',
  'text.csv.unexpectedColumn': '第 1 行：未知的列“{cell}”；表头应为 {expected}',
  'text.csv.columnTwice': '第 1 行：列“{column}”出现了两次',
  'text.csv.noEmail': '第 1 行：没有 email 列；表头应为 {expected}',
  'text.csv.emptyFirstLine': '文件为空或第 1 行为空；表头应为 {expected}',
  'text.csv.invalid': '不是有效的 CSV 文件：{error}',
  'text.csv.empty': '文件为空；表头应为 {expected}',
  'text.source.required': '必填',
  'text.source.text': '必须是文本',
  'text.source.empty': '不能为空',
  'text.source.tooLong': '最多 {max} 个字符',
  'text.source.number': '必须是数字',
  'text.source.integer': '必须是整数',
  'text.source.min': '不能小于 {min}',
  'text.source.max': '不能大于 {max}',
  'text.source.boolean': '必须是 true 或 false',
  'text.source.object': '必须是对象',
  'text.source.list': '必须是列表',
  'text.source.list.tooFew': '至少 {min} 项',
  'text.source.list.tooMany': '最多 {max} 项',
  'text.source.field.unknown': '未知字段',
  'text.source.definition': '信息源的定义必须是对象',
  'text.source.kind.invalid': '必须是 {kinds} 之一',
  'text.source.url.type': '必须是网址（文本）',
  'text.source.url.invalid': '必须是完整的 http(s) 网址',
  'text.source.selector.type': '必须是 CSS 选择器（文本）',
  'text.source.selector.invalid': '不是有效的 CSS 选择器（解析器提示：{why}）',
  'text.source.key.invalid': '只能包含字母、数字和 . _ : -，以字母或数字开头，最多 80 个字符',
  'text.source.weight.range': '必须在 0 到 10 之间',
  'text.source.timezone.invalid': '不是 IANA 时区（如 Asia/Shanghai）',
  'text.source.header.name': '不是合法的请求头名称',
  'text.source.header.line': '只能有一行',
  'text.source.rules.required': '{kind} 信息源必须填写抓取规则（至少 itemSelector）',
  'text.source.rules.type': '必须是规则对象',
  'text.source.invalid': '无效（{error}）',
  'text.sources.file.json': '不是有效的 JSON：{error}',
  'text.sources.file.yaml': '不是有效的 YAML：{error}',
  'text.sources.file.xml': '不是有效的 XML：{error}',
  'text.sources.file.list': '应为信息源列表，或含 sources 列表的对象',
  'text.sources.file.topLevel': '未知的顶层字段：{fields}',
  'text.sources.file.keyTwice': 'key“{key}”与第 {n} 条重复',
  'text.sources.file.notOpml': '不是 OPML 文件（没有 <opml> 元素）',
  'text.sources.file.noXmlUrl': 'type="{type}"，但没有 xmlUrl',
  'text.password.short': '至少 {min} 个字符',
  'text.password.long': '最多 {max} 个字符',
  'text.password.spaces': '开头和结尾不能有空格',
  'text.rule.list': '须为列表',
  'text.rule.listText': '每一项须为文本',
  'text.rule.entryInvalid': '“{value}”无效',
  'text.rule.tooMany': '超过 {max} 项',
  'text.rule.quietFormat': '格式不对',
  'text.rule.quietSame': '开始和结束相同',
  'text.rule.integer': '须为 {min}–{max} 的整数',
  'text.rule.noChannel': '没有名为 {names} 的通道',
  'text.rule.name': '不符合',
  'text.rule.nameRequired': '未填写',
  'text.rule.sentiment': '无效',
  'text.rule.noTarget': '未选择',
  'text.rule.exists': '已有名为 {name} 的规则',
  'text.rule.missing': '没有名为 {name} 的规则',
  'text.stage.started': '{stage}开始',
  'text.run.finished': '运行结束：{status}',
  'text.run.resumed': '运行由 {worker} 接续（原由 {previous} 启动，第 {attempt} 次尝试）',
  'text.run.retrying': '第 {attempt} 次尝试（共 {attempts} 次）失败：{error}；{seconds} 秒后重试',
  'text.jobs.requeuedOne': '队列中丢失 1 个{queue}任务，已重新排队',
  'text.jobs.requeued': '队列中丢失 {count} 个{queue}任务，已重新排队',
  'text.collect.done': '{sources} 个信息源，{items} 条，新增 {fresh} 条，失败 {failed} 个',
  'text.deadline.reached': '{phase}阶段到达截止时间 {deadline}',
  'text.dedup.done': '新故事 {unique} 条，近似重复 {near} 条',
  'text.dedup.cutOff': '因截止时间中止',
  'text.extract.done': '{stories} 条故事，已抽取 {extracted} 条',
  'text.extract.doneLocal': '{stories} 条故事，已抽取 {extracted} 条，其中本地抽取 {local} 条',
  'text.extract.local': '{why}：{count} 条故事由本地抽取器处理',
  'text.extract.why.deadline': '截止时间 {deadline}',
  'text.extract.why.failed': '抽取任务失败',
  'text.extract.budget': '预算：{reason}；{count} 条故事由本地抽取器处理',
  'text.extract.fallback': '降级：所有大模型服务均失败，{count} 条故事由本地抽取器处理',
  'text.extract.nextProvider': '{provider}：{count} 条故事转给下一个服务（{reasons}）',
  'text.score.done': '头条 {top} 条，分栏 {sections} 条',
  'text.compose.done': '{items} 条内容，邮件 {kb} KB',
  'text.compose.doneTrimmed': '{items} 条内容，邮件 {kb} KB（删减 {trimmed} 条）',
  'text.review.waiting': '草稿等待编辑审核，截止 {deadline}',
  'text.review.approved': '{by} 已批准',
  'text.review.approvedEdited': '{by} 修改后批准',
  'text.review.deadline': '截止时间前无人批准：按生成内容发送',
  'text.deliver.done': '已发送 {sent}，失败 {failed}，跳过 {skipped}{error}{channels}',
  'text.deliver.error': ' — {error}',
  'text.deliver.channels': '；推送通道：已发送 {sent}，失败 {failed}，不确定 {uncertain}，跳过 {skipped}{error}',
  'text.alerts.done': '{rules} 条规则，命中 {matched} 次：已推送 {sent}，抑制 {suppressed}，失败 {failed}',
};

const english = Object.fromEntries(
  Object.entries({
    ...CHANNEL_INPUT_TEXTS,
    ...RULE_INPUT_TEXTS,
    ...EVENT_TEXTS,
    ...DEGRADED_TEXTS,
    ...CSV_TEXTS,
    ...SOURCE_TEXTS,
    ...PASSWORD_TEXTS,
  }).map(([code, text]) => [`text.${code}`, text]),
) as Record<TextKey, string>;

export const texts = area(zh, { 'state.stage.alerts': 'alerts', ...english });
