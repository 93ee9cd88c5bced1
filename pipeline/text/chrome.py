"""Remove page chrome from text exports of forums, social sites, blogs and storefronts.

A line is judged by what it is, never by a list of known pages:
- *chrome* on its own (`_strong`): action words and lines starting with an interface verb, dates and times
  with at most two other words, counts, ratings, pagination, bars of links and breadcrumbs, footers and legal
  lines, square-bracket labels, CJK interface words, user handles;
- *chrome in company*: a bare number (a vote count), a language label, a line of one or two words: removed only
  inside a run of short lines that holds at least two lines of the first kind (a post's header or footer);
- *edge lines*: before the first and after the last line of prose, a site's own sentences (footers, calls to
  act), lines in a script or a language the body does not use (a Japanese or German shop's buttons around an
  English essay: the German ones read together, as each alone is too short to tell), and in text exports menu words;
- *repeated lines* (`repeated_lines`): a short line that stands in many documents of the corpus;
- a reply's title that repeats the topic's ("Re: ...").
Every sentence a person wrote stays: a line of prose is never removed, whatever it contains, and a line that
starts like a button is a person's when it holds a person's words ("Show me the numbers").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from pipeline.text.dedup import collapse_blank_lines, repeated_paragraphs
from pipeline.text.language import detect_language

_ACTIONS = (
    # English
    "link|fedilink|permalink|reply|replies|share|report|save|saved|hide|unhide|edit|edited|delete|quote|"
    "follow|following|unfollow|like|liked|unlike|upvote|downvote|vote|arrow-up|arrow-down|flag|embed|context|"
    "parent|source|view source|bookmark|retweet|repost|boost|favorite|favourite|translate|copy link|"
    "see all|see more|show more|show less|load more|load more comments|view more|view all|read more|more|"
    "view replies|hide replies|show replies|show thread|sort by|sort|best|top|new|old|controversial|"
    "next|previous|prev|back to top|log in|login|sign in|sign up|register|subscribe|unsubscribe|"
    "expand|collapse|cancel|submit|send|post|comment|comments|add a comment|leave a comment|by|"
    "home|about|archive|help|faq|search|categories|communities|log out|logout|skip to content|"
    # German, French, Spanish, Italian, Portuguese, Dutch
    "antworten|teilen|melden|speichern|bearbeiten|zitieren|mehr anzeigen|alle anzeigen|"
    "répondre|partager|signaler|enregistrer|modifier|citer|voir plus|voir tout|"
    "responder|compartir|reportar|guardar|editar|citar|ver más|ver todo|"
    "rispondi|condividi|segnala|salva|modifica|cita|mostra altro|"
    "compartilhar|denunciar|salvar|ver mais|antwoorden|delen|rapporteren|opslaan|"
    # Russian, Polish, Japanese, Chinese, Korean
    "ответить|поделиться|пожаловаться|сохранить|показать ещё|odpowiedz|udostępnij|zgłoś|zapisz|"
    "返信|共有|報告|保存|もっと見る|すべて表示|回复|分享|举报|收藏|查看更多|답글|공유|신고|저장|더 보기"
)
_RELATIVE_TIME = (
    r"(edited\s+)?(\d+|an?|one)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|wk|weeks?|"
    r"mo|months?|y|yr|years?)\s*(ago)?|just now|yesterday|today|"
    r"vor\s+\d+\s+\w+|il y a\s+\d+\s+\w+|hace\s+\d+\s+\w+|\d+\s+\w+\s+fa|há\s+\d+\s+\w+|"
    r"\d+\s*\w+\s+назад|\d+\s*(秒|分|時間|日|週間|か月|ヶ月|年)前|\d+\s*(秒|分钟|小时|天|周|个月|年)前|\d+\s*(초|분|시간|일|주|개월|년)\s*전"
)
_MONTHS = r"jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_ABSOLUTE_TIME = (
    rf"(({_MONTHS})[a-z]*\.?\s+\d{{1,2}}(st|nd|rd|th)?,?(\s+\d{{4}})?|\d{{1,2}}\s+({_MONTHS})[a-z]*\.?(\s+\d{{4}})?|"
    r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|"
    # a day, a month's name in any language, a year ("3. März 2024", "3 de marzo de 2024"); CJK "2024年3月3日"
    r"\d{1,2}\.?\s+(de\s+)?[^\W\d_]{3,12}\.?,?\s+(de\s+)?\d{4}|\d{4}\s*[年년]\s*\d{1,2}\s*[月월](\s*\d{1,2}\s*[日일])?)"
    r"([\s,]+(at\s+)?\d{1,2}:\d{2}(\s*[ap]\.?m\.?)?)?"
)
# How long a post takes to read, as blogs print it beside the date: "5 min read", "5 Min. Lesezeit", "阅读需 5 分钟".
_READING_TIME = (
    r"\d+\s*(min|mins|minutes?|minuten|minutos?|minuti|минут\w*|分钟|分|분)\.?\s*(read|de lecture|lesezeit|lesedauer|"
    r"de lectura|di lettura|de leitura|чтения|で読めます|で読める|阅读|분량|읽기)|(阅读需|阅读时间|阅读约|reading time:?|lesezeit:?|"
    r"temps de lecture\s*:?)\s*\d+\s*(分钟|min\w*)?"
)
_COUNTED = (
    r"(no|\d[\d,.]*\s*[km]?)\s+(comments?|replies|answers?|votes?|points?|likes?|retweets?|reposts?|boosts?|"
    r"views?|shares?|reactions?|favou?rites?|kommentare?|commentaires?|comentarios?|commenti|комментари\w*)|"
    r"(comments?|replies)\s*\(\d+\)|\d+\s*(件のコメント|条评论|개의 댓글)"
)
_STRONG = re.compile(
    rf"^({_ACTIONS}|{_RELATIVE_TIME}|{_ABSOLUTE_TIME}|{_COUNTED}|[·•|–—\-*/]+)$",
    re.I,
)
# Short lines that start with a verb of the interface: "Show more replies", "Improve this answer".
_ACTION_START = re.compile(
    r"^(show|view|load|see|sign|log|ask|give|improve|post|jump|return|back|skip|discover|create|add|leave|sort|"
    r"display|join|follow|share|reply|report|subscribe|download|buy|search|select|deselect|unselect|mark|expand|"
    r"collapse|browse|reset|zeige|alle|mehr|zur|"
    r"voir|afficher|ver|mostrar|mostra|показать|もっと|すべて)\b",
    re.I,
)
# What undoes the last action, at most three words: "cancel selecting", "annuler la sélection" (not "Cancel
# culture is real").
_UNDO = re.compile(r"^(cancel|undo|dismiss|annuler|cancelar|annulla|abbrechen|отменить)\b", re.I)
# A person's words, which a button does not hold: "Show me the numbers", "Reply to this if you disagree" (a site
# speaks of itself as "us": "Follow us" stays a button).
_PERSONAL = re.compile(r"\b(i|i'm|i've|me|my|it|we|them|him|her|they|if)\b", re.I)
# A control that acts on the item it stands under: "Multi-Quote This Message", "Quick reply to this message".
_ACTS_ON_THIS = re.compile(
    r"\b(quote|reply|report|share|save|edit|delete|flag|bookmark|follow|like|vote|embed|subscribe|print|email|"
    r"watch|ignore|rate|search|translate)\b.*\bthis (message|post|thread|topic|comment|answer|question|reply|"
    r"discussion|page|article|story)\W*$",
    re.I,
)
# How many posts or messages a bulk-selection toolbar holds: "You have selected 0 posts.", "3 ausgewählt".
_SELECTED = re.compile(
    r"(?<![\w-])(selected|ausgewählt|sélectionné\w*|seleccionad\w*|selezionat\w*|selecionad\w*|geselecteerd|zaznaczon\w*|"
    r"выбран\w*|выделен\w*)\b",
    re.I,
)
# Footers and legal links, in any site's words: what a site says about itself, never what a post says. Looked
# for with `in` in the lowered line: a regular expression of them tried each at every character (15 µs a line
# of prose; `in` takes 2). Three are footers only as their pattern says.
_FOOTER_WORDS = (
    "powered by", "©", "(c) ", "copyright", "all rights reserved", "terms of ", "privacy", "cookie",
    "accessibility", "ads info", "impressum", "datenschutz", "agb", "mentions légales", "aviso legal",
    "your email address will not be published", "required fields are marked", "users browsing this",
    "who is online", "利用規約", "プライバシー", "隐私", "개인정보", "browse other topics", "view latest topics",
)  # fmt: skip
_FOOTER_ONLY_AS = {"(c) ": re.compile(r"\(c\) \d{4}"), "terms of ": re.compile(r"terms of (service|use)"), "agb": re.compile(r"\bagb\b")}


def _footer(line: str, words: tuple[str, ...] = _FOOTER_WORDS) -> bool:
    """Does the line hold a footer? `words`: those of _FOOTER_WORDS its document holds, if known."""
    if not words:
        return False
    lowered = line.lower()
    only_as = _FOOTER_ONLY_AS
    return any(word in lowered and (word not in only_as or bool(only_as[word].search(lowered))) for word in words)

# Interface words of CJK news and shop pages, inside short lines (no spaces to split words by).
_CJK_INTERFACE = re.compile(
    r"シェア|一覧へ|あわせて読みたい|関連記事|次の記事|前の記事|カートに入れる|阅读下一篇|上一篇|下一篇|责任编辑|纠错|"
    r"相关阅读|分享到|관련\s?기사|공유하기|이전 기사|다음 기사"
)
_MENU = re.compile(r"\s[|•›‹»«]\s.*\s[|•›‹»«]\s|^[|•›‹»«·]\s|\s[|•›‹»«·]$")  # a bar of links or a breadcrumb
_MENU_MARKS = "|•›‹»«·"  # what every bar holds: looking for them (`in`, twice as fast as a regex) rules most lines out


def _menu(line: str) -> bool:
    if "|" not in line and line.isascii():  # every other mark is beyond ASCII (isascii is known, not searched)
        return False
    return any(mark in line for mark in _MENU_MARKS) and bool(_MENU.search(line))
_PAGING = re.compile(r"\b(page|seite|página|pagina|страница)\s+\d+\s+(of|von|de|di|sur|из)\s+\d+", re.I)
_RATING = re.compile(r"^[\d.,]+\s*(out of|of|von|de|sur|su|из|/)\s*\d+(\s+\S+){0,2}$|つ星のうち", re.I)
# A short label in square brackets: "[–]", "[edit]", "【纠错】" (not parentheses: "(we are hiring)" is a post's).
_BRACKETED = re.compile(r"^[\[【［][^\]】］]{0,24}[\]】］]?$")
_REPLY_TITLE = re.compile(r"^(re|aw|sv|vs|odp|ответ)\s*:\s*", re.I)
# An option of a sort control: "Highest score (default)", "Date created (oldest first)".
_SORT_OPTION = re.compile(
    r"^[^\W\d][\w ]{0,30}\((default|newest first|oldest first|recent votes count more|par défaut|predeterminado|"
    r"standard|по умолчанию|默认|デフォルト)\)$",
    re.I,
)
# A role badge beside a user name: "OP", "Moderator", "Staff member", "Top 1% Commenter", "karel ♦". The words a
# heading could be ("Member", "Author", "Leader") count only after a name.
_ROLES = (
    r"op|mod|moderator|admin|administrator|staff|staff member|verified|community manager|top \d+% (commenter|poster|"
    r"contributor)|top contributor|moderador|modérateur|moderatore|модератор|администратор|管理员|版主|モデレーター|관리자|운영자"
)
_BADGE = re.compile(
    rf"^([@\w.-]+\s+)?[\[(]?({_ROLES})[\])]?$|^[@\w.-]+\s+[\[(]?(member|new member|regular|leader|author|owner|"
    r"maintainer|collaborator|contributor|bot)[\])]?$|^[@\w.-]+\s*[♦◆]+$",
    re.I,
)
# Who reacted to a post, under it: "Liked by tomas and 2 others", "Mentioned by pietro".
_REACTED_BY = re.compile(
    r"^(liked|loved|mentioned|upvoted|thanked|endorsed|reacted to|quoted|boosted|favou?rited) by [@\w.-]+( and [\d.,]+[km]? others?)?$", re.I
)
# How deep a reply stands in a threaded forum: "level 2", "Ebene 3".
_DEPTH = re.compile(r"^(level|depth|ebene|niveau|nivel|livello|poziom|уровень)\s+\d{1,2}$", re.I)
# What a post is filed under: "Tags: debian, packaging", "Posted in Releases".
_FILED = re.compile(r"^(tags|tagged|tagged with|categories|category|filed under|posted in|labels|topics|schlagwörter|"
                    r"kategorien|étiquettes|catégories|etiquetas|categorías|tag|метки|タグ|标签|태그)\s*:?\s+\S", re.I)
# Who started a thread, as forum software prints it: "Thread starter tomasz", "Started by lucas".
_STARTER = re.compile(r"^(thread starter|started by|last post by|asked by|answered by|submitted by|posted by)\s+[@\w.-]+$", re.I)
# The caption of a cover image, naming the item: "Portada de X", "Cover-Art von X", "X 커버 아트", "『X』のカバーアート".
_CAPTION = re.compile(
    r"^(cover art( for| of)?|cover image( for| of)?|album art( for)?|artwork( for)?|cover-art von|cover von|titelbild von|"
    r"portada de|portada del podcast|carátula de|pochette de|couverture de|illustration de|copertina di|capa de|capa do|"
    r"обложка|okładka)\s+(?P<name>.+)$",
    re.I,
)
_CAPTION_AFTER = ("のカバーアート", "のアートワーク", "의 커버 아트", "커버 아트", "的封面", "封面")
_QUOTES_AROUND = " 『』「」“”\"'《》«»"


def _caption_title(line: str) -> str | None:
    """The title a cover image's caption names, or None if the line is no caption."""
    if line.endswith(_CAPTION_AFTER):
        name = line.removesuffix(next(after for after in _CAPTION_AFTER if line.endswith(after)))
    elif found := _CAPTION.match(line):
        name = found["name"]
    else:
        return None
    return name.strip(_QUOTES_AROUND) or None


