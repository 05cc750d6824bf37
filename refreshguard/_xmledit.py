"""Byte-exact text edits in XML files, and diffs that never show a secret.

The file is never re-serialised. The element is found with a targeted pattern anchored at the
line lxml reported, the value's bytes are swapped, and every other byte is kept: encoding, byte
order mark, line endings, indentation, comments, namespace prefixes and tags split over lines.
Callers re-parse the result to prove the edit did what it should (see :mod:`refreshguard.fix`).
"""

from __future__ import annotations

import codecs
import difflib
import re
from dataclasses import dataclass

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_NO_BOM = ((b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be"))
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']""")
_WIDE = ("utf-16", "utf-32")
_HIDDEN = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.S)

SENSITIVE_ELEMENTS = (
    "consumerSecret",
    "clientSecret",
    "secret",
    "certificate",
    "privateKey",
    "password",
    "token",
    "accessToken",
    "refreshToken",
    "sessionId",
    "callbackUrl",
)
"""Elements whose text a diff never shows, context lines included. Callback URLs are masked whole:
a query or fragment split over lines or commas could carry a token past any URL parser."""

_MASKED_START = re.compile(
    r"<!--|<(?P<p>[A-Za-z_][\w.\-]*:)?(?P<n>" + "|".join(SENSITIVE_ELEMENTS) + r")(?=[\s/>])"
    r"[^<>]*?(?<!/)>",
    re.I,
)
_INNER = re.compile(r"<!\[CDATA\[|<!--|<\?")
_INNER_END = {"<![CDATA[": "]]>", "<!--": "-->", "<?": "?>"}
_URL = re.compile(r"""[A-Za-z][A-Za-z0-9+.\-]*://[^\s<>"']*""")
_URL_LIST = re.compile(r"(<(?:[A-Za-z_][\w.\-]*:)?callbackUrl(?:\s[^<>]*)?>)([^<]*)", re.I)
REDACTED = "[redacted]"


class EditRefused(ValueError):
    """The edit cannot be made byte-exactly; the message says why, without file content."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """A document split into its byte order mark and its text, with the codec that round-trips."""

    bom: bytes
    """The byte order mark, or empty."""
    codec: str
    """A stateless Python codec that turns ``text`` back into the exact bytes after the BOM."""
    text: str
    """The document's text."""


def decode(data: bytes) -> Decoded:
    """Split ``data`` into BOM, codec and text; refuse unless re-encoding gives the same bytes."""
    bom, codec = b"", ""
    for mark, name in _BOMS:
        if data.startswith(mark):
            bom, codec = mark, name
            break
    if not codec:
        codec = next((name for head, name in _NO_BOM if data.startswith(head)), "")
    if not codec:
        declared = _DECLARED.match(data)
        codec = declared.group(1).decode("ascii").lower() if declared else "utf-8"
        if codec.startswith(_WIDE):
            raise EditRefused(f"the file declares {codec} but its bytes do not start like it")
    try:
        codec = codecs.lookup(codec).name
        body = data[len(bom) :]
        text = body.decode(codec)
    except (LookupError, UnicodeDecodeError) as exc:
        raise EditRefused(f"cannot decode the file as {codec} ({type(exc).__name__})") from None
    if text.encode(codec) != body:
        raise EditRefused(f"the {codec} text does not re-encode to the same bytes")
    return Decoded(bom, codec, text)


def line_at(text: str, pos: int) -> int:
    """1-based line of ``pos``, counting LF the way libxml2 does."""
    return text.count("\n", 0, pos) + 1


def replace_text(data: bytes, element: str, line: int, old: str, new: str) -> bytes:
    """``data`` with the text of the one ``element`` at ``line`` changed from ``old`` to ``new``.

    ``line`` is lxml's ``sourceline``: the line where the start tag ends. Only the value's bytes
    change; white space around the value and the case of everything else are kept.
    """
    doc = decode(data)
    pattern = re.compile(
        r"<(?P<p>[A-Za-z_][\w.\-]*:)?" + re.escape(element) + r"(?=[\s/>])[^<>]*?(?<!/)>"
        r"(?P<value>[^<]*)</(?P=p)?" + re.escape(element) + r"\s*>"
    )
    hidden = [m.span() for m in _HIDDEN.finditer(doc.text)]
    hits = [
        m
        for m in pattern.finditer(doc.text)
        if not any(a <= m.start() < b for a, b in hidden)
        and line_at(doc.text, m.start()) <= line <= line_at(doc.text, m.start("value"))
    ]
    if len(hits) != 1:
        raise EditRefused(f"found {len(hits)} <{element}> elements at line {line}, expected exactly one")
    value = hits[0].group("value")
    token = value.strip()
    if token.lower() != old.lower():
        raise EditRefused(f"<{element}> at line {line} does not hold {old}")
    start = hits[0].start("value") + (len(value) - len(value.lstrip()))
    end = start + len(token)
    head = doc.bom + doc.text[:start].encode(doc.codec)
    tail = doc.text[end:].encode(doc.codec)
    if not (data.startswith(head) and data.endswith(tail)):
        raise EditRefused(f"the {doc.codec} encoding does not allow a byte-exact edit")
    return head + new.encode(doc.codec) + tail


def redact(text: str) -> str:
    """``text`` with nothing secret left, line count kept.

    - The content of every sensitive element (:data:`SENSITIVE_ELEMENTS`) is masked up to its real
      closing tag: CDATA sections, comments and processing instructions inside the value are
      skipped while looking for it, so a ``</consumerSecret>`` written inside them cannot end the
      mask early. With no closing tag, everything to the end of the text is masked.
    - The text of every comment is masked: people leave credentials in comments.
    - URLs keep scheme, host and path; user info, query and fragment are masked (a callback URL
      may carry a password or a token). Every value of ``callbackUrl`` gets the same treatment,
      URL scheme or not (mobile apps use ``myapp:callback?...``).
    """
    out: list[str] = []
    pos = 0
    while (start := _MASKED_START.search(text, pos)) is not None:
        out.append(text[pos : start.end()])
        if start.group() == "<!--":
            end = text.find("-->", start.end())
            end = len(text) if end < 0 else end
            out.append(_mask(text[start.end() : end]))
            pos = end
            continue
        end, after = _closing(text, start.end(), start.group("p") or "", start.group("n"))
        out.append(_mask(text[start.end() : end]))
        out.append(text[end:after])
        pos = after
    out.append(text[pos:])
    masked = "".join(out)
    masked = _URL_LIST.sub(
        lambda m: m.group(1) + re.sub(r"\S+", lambda t: _mask_url(t.group()), m.group(2)), masked
    )
    return _URL.sub(lambda m: _mask_url(m.group()), masked)


def _closing(text: str, pos: int, prefix: str, name: str) -> tuple[int, int]:
    """Start and end of the closing tag of the element whose content starts at ``pos``, skipping
    CDATA, comments and processing instructions; ``(len(text), len(text))`` when there is none."""
    close = re.compile(r"</" + re.escape(prefix) + re.escape(name) + r"\s*>", re.I)
    while True:
        found = close.search(text, pos)
        inner = _INNER.search(text, pos)
        if found is None:
            return len(text), len(text)
        if inner is None or inner.start() > found.start():
            return found.start(), found.end()
        stop = text.find(_INNER_END[inner.group()], inner.end())
        if stop < 0:
            return len(text), len(text)
        pos = stop + len(_INNER_END[inner.group()])


def _mask(body: str) -> str:
    """Every non-blank line of ``body`` replaced by :data:`REDACTED` (line ends kept)."""
    return "\n".join(
        (REDACTED + ("\r" if s.endswith("\r") else "")) if s.strip() else s for s in body.split("\n")
    )


def _mask_url(url: str) -> str:
    """``url`` with user info, query and fragment masked; scheme, host and path kept."""
    head, hash_, fragment = url.partition("#")
    head, query_mark, query = head.partition("?")
    scheme, sep, rest = head.partition("://")
    if sep and "@" in rest:
        rest = REDACTED + "@" + rest.rpartition("@")[2]
    masked = scheme + sep + rest
    if query_mark:
        masked += "?" + (REDACTED if query else "")
    if hash_:
        masked += "#" + (REDACTED if fragment else "")
    return masked


def redacted_diff(old: bytes, new: bytes, name: str, context: int = 3) -> str:
    """A unified diff of two versions of one document, secrets masked in every line shown."""
    before = _lines(redact(decode(old).text))
    after = _lines(redact(decode(new).text))
    shown = name.replace("\\", "/").lstrip("/")
    diff = difflib.unified_diff(before, after, f"a/{shown}", f"b/{shown}", n=context, lineterm="")
    return "".join(f"{line}\n" for line in diff)


def _lines(text: str) -> list[str]:
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    return lines
