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


_ORG_SUFFIXES = ("公司", "集团", "合作社", "事务所", "合伙企业", "厂")
#: words that end the run of words before an enterprise name in a title (关于协助办理|山西某某煤业有限公司)
_BEFORE_NAME = {
    "关于", "协助", "办理", "推进", "协调", "解决", "查处", "移送", "落实", "做好", "支持", "处置", "配合", "开展",
    "加快", "研究", "召开", "申报", "核查", "督促", "指导", "涉及", "依法", "妥善", "请", "要求", "商请", "协查",
    "调查", "审查", "评估", "受理", "审理", "破产", "重整", "清算", "和解", "对", "与", "及", "在", "为", "向",
    "由", "将", "把", "的", "了", "等", "做", "好", "同意", "批准", "印发", "转发", "通报", "表彰", "帮助", "化解",
}
_NAME_MAX = 16


@lru_cache(maxsize=1024)
def organisation_spans(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of enterprise names such as 山西某某煤业有限公司: the words before a 公司-like
    suffix, back to a verb, preposition or particle of the title (or 16 characters)."""
    if not any(s in text for s in _ORG_SUFFIXES):
        return ()
    words = segment(text)
    ends, pos = [], 0
    for word in words:
        pos += len(word)
        ends.append(pos)
    spans = []
    for i, word in enumerate(words):
        if not word.endswith(_ORG_SUFFIXES):
            continue
        j = i
        while j > 0:
            prev = words[j - 1]
            if (prev in _BEFORE_NAME or not prev.strip() or not any("\u4e00" <= ch <= "\u9fff" for ch in prev)
                    or prev.endswith(_ORG_SUFFIXES) or ends[i] - (ends[j - 2] if j > 1 else 0) > _NAME_MAX):
                break
            j -= 1
        start = ends[j - 1] if j else 0
        if ends[i] - start > len(word):
            spans.append((start, ends[i]))
    return tuple(spans)


def preload_on_first_request(app) -> None:
    """Load jieba's dictionary (a second or two) in the background after a worker's first request,
    so the first document printed does not wait for it; CLI commands never load it."""
    started = []

    @app.before_request
    def _preload():
        if not started:
            started.append(True)
            threading.Thread(target=_jieba, name="jieba-preload", daemon=True).start()