# The heading of a block that recommends other pages: what follows it, up to a person's paragraph, is titles of
# other pages and their counts ("More posts you may like", "Suggested Topics", "Hot Network Questions").
_RECOMMENDS = re.compile(
    r"^(more posts you may like|you may also like|you might also like|recommended( for you| from [\w ]+)?|related( posts|"
    r" articles| stories| topics| questions| discussions| threads)?|similar (threads|topics|posts|questions)|"
    r"suggested (topics|for you|posts)|linked( questions)?|hot network questions|more from [\w@./ -]{1,40}|read next|"
    r"up next|more like this|people also ask|popular (posts|now)|top posts|trending( now)?|"
    r"ähnliche (themen|beiträge|artikel)|das könnte (dich|sie) auch interessieren|mehr zum thema|weitere artikel|"
    r"sujets similaires|articles similaires|à lire aussi|vous aimerez aussi|sur le même sujet|temas similares|"
    r"artículos relacionados|te puede interesar|también te puede interesar|argomenti simili|articoli correlati|"
    r"potrebbe interessarti|tópicos semelhantes|artigos relacionados|leia também|você também pode gostar|похожие темы|"
    r"читайте также|похожие статьи|関連記事|あわせて読みたい|おすすめ記事|関連する質問|相关推荐|相关文章|猜你喜欢|相关主题|"
    r"推荐阅读|관련 기사|추천 글|함께 보면 좋은 글)\s*:?$",
    re.I,
)
RECOMMENDED_UNTIL = 120  # characters: a line of prose this long after the heading is a person's paragraph again


