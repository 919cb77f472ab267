/**
 * What the rules module says when it refuses a rule ({@link AlertRuleInputError}), in English, by code; the
 * console says the same in the page's language (`web/i18n/areas/texts.ts`).
 */
import { textsOf } from '../lib/coded-text.ts';

export const RULE_INPUT_TEXTS = {
  'rule.list': 'expected a list',
  'rule.listText': 'expected text entries',
  'rule.entryInvalid': '"{value}" is not valid',
  'rule.tooMany': 'at most {max} entries',
  'rule.quietFormat': 'expected HH:MM-HH:MM (e.g. 22:00-07:00), or off',
  'rule.quietSame': 'the start and the end must differ',
  'rule.integer': 'expected an integer from {min} to {max}',
  'rule.noChannel': 'no channel named {names}',
  'rule.name': 'expected 1–64 letters, digits, "_", "." or "-", starting with a letter or digit',
  'rule.nameRequired': 'required',
  'rule.sentiment': 'expected positive, neutral or negative',
  'rule.noTarget': 'a rule needs at least one channel or mail group',
  'rule.exists': 'a rule named {name} exists',
  'rule.missing': 'no rule named {name}',
} as const;

export type RuleInputCode = keyof typeof RULE_INPUT_TEXTS;

/** A refusal's sentence: `ruleText('rule.exists', { name })`. */
export const ruleText = textsOf(RULE_INPUT_TEXTS);
