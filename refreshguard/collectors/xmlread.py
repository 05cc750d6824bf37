"""Hardened XML reading that keeps line numbers.

lxml is used because it reports the line of every element and can be told never to load a DTD,
never to resolve entities and never to touch the network. Documents that declare a DTD at all are
refused: Salesforce metadata never has one, and refusing is simpler than reasoning about it.
"""

from __future__ import annotations

import threading
from typing import Any, NamedTuple

from lxml import etree

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Largest metadata file read. Real ones are a few kilobytes."""


class XmlRejected(ValueError):
    """The document is not safe or not well-formed; the message says why, without content."""


_LOCAL = threading.local()


def _parser() -> etree.XMLParser:
    # PERF: building a parser costs about as much as parsing a small metadata file, so each
    # thread keeps one (lxml parsers are reusable, but not shareable across threads).
    parser: etree.XMLParser | None = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = _new_parser()
    return parser


def _new_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse(data: bytes) -> etree._Element:
    """Parse ``data`` (any declared encoding, BOM allowed) or raise XmlRejected."""
    if len(data) > MAX_FILE_BYTES:
        raise XmlRejected(f"file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,} bytes")
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise XmlRejected("the document declares a DTD or entities, which metadata never does")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise XmlRejected(f"not well-formed XML: {_syntax_message(exc)}") from None
    except ValueError as exc:  # lxml raises this for some encoding declarations
        raise XmlRejected(f"cannot decode the document: {exc}") from None
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XmlRejected("the document declares a DTD, which metadata never does")
    return root


_ERROR_KINDS: dict[int, str] = {
    code: name.removeprefix("ERR_").lower().replace("_", " ")
    for name, code in vars(etree.ErrorTypes).items()
    if name.startswith("ERR_") and isinstance(code, int)
}


def _syntax_message(exc: etree.XMLSyntaxError) -> str:
    # NOTE: libxml2's own messages quote tag, attribute and entity names and sometimes raw bytes
    # of the document, and a malformed file can have a secret exactly there. Only the error's
    # kind (a fixed libxml2 code name) and its position are kept.
    code: object = getattr(exc, "code", None)  # set by lxml; missing from lxml-stubs
    kind = _ERROR_KINDS.get(code, "syntax error") if isinstance(code, int) else "syntax error"
    if not exc.position:
        return kind
    line, column = exc.position
    return f"{kind} (line {line}, column {column})"


def line_of(element: etree._Element) -> int | None:
    """The 1-based line of an element's start tag, when lxml knows it."""
    line: object = element.sourceline
    return line if isinstance(line, int) else None


def local(tag: object) -> str:
    """The local name of a tag, without namespace (comments and PIs give '')."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


class Field(NamedTuple):
    """One child element: its text (stripped) and line. A named tuple, not a dataclass: one is
    made for every element of every file, and tuples are the cheapest immutable records."""

    text: str
    """Element text with surrounding white space removed."""
    line: int | None
    """1-based line of the start tag."""


def children(parent: etree._Element) -> dict[str, list[Field]]:
    """Map local name -> every child element of that name, in document order."""
    # PERF: written out without helper calls; it runs for every element of every file.
    out: dict[str, list[Field]] = {}
    for child in parent:
        tag: object = child.tag
        if not isinstance(tag, str):  # comments and processing instructions
            continue
        text = child.text
        line: object = child.sourceline
        field = Field(text.strip() if text else "", line if isinstance(line, int) else None)
        name = tag[tag.rfind("}") + 1 :]
        found = out.get(name)
        if found is None:
            out[name] = [field]
        else:
            found.append(field)
    return out


def child_element(parent: etree._Element, name: str) -> etree._Element | None:
    """The first child element with local name ``name``."""
    for child in parent:
        if local(child.tag) == name:
            return child
    return None