def _paragraph_again(line: str) -> bool:
    """Does a block of recommendations end at this line: a person's paragraph, long or ending a sentence (the
    titles it lists end in none, or in a question mark), and not the site's ("Browse other topics in Help.")?"""
    ends = len(line) >= RECOMMENDED_UNTIL or line.rstrip()[-1:] in ".!。！"
    return ends and _is_prose(line) and not _site_line(line)
# A number with a word of what it counts: "312 Bewertungen", "Viewed 12k times", "24,99 €", "¥1,980".
_COUNT = re.compile(
    r"^[\d.,]+\s*[kmKM]?(\s+[^\W\d]\S*){1,2}$|^[^\W\d]\w*\s+[\d.,]+\s*[kmKM]?\s+[^\W\d]\S*$|"
    r"^[¥$€£]\s?[\d.,]+$|^[\d.,]+\s*[¥$€£]$"
)
# Dates and times inside a line; relative times only with a number ("3h", "5 hours ago"), never "an d" in "and".
_TIME_ANYWHERE = re.compile(
    rf"{_READING_TIME}|{_ABSOLUTE_TIME}|\b\d+\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?|mo|months?|"
    r"y|yrs?|years?)\b(\s+ago)?|\b\d{1,2}:\d{2}\s*([ap]\.?m\.?)?(?!\w)",
    re.I,
)
_DIGIT = re.compile(r"\d")
# A numbered list's item ("2. Brand Guidelines", "3. Klasse"), not a count ("12 comments"); a day and a month as
# German and the Nordic languages write them ("3. März", "3. maj") stay a date.
_LIST_ITEM = re.compile(rf"^\d{{1,3}}\.\s+(?!({_MONTHS}|mär|mai|maj|okt|dez|des)[a-zä]*\.?$)", re.I)

