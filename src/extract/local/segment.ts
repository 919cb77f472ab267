/**
 * Chinese word segmentation with jieba and the finance user dictionary. The segmenter is an immutable
 * resource that takes ~0.3 s to load, so it is created once, on first use.
 */
import { Jieba, TfIdf } from '@node-rs/jieba';
import { dict, idf } from '@node-rs/jieba/dict.js';
import { jiebaUserDict } from './dict/index.ts';

/** One segmented word with its part-of-speech tag (jieba's tag set; `x` also marks HMM-found words). */
export interface Token {
  word: string;
  tag: string;
}

let jieba: Jieba | undefined;
let tfidf: TfIdf | undefined;

/** The shared segmenter, loaded with jieba's dictionary and ours. */
export function getJieba(): Jieba {
  if (jieba === undefined) {
    const j = Jieba.withDict(dict);
    j.loadDict(Buffer.from(jiebaUserDict(), 'utf8'));
    jieba = j;
  }
  return jieba;
}

/** The shared TF-IDF extractor over jieba's IDF table. */
export function getTfIdf(): TfIdf {
  if (tfidf === undefined) {
    const t = TfIdf.withDict(idf);
    // Our own stop list and filters run afterwards; this only keeps one-character words out.
    t.setConfig({ minKeywordLength: 2, useHmm: true });
    tfidf = t;
  }
  return tfidf;
}

/** Segments text into tagged words (HMM on, so unknown names such as 潘功胜 stay whole). */
export function segment(text: string): Token[] {
  return getJieba().tag(text, true);
}

/** True for a token that is punctuation or whitespace: it ends a clause for negation scope. */
export function isClauseBreak(word: string): boolean {
  return /^[\s，。！？；：、,.!?;:“”"'‘’（）()【】《》…—]+$/.test(word);
}
