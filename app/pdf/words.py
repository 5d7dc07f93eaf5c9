"""Where Chinese words end: jieba's segmenter, loaded once and only when a title or a long name needs it.

GB/T 9704 §7.3.1 asks titles to break "词意完整" (at whole words); Chinese has no spaces, so a word
segmenter (jieba, a dictionary plus an HMM for unknown words) tells where words end.  Loading its
dictionary costs about a second once per process (then cached by jieba in the temp directory).
"""
from __future__ import annotations

import logging
import threading
from functools import lru_cache

#: words of this domain the general dictionary splits (府院|联动 …): never broken in a title
DOMAIN_WORDS = ("府院联动", "府院联动机制", "破产处置", "企业破产", "企业破产处置", "联席会议", "专题会议", "会议纪要", "议定事项",
                "协调事项", "成员单位", "联动办公室", "破产重整", "破产清算", "破产管理人", "债权人会议", "职工安置",
                "信用修复", "税收债权", "督促落实", "工作通报", "重大敏感", "风险评估", "处置方案")

_lock = threading.Lock()
_tokenizer = None


def _jieba():
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                for word in DOMAIN_WORDS:
                    tok.add_word(word, freq=200000)
                _tokenizer = tok
    return _tokenizer


@lru_cache(maxsize=4096)
def segment(text: str) -> tuple[str, ...]:
    """The words of `text`, in order; joined they give `text` back."""
    if not text:
        return ()
    return tuple(_jieba().cut(text, HMM=True))


def boundaries(text: str) -> list[int]:
    """Offsets inside `text` where one word ends and the next begins."""
    out, pos = [], 0
    for word in segment(text)[:-1]:
        pos += len(word)
        out.append(pos)
    return out


_ORG_SUFFIXES = ("公司", "集团", "合作社", "事务所", "合伙企业")
_NOT_IN_NAME = ("v", "p", "c", "u", "d", "f")      # verbs, prepositions, conjunctions, particles …


@lru_cache(maxsize=1024)
def organisation_spans(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of enterprise names such as 山西某某煤业有限公司: the words before a 公司-like
    suffix back to the nearest verb or preposition (part-of-speech tags from jieba.posseg)."""
    if not any(s in text for s in _ORG_SUFFIXES):
        return ()
    from jieba import posseg

    tok = _jieba()
    pairs = [(w.word, w.flag) for w in posseg.POSTokenizer(tok).cut(text)]
    spans, ends, pos = [], [], 0
    for word, _flag in pairs:
        pos += len(word)
        ends.append(pos)
    for i, (word, _flag) in enumerate(pairs):
        if not word.endswith(_ORG_SUFFIXES):
            continue
        j = i
        while j > 0 and not pairs[j - 1][1].startswith(_NOT_IN_NAME) and not pairs[j - 1][0].endswith(_ORG_SUFFIXES):
            j -= 1
        start = ends[j - 1] if j else 0
        if ends[i] - start > len(word):
            spans.append((start, ends[i]))
    return tuple(spans)