_HANDLE = re.compile(r"(^|\s|[•·*☆★]\s*)(@?[^\s@]+@[\w-]+(\.[\w-]+)*\.[a-z]{2,}|[ur]/[\w-]{3,}$)")


def _handle(line: str) -> bool:
    return ("@" in line or "/" in line) and bool(_HANDLE.search(line))  # every handle holds one of them


# A line of code: braces, a semicolon, an assignment, a call ("print(r.text)", "def index():"). An interface's lines
# hold none ("Comments (3)" has its space), and a code block's short lines are not a post's header or footer; a
# template's placeholder left unfilled ("{{ board.errors[0].message }}") is no code.
_CODE_MARKS = re.compile(r"[{};=]|[^\W_]\(|\(\)")
_PLACEHOLDER = re.compile(r"\{\{.*\}\}|\{%.*%\}")


def _code(line: str) -> bool:
    return bool(_CODE_MARKS.search(line)) and not _PLACEHOLDER.fullmatch(line)


_SCORE = re.compile(r"^[▲▼↑↓⬆⬇]?\s*[+\-−]?\d[\d,.]*\s*[km]?\s*[▲▼↑↓⬆⬇]?$", re.I)  # "14", "▲ 877 ▼"
_LANGUAGE_LABELS = {
    "english", "deutsch", "français", "español", "italiano", "português", "nederlands", "русский", "polski",
    "日本語", "中文", "한국어", "العربية", "türkçe", "svenska", "suomi", "dansk", "norsk", "čeština", "magyar",
    "українська", "ελληνικά", "עברית", "हिन्दी", "tiếng việt", "bahasa indonesia", "català", "română", "undetermined",
}  # fmt: skip
_BULLETS = "•·*-–— "
FOREIGN_SURE = 0.9  # how sure langdetect must be that a short edge line is not in the body's language


@dataclass
class Post:
    author: str
    score: int | None = None
    age: str | None = None
    depth: int = 0


@dataclass
class ChromeResult:
    text: str
    removed: list[str] = field(default_factory=list)  # the lines themselves, for audit
    posts: list[Post] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)  # which lines of the text given are kept (see kept_lines)


def _script_of(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "UNKNOWN").split(" ")[0]
    return "CJK" if name in ("CJK", "HIRAGANA", "KATAKANA") else name


_script = functools.cache(_script_of)


@functools.cache
def _script_table() -> tuple[np.ndarray, list[str | None]]:
    """_script of every code point of the BMP, as an index into a list of scripts (0: not a letter)."""
    names: list[str | None] = [None]
    of = [_script_of(chr(c)) for c in range(0x10000)]
    for name in dict.fromkeys(of):
        if name:
            names.append(name)
    index = {name: k for k, name in enumerate(names)}
    return np.array([index[name] for name in of], dtype=np.int16), names


