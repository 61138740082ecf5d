"""Message bodies as the portal shows them: an HTML fragment with a few formatting tags and
links, and nothing that runs.

Sanitizing is nh3's (the Python binding of ammonia, an allow-list HTML5 parser): what is not
allowed is dropped, the content of `script` and `style` with it; event handler attributes are
never allowed; links keep only http, https and mailto targets (so no `javascript:`) and get
`rel="noopener noreferrer"`; text is escaped, so plain text stays plain text. Bodies are
cleaned when written and again when read, because the CRM's staff write there too.
"""

import functools

import nh3

TAGS = frozenset({"p", "br", "strong", "em", "b", "i", "u", "s", "ul", "ol", "li",
                  "blockquote", "code", "pre", "a"})  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
MAX_LENGTH = 10_000
"""Characters a written body may have, markup included."""
MAX_ATTACHMENTS = 10


REMEMBERED = 1024
REMEMBERED_LENGTH = 2_000
"""A thread is read again and again, and each read sanitized every message anew (nh3 parses
the HTML): the fragments of the last `REMEMBERED` bodies of up to `REMEMBERED_LENGTH`
characters are kept (at most a few MB), longer ones are cleaned every time."""


def sanitize(body: str) -> str:
    """The safe fragment of `body`, without surrounding whitespace."""
    return _remembered(body) if len(body) <= REMEMBERED_LENGTH else _clean(body)


def _clean(body: str) -> str:
    return nh3.clean(
        body,
        tags=set(TAGS),
        attributes=ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        clean_content_tags={"script", "style"},
        strip_comments=True,
    ).strip()


_remembered = functools.lru_cache(maxsize=REMEMBERED)(_clean)


def has_text(fragment: str) -> bool:
    """Whether a sanitized fragment says anything once its markup is gone."""
    return bool(nh3.clean(fragment, tags=set()).strip())
