"""Hardened XML reading that keeps line numbers.

lxml is used because it reports the line of every element and can be told never to load a DTD,
never to resolve entities and never to touch the network. Documents that declare a DTD at all are
refused: Salesforce metadata never has one, and refusing is simpler than reasoning about it.
"""

from __future__ import annotations

import difflib
import threading
from typing import Any, NamedTuple

from lxml import etree

from refreshguard._text import printable

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


XML_SPACE = " \t\r\n"
"""The only white space XML knows; a no-break space (``&#160;``) is content, not padding."""


class Field(NamedTuple):
    """One child element: its text (stripped) and line. A named tuple, not a dataclass: one is
    made for every element of every file, and tuples are the cheapest immutable records."""

    text: str
    """Element text with surrounding XML white space removed."""
    line: int | None
    """1-based line of the start tag."""
    bad: str = ""
    """Why the element cannot hold a value although it has text (it has child elements); empty
    when it is a plain text element."""


_MIXED = "holds child elements where text is expected"


def namespace(tag: str) -> str:
    """The ``{uri}`` prefix of a tag, or '' for a tag without namespace."""
    return tag[: tag.rfind("}") + 1]


def children(parent: etree._Element) -> dict[str, list[Field]]:
    """Map local name -> every child element of that name, in document order.

    Only children in the parent's own namespace are metadata; elements of any other namespace
    are left out here (:func:`strays` reports them when they carry a setting's name)."""
    # PERF: written out without helper calls; it runs for every element of every file.
    out: dict[str, list[Field]] = {}
    parent_tag: object = parent.tag
    ns = parent_tag[: parent_tag.rfind("}") + 1] if isinstance(parent_tag, str) else ""
    for child in parent:
        tag: object = child.tag
        if not isinstance(tag, str):  # comments and processing instructions
            continue
        cut = tag.rfind("}") + 1
        if tag[:cut] != ns:
            continue
        text = child.text
        line: object = child.sourceline
        field = Field(
            text.strip(XML_SPACE) if text else "",
            line if isinstance(line, int) else None,
            _MIXED if len(child) else "",
        )
        name = tag[cut:]
        found = out.get(name)
        if found is None:
            out[name] = [field]
        else:
            found.append(field)
    return out


def child_elements(parent: etree._Element, name: str) -> list[etree._Element]:
    """Every child element named exactly ``name`` in the parent's namespace."""
    parent_tag: object = parent.tag
    wanted = (namespace(parent_tag) if isinstance(parent_tag, str) else "") + name
    return [child for child in parent if child.tag == wanted]


def child_element(parent: etree._Element, name: str) -> etree._Element | None:
    """The first child element named ``name`` in the parent's namespace."""
    found = child_elements(parent, name)
    return found[0] if found else None


def shown_name(text: str, limit: int = 60) -> str:
    """Text from a document made safe to echo: control characters escaped, at most ``limit``
    characters (an ellipsis marks a cut)."""
    return printable(text[:limit]) + ("…" if len(text) > limit else "")


Home = tuple[etree._Element | None, str]
"""Where a setting may sit: the element it must be a direct child of (None when the document
lacks that element) and that element's name, for messages."""


def strays(root: etree._Element, homes: dict[str, Home]) -> dict[str, str]:
    """For each setting name in ``homes``: a reason when the document has an element of that
    name, in any letter case or namespace, anywhere but directly in its home with exactly that
    name. Salesforce would reject such a file or read a different value than a reader that
    skipped the element, so the setting cannot be trusted. Names without strays are left out."""
    wanted = {name.lower(): name for name in homes}
    prefixes = {key[:6] for key in wanted if len(key) >= NEAR_MISS_MIN_LENGTH}
    found: dict[str, list[str]] = {}
    for element in root.iter():
        tag: object = element.tag
        if not isinstance(tag, str):
            continue
        lowered = tag[tag.rfind("}") + 1 :].lower()
        name = wanted.get(lowered)
        if name is None:
            # PERF: most elements share no prefix with a long setting name; skip them cheaply.
            if lowered[:6] not in prefixes and lowered.isascii():
                continue
            near = _near_miss(lowered, wanted)
            if near is not None:
                found.setdefault(near, []).append(
                    f"<{shown_name(local(tag))}> at line {line_of(element) or '?'} looks like a "
                    f"misspelling of <{near}> (Salesforce rejects unknown elements)"
                )
            continue
        home, home_name = homes[name]
        parent = element.getparent()
        if home is not None and parent is home and tag == namespace(str(home.tag)) + name:
            continue
        found.setdefault(name, []).append(_misplacement(element, tag, name, parent, home, home_name))
    return {
        name: f"<{name}> is written where Salesforce would not accept it: {'; '.join(places[:5])}"
        + (f"; and {len(places) - 5} more" if len(places) > 5 else "")
        + ". Salesforce would reject the file, so the value that counts cannot be told"
        for name, places in found.items()
    }


NEAR_MISS_MIN_LENGTH = 12
"""Only long setting names are checked for look-alikes; short ones (``scopes``) would match
legitimate elements."""


def _near_miss(lowered: str, wanted: dict[str, str]) -> str | None:
    """The setting name ``lowered`` imitates (a typo, a plural, a look-alike letter), if any."""
    for key, name in wanted.items():
        if len(key) < NEAR_MISS_MIN_LENGTH or abs(len(key) - len(lowered)) > 2:
            continue
        # PERF: the ratio is only computed for names that share a prefix or hold non-ASCII letters.
        if lowered[:6] != key[:6] and lowered.isascii():
            continue
        if difflib.SequenceMatcher(None, lowered, key).ratio() >= 0.9:
            return name
    return None


def _misplacement(
    element: etree._Element,
    tag: str,
    name: str,
    parent: etree._Element | None,
    home: etree._Element | None,
    home_name: str,
) -> str:
    cut = tag.rfind("}") + 1
    where = f"<{shown_name(tag[cut:])}> at line {line_of(element) or '?'}"
    parent_tag: object = parent.tag if parent is not None else None
    if not isinstance(parent_tag, str):
        return f"{where} is the root element"
    parent_name = shown_name(local(parent_tag))
    if tag[cut:] != name:
        return f"{where} is spelled in another letter case (element names are case-sensitive)"
    if tag[:cut] != namespace(parent_tag):
        return f"{where} is in another XML namespace ({shown_name(tag[1 : cut - 1])})"
    home_ns = namespace(str(home.tag)) if home is not None else namespace(parent_tag)
    if namespace(parent_tag) != home_ns:
        other = shown_name(namespace(parent_tag)[1:-1] or "none")
        return f"{where} is inside <{parent_name}> of another XML namespace ({other})"
    if home is not None and local(parent_tag) == home_name:
        return f"{where} is inside a second <{home_name}>"
    return f"{where} is inside <{parent_name}>, but it belongs directly in <{home_name}>"