def _scripts(text: str) -> Counter[str]:
    """Letters by script (the first word of their Unicode names: LATIN, CYRILLIC, CJK for Han and kana)."""
    counts: Counter[str] = Counter()
    if len(text) < 1000:  # a line: counted character by character
        for ch, n in Counter(text).items():
            if script := _script(ch):
                counts[script] += n
        return counts
    table, names = _script_table()  # a body: counted as an array
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    for k, n in enumerate(np.bincount(table[codes[codes < 0x10000]], minlength=len(names)).tolist()):
        if k and n:
            counts[names[k]] = n
    for code in codes[codes >= 0x10000].tolist():
        if script := _script(chr(code)):
            counts[script] += 1
    return counts


@functools.lru_cache(maxsize=4096)  # lines repeat within a document and across a site's documents
def _is_prose(line: str) -> bool:
    """Long enough to be what a person wrote, and not a bar of links or a line of dates."""
    return (len(line) >= 60 or len(line.split()) >= 8) and not _menu(line) and not _dated(line) and not _caption_title(line)


_ASCII_LETTERS = bytes(range(0x41, 0x5B)) + bytes(range(0x61, 0x7B))


class _Body:
    """What the edges are compared with: the document's prose, its scripts, words and language, each worked
    out only when an edge line asks (most documents have few edge lines, many none)."""

    def __init__(self, text: str):
        self.text = text

    @functools.cached_property
    def scripts(self) -> Counter[str]:
        return _scripts(self.text)

    @functools.cached_property
    def vocabulary(self) -> set[str]:
        return set(re.findall(r"\w+", self.text.lower()))

    @functools.cached_property
    def language(self) -> str:
        return detect_language(self.text).language

    @functools.cached_property
    def latin_is_common(self) -> bool:
        """Are Latin letters 1 % of the body's letters or more? Surely so, without counting every script, when its
        ASCII letters alone are 1 % of its characters (most bodies, and most edge lines are Latin)."""
        data = self.text.encode("utf-8", "surrogatepass")
        return 100 * (len(data) - len(data.translate(None, _ASCII_LETTERS))) >= len(self.text) or self._share("LATIN") >= 0.01

    def _share(self, script: str) -> float:
        return self.scripts.get(script, 0) / (sum(self.scripts.values()) or 1)

    def foreign_letters(self, line: str) -> int:
        """Letters of the line in scripts that make less than 1 % of the body's letters."""
        found = _scripts(line)
        if found.keys() <= {"LATIN"} and self.latin_is_common:
            return 0
        return sum(n for s, n in found.items() if self._share(s) < 0.01)


@functools.cache
def _footer_word_tables() -> tuple[np.ndarray, ...]:
    """_FOOTER_WORDS in UTF-8 for compiled.found_among: bits by first two bytes, the bytes, starts, lengths."""
    encoded = [word.encode() for word in _FOOTER_WORDS]
    if len(encoded) > 63 or min(map(len, encoded)) < 2:
        raise ValueError("found_among takes at most 63 strings of two bytes or more")
    first_two = np.zeros(1 << 16, np.int64)
    for k, word in enumerate(encoded):
        first_two[word[0] << 8 | word[1]] |= 1 << k
    lengths = np.array([len(word) for word in encoded], np.int64)
    return first_two, np.frombuffer(b"".join(encoded), np.uint8), np.cumsum(lengths) - lengths, lengths


def _footer_words_in(text: str) -> tuple[str, ...]:
    """Those of _FOOTER_WORDS the lowered text holds, in one compiled pass (`in` for each took 0.12 ms a document)."""
    from pipeline.text import compiled  # numba (0.3 s to import): only where a body is gathered, as language does

    data = np.frombuffer(text.lower().encode("utf-8", "surrogatepass"), np.uint8)
    found = compiled.found_among(data, *_footer_word_tables())
    return tuple(word for k, word in enumerate(_FOOTER_WORDS) if found >> k & 1)


def _body(lines: list[str], drop: list[bool]) -> _Body:
    """The prose of a document between its first and last line of prose (`lines`, and what is dropped of them):
    the lines written by a person that are not the site's."""
    prose = [line for line, dropped in zip(lines, drop) if line and not dropped and _written(line)]
    footers = _footer_words_in("\n".join(prose))  # each line is searched for these only
    return _Body("\n".join(line for line in prose if not _site_line(line, footers)))


def _foreign_language(line: str, body: _Body) -> str | None:
    """The language of a short edge line that is not the body's, though in the same script (a German shop's
    "In den Warenkorb" around an English text), or None: at least half of its words are not the body's, and
    langdetect, asked about the line alone, gives another language and the body's at most 1 - FOREIGN_SURE.
    On three words of a title it guesses Tagalog or Estonian as readily: the caller drops such a line only when
    its language is the interface's (see strip_chrome)."""
    words = re.findall(r"[^\W\d_]+", line.lower())
    if not words or len(line.split()) > 6 or line.endswith((".", "!", "?")):
        return None
    if sum(w not in body.vocabulary for w in words) * 2 < len(words) or body.language == "und":
        return None
    guess = detect_language(line, min_letters=8)
    if guess.language in ("und", body.language) or dict(guess.languages).get(body.language, 0.0) > 1 - FOREIGN_SURE:
        return None
    return guess.language


def _site_line(line: str, footer_words: tuple[str, ...] = _FOOTER_WORDS) -> bool:
    """What a site says to its reader, even as a sentence: footers, legal lines, calls to act. `footer_words`:
    those of _FOOTER_WORDS the document holds (words it does not hold need not be searched for in its lines)."""
    if _footer(line, footer_words):
        return True
    return bool(_ACTION_START.match(line) and len(line.split()) <= 10 and (not _said(line) or _CALL_TO_ACT.match(line))
                and not _PERSONAL.search(line))


# Verbs a site asks its reader with, even in a sentence ("Sign up now to get your own timeline!"); a person's
# "Show me your config." is not one.
_CALL_TO_ACT = re.compile(r"^(sign|log|join|subscribe|register|download|buy|create|follow|discover|skip|jump|return|back|leave|add|ask|post|give)\b", re.I)


def _beside_short(lines: list[str], k: int, drop: list[bool]) -> bool:
    """Is a neighbour of line k also a short line that is not a sentence, or removed (a menu or a header, not a
    lone heading)?"""
    return any(0 <= m < len(lines) and lines[m] and (drop[m] or _short(lines[m]) and not _written(lines[m])) for m in (k - 1, k + 1))


def _written(line: str) -> bool:
    """Prose, or a short sentence: what bounds the body of a document."""
    return _is_prose(line) or (line[-1:] in ".!?。！？" and len(line.split()) >= 3)


def _short(line: str) -> bool:
    return len(line) <= 48 and len(line.split()) <= 5


@functools.lru_cache(maxsize=4096)
def _strong(line: str) -> bool:
    if _STRONG.match(line):
        return True
    if len(line) > 100 or _is_sentence(line):
        return False
    words = len(line.split())
    return bool(
        (_short(line) and _handle(line))
        or _menu(line)
        or (words <= 10 and _footer(line))
        or (words <= 6 and _button(line, words))
        or (words <= 6 and _DIGIT.search(line) and _SELECTED.search(line))
        or (words <= 4 and _COUNT.match(line) and not _LIST_ITEM.match(line))
        or _PAGING.search(line)
        or (words <= 6 and _RATING.search(line))
        or _dated(line)
        or _BRACKETED.match(line)
        or (len(line) <= 30 and _CJK_INTERFACE.search(line))
        or (words <= 6 and _SORT_OPTION.match(line))
        or (words <= 4 and _BADGE.match(line))
        or (words == 2 and _DEPTH.match(line))
        or (words <= 4 and _STARTER.match(line))
        or (words <= 7 and _REACTED_BY.match(line))
        or (words <= 12 and _FILED.match(line) and not _said(line))
        or (words <= 14 and _caption_title(line))
        or (words <= 8 and _RECOMMENDS.match(line))
    )


def _button(line: str, words: int) -> bool:
    """A control of at most six words: it starts with an interface verb (not a short sentence), undoes in three
    words or fewer, or acts on "this message"; never with a person's words in it."""
    control = (_ACTION_START.match(line) and not _said(line)) or (words <= 3 and _UNDO.match(line)) or _ACTS_ON_THIS.search(line)
    return bool(control) and not _PERSONAL.search(line)


_NAME = re.compile(r"[@\w.-]{2,30}")


def _named_at(lines: list[str], k: int) -> bool:
    """Is line k a time alone, after a line of a bare user name?"""
    return bool(_TIME_ONLY.fullmatch(lines[k])) and bool(_NAME.fullmatch(lines[k - 1])) and not _DIGIT.fullmatch(lines[k - 1][:1])


def _said(line: str) -> bool:
    """A short sentence, though it starts like a button: "Show me your config file." (not "Show more replies")."""
    return line[-1:] in ".!?。！？" and len(line.split()) >= 3


def _dated(line: str) -> bool:
    """A date or time with at most two other words (not counting "on", "by", "at"): "asked Sep 12, 2021 at
    14:02", "Posted on March 3, 2024 by Lena"; not "Additional thoughts after 24h:"."""
    if len(line) > 100 or not _DIGIT.search(line):  # longer than any date with two words; none without a digit
        return False
    rest = _TIME_ANYWHERE.sub(" ", line)
    return rest != line and len(re.findall(r"\w{3,}", rest)) <= 2


def _is_sentence(line: str) -> bool:
    """Ends like a sentence a person wrote, and is long enough to be one."""
    return line.rstrip()[-1:] in ".!?。！？…\"”" and len(line.split()) >= 6


def _weak(line: str) -> bool:
    return bool(_SCORE.match(line)) or line.lower() in _LANGUAGE_LABELS or len(line.split()) <= 2


def strip_chrome(text: str, from_html: bool = False) -> ChromeResult:
    """Remove interface lines from a text export; keep what people wrote, in order, and the posts' metadata.
    `from_html`: the text is a page's main content, whose short lines at the edges are its headings."""
    raw_lines = text.split("\n")
    lines = [line.strip() for line in raw_lines]
    drop = [False] * len(lines)

    # prose first: most lines are, and it is five times cheaper to tell than chrome
    runlike = [bool(line) and (_short(line) or (not _is_prose(line) and _strong(line))) for line in lines]

    # The title a cover image's caption names is the page's own, short as it may be: it stays.
    titled = {title for k, line in enumerate(lines) if runlike[k] and (title := _caption_title(line))}

    # Runs of consecutive short lines: a post's header or footer when two of them are surely chrome.
    i = 0
    while i < len(lines):
        if not runlike[i]:
            i += 1
            continue
        j = i
        while j < len(lines) and runlike[j]:
            j += 1
        run = range(i, j)
        # A line of code is none of the interface's; a run half made of code is a code block, "return r" too
        code = {k for k in run if _code(lines[k])}
        strong = [] if 2 * len(code) >= len(run) else [k for k in run if _strong(lines[k]) and k not in code]
        if len(strong) >= 2:
            for k in run:
                drop[k] = drop[k] or k not in code and (_strong(lines[k]) or (_weak(lines[k]) and lines[k] not in titled))
        else:  # alone, only what cannot be anything but chrome goes (not a bare handle: it may be a byline)
            for k in strong:  # a handle with a time is a post's header ("maintainer to debian@lemmy.ml · 3h")
                drop[k] = not _handle(lines[k]) or bool(_STRONG.match(lines[k]) or _TIME_ANYWHERE.search(lines[k]))
                if k > i and _named_at(lines, k):  # a post's header: its author's name, then its time ("kris", "2h")
                    drop[k - 1] = True
        i = j

    # A reply's title repeats the topic's: "Re: Mirror keeps failing during install".
    seen: set[str] = set()
    for k, line in enumerate(lines):
        if ":" in line and _REPLY_TITLE.match(line) and _REPLY_TITLE.sub("", line) in seen:
            drop[k] = True
        seen.add(line)

    # A block of recommendations, once the document has begun: from its heading up to a person's paragraph.
    started = False
    k = 0
    while k < len(lines):
        started = started or (bool(lines[k]) and not drop[k] and _written(lines[k]))
        if started and runlike[k] and _RECOMMENDS.match(lines[k]):
            while k < len(lines) and not _paragraph_again(lines[k]):
                drop[k] = drop[k] or bool(lines[k])
                k += 1
        k += 1

    # Edges: before the first and after the last line of prose, a site's own lines stand: its navigation,
    # footer and legal sentences, and lines in a script the body does not use (a Japanese storefront's
    # buttons around an English essay).
    # The first and last lines of prose are looked for from the ends, each line searched for every footer word;
    # the body between them is gathered only when an edge line is compared with it (a quarter of the bench's
    # documents need none).
    def bounds(k: int) -> bool:
        return bool(lines[k]) and not drop[k] and _written(lines[k]) and not _site_line(lines[k])

    first = next((k for k in range(len(lines)) if bounds(k)), None)
    if first is not None:
        last = next(k for k in range(len(lines) - 1, first - 1, -1) if bounds(k))
        body = None

        foreign: dict[int, str] = {}  # edge lines in another language than the body's, though in its script
        for k in (*range(first), *range(last + 1, len(lines))):
            line = lines[k]
            if not line or drop[k] or line in titled:
                continue
            words = len(line.split())
            if words <= 25 and _site_line(line):
                drop[k] = True
            elif not _is_prose(line):
                body = body or _body(lines[first : last + 1], drop[first : last + 1])
                named = sum(any(ch.isalpha() for ch in word) for word in line.split())  # "Unix & Linux": two
                menu_word = 0 < named <= 2 and not line.endswith((".", "!", "?")) and _beside_short(lines, k, drop)
                drop[k] = body.foreign_letters(line) >= 2 or (not from_html and menu_word) or bool(_SCORE.match(line))
                if not drop[k] and (language := _foreign_language(line, body)):
                    foreign[k] = language
        # Such a line is the interface's when the lines removed so far are in its language, or when such lines,
        # read together, are surely in one language (a German shop's buttons; each alone is a guess): a lone
        # title guessed Tagalog is neither.
        if foreign:
            removed = detect_language("\n".join(line for line, dropped in zip(lines, drop) if dropped), min_letters=8)
            interface = {language for language, share in removed.languages if share >= 0.1}
            together = detect_language("\n".join(lines[k] for k in foreign), min_letters=8) if len(foreign) >= 2 and not from_html else None
            for k, language in foreign.items():
                drop[k] = language in interface or bool(together and together.language != body.language and together.score >= FOREIGN_SURE)

    # A paragraph wrapped at a width: a line its sentence goes on from, and the lines going on, are writing
    # ("The dbus-daemon man page now has scarier warnings about" / "<allow_anonymous/> and non-local TCP, which ...")
    for k in range(len(lines) - 1):
        if (drop[k] or drop[k + 1]) and _wraps(lines[k], lines[k + 1]):
            drop[k] = drop[k + 1] = False
    posts = _posts(raw_lines, lines, drop)
    kept = [k for k in range(len(lines)) if not drop[k]]
    removed = [lines[k] for k in range(len(lines)) if drop[k]]
    return ChromeResult(collapse_blank_lines("\n".join(lines[k] for k in kept)), removed, posts, kept)


def _wraps(line: str, after: str) -> bool:
    """Does `after` go on with the sentence of `line`, wrapped at a width? `line` long and not ended, `after` going on
    in lower case, long too or the paragraph's end (not a title, then a post's "submitted 3 hours ago by")."""
    return (len(line) >= WRAPPED and line[-1:].isalpha() and after[:1].islower()
            and (len(after) >= WRAPPED or after[-1:] in ".!?"))  # fmt: skip


WRAPPED = 40  # characters of a line wrapped at a width (most wrap at 72 to 80)


def kept_lines(text: str, kept: list[int]) -> tuple[str, list[str]]:
    """The text strip_chrome gave for `text` and the lines it removed, from the lines it kept (ChromeResult.kept)."""
    lines = [line.strip() for line in text.split("\n")]
    keep = set(kept)
    return collapse_blank_lines("\n".join(lines[k] for k in kept)), [line for k, line in enumerate(lines) if k not in keep]


def _posts(raw_lines: list[str], lines: list[str], drop: list[bool]) -> list[Post]:
    """One post per removed line that names its author, with the score and age found in the same header.
    The author is a handle line ("alice@mastodon.social", "Posted by u/joe"), the name after a "by" line
    (phpBB), or the first word of a byline with a time and a bar of links ("asmith 5 hours ago | next", HN)."""
    posts: list[tuple[int, Post]] = []
    for k, line in enumerate(lines):
        if not drop[k] or not (author := _author(lines, k)):
            continue
        post = Post(author=author, age=_age(line))
        m = k + 1
        while m < len(lines) and lines[m] and drop[m]:
            if _SCORE.match(lines[m]) and post.score is None:
                post.score = int(re.sub(r"[^\d\-−+]", "", lines[m]).replace("−", "-") or 0)
            elif post.age is None and (age := _age(lines[m])):
                post.age = age
            m += 1
        indent = len(raw_lines[k]) - len(raw_lines[k].lstrip())
        posts.append((indent, post))
    levels = sorted({indent for indent, _ in posts})
    for indent, post in posts:
        post.depth = levels.index(indent)
    return [post for _, post in posts]


_HN_BYLINE = re.compile(r"^([\w.-]+)\s+\d+\s+\w+\s+ago\s+\|")


def _author(lines: list[str], k: int) -> str | None:
    if author := _author_line(lines[k]):
        return author
    if k + 1 < len(lines) and _named_at(lines, k + 1):
        return lines[k]
    by = k and len(lines[k - 1]) == 2 and lines[k - 1].lower() == "by"  # the length first: most lines are long
    if by and re.fullmatch(r"[\w.-]{2,30}", lines[k]) and not _strong(lines[k]):
        return lines[k]
    byline = _HN_BYLINE.match(lines[k]) if "|" in lines[k] else None
    return byline.group(1) if byline else None


_TIME_ONLY = re.compile(_RELATIVE_TIME + "|" + _ABSOLUTE_TIME, re.I)


def _age(line: str) -> str | None:
    """The date or time a header line gives ("11 days ago", "5 hours ago" in an HN byline), or None."""
    if _TIME_ONLY.fullmatch(line):
        return line
    found = _TIME_ANYWHERE.search(line)
    return found.group().strip() if found and (_dated(line) or _menu(line)) else None


@functools.lru_cache(maxsize=4096)  # every removed line is asked; a site's buttons recur
def _author_line(line: str) -> str | None:
    """The author a handle line names ("alice@mastodon.social", "u/joe"), or None."""
    if not (_short(line) and _handle(line)):
        return None
    if user := re.search(r"\bu/[\w-]{3,}", line):
        return user.group()
    if not re.search(r"@[\w-]+(\.[\w-]+)*\.[a-z]{2,}", line):
        return None  # "r/linux" names a community, not a person
    author = line.strip(_BULLETS)
    return re.sub(r"(?<=\.[a-z]{2})(OP|MOD|ADMIN)$", "", author, flags=re.I).strip()


# A short line in at least this many documents, and this share of them, is the site's own.
REPEATED_MIN_DOCS = 3
REPEATED_MIN_SHARE = 0.02


def label(line: str) -> bool:
    """A heading or a button, not writing: at most three words, under 30 characters, not ending like a sentence
    ("Note", "Installation", "Read more"; not "今日は晴れです。")."""
    line = line.strip()
    return len(line) < 30 and len(line.split()) <= 3 and (not line or line[-1] not in ".!?。！？…")


def repeatable(line: str) -> bool:
    """A line short enough, and not a sentence, to be a site's own when many documents hold it: an interface's
    words, not a line of code ("}", "});", "x = 1") or a number (a step's, a list's), which many documents hold
    each in its own place."""
    return (len(line.split(maxsplit=8)) <= 8 and not _written(line)  # splitting stops at a ninth word
            and not _code(line) and any(ch.isalpha() for ch in line))  # fmt: skip


def repeated_lines(texts: list[str], min_docs: int = REPEATED_MIN_DOCS, min_share: float = REPEATED_MIN_SHARE) -> set[str]:
    """Short lines (not prose, not sentences) that stand in at least `min_docs` documents and `min_share`
    of them: a site's own lines ("Share this:", "Hot Network Questions"), which no person writes in every
    post. The corpus is the evidence; a single document never is."""
    return repeated_paragraphs(texts, min_docs, min_share, eligible=repeatable)
