"""Property tests: whatever the layout, encoding or secret, `fix` changes only the flag's value."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from refreshguard import Outcome, scan
from refreshguard._xmledit import redacted_diff
from refreshguard.fix import Status, fix
from refreshguard.reporters.fix_text import render

FLAG = "isSecretRequiredForRefreshToken"
SECRET_CHARS = st.characters(
    min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="<>&'\"", categories=("L", "N", "P", "S")
)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, str, str, bytes]:
    """A failing Connected App: its text, the expected fixed text, the codec and the BOM."""
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    indent = draw(st.sampled_from(["    ", "\t", "  ", ""]))
    prefix = draw(st.sampled_from(["", "md:"]))
    value = draw(st.sampled_from(["false", "False", "FALSE", " false ", "\n  false\n  "]))
    split = draw(st.booleans())
    comment = draw(st.booleans())
    secret = draw(st.text(SECRET_CHARS, min_size=12, max_size=40))
    codec, bom = draw(
        st.sampled_from(
            [
                ("utf-8", b""),
                ("utf-8", b"\xef\xbb\xbf"),
                ("utf-16-le", b"\xff\xfe"),
                ("utf-16-be", b"\xfe\xff"),
            ]
        )
    )
    xmlns = f' xmlns{":md" if prefix else ""}="http://soap.sforce.com/2006/04/metadata"'
    declared = "UTF-16" if codec.startswith("utf-16") else "UTF-8"
    start = f"<{prefix}{FLAG}{eol}{indent}>" if split else f"<{prefix}{FLAG}>"
    flag = f"{start}{{v}}</{prefix}{FLAG}>"
    note = f"{indent}<!-- <{FLAG}>false</{FLAG}> -->{eol}" if comment else ""
    template = (
        f'<?xml version="1.0" encoding="{declared}"?>{eol}'
        f"<{prefix}ConnectedApp{xmlns}>{eol}"
        f"{indent}<{prefix}label>Prop</{prefix}label>{eol}"
        f"{indent}<{prefix}oauthConfig>{eol}"
        f"{indent}{indent}<{prefix}callbackUrl>https://p.example.com/cb</{prefix}callbackUrl>{eol}"
        f"{indent}{indent}<{prefix}consumerSecret>{secret}</{prefix}consumerSecret>{eol}"
        f"{note}{indent}{indent}{flag}{eol}"
        f"{indent}{indent}<{prefix}scopes>RefreshToken</{prefix}scopes>{eol}"
        f"{indent}</{prefix}oauthConfig>{eol}"
        f"</{prefix}ConnectedApp>{eol}"
    )
    fixed_value = value.replace(value.strip(), "true")
    return template.replace("{v}", value), template.replace("{v}", fixed_value), codec, bom


@settings(max_examples=60, deadline=None)
@given(documents())
def test_fix_changes_only_the_value(doc: tuple[str, str, str, bytes]) -> None:
    text, fixed_text, codec, bom = doc
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Prop.connectedApp-meta.xml"
        path.write_bytes(bom + text.encode(codec))
        result = fix(scan([path]))
        assert [r.status for r in result.results] == [Status.APPLIED]
        assert path.read_bytes() == bom + fixed_text.encode(codec)
        assert [f.outcome for f in scan([path]).findings] == [Outcome.PASS]
        again = fix(scan([path]))
        assert again.results == ()
        assert path.read_bytes() == bom + fixed_text.encode(codec)
        secret = text.split("consumerSecret>")[1].split("<")[0]
        assert secret not in render(result, show_diffs=True)


@settings(max_examples=60, deadline=None)
@given(
    secret=st.text(SECRET_CHARS, min_size=8, max_size=30),
    element=st.sampled_from(["consumerSecret", "certificate", "privateKey", "password", "md:consumerSecret"]),
    lines=st.integers(min_value=1, max_value=4),
    context=st.integers(min_value=0, max_value=10),
)
def test_diff_never_shows_a_secret(secret: str, element: str, lines: int, context: int) -> None:
    body = "\n".join(f"{secret}{i}" for i in range(lines))
    old = f"<a>\n<{element}>{body}</{element}>\n<{FLAG}>false</{FLAG}>\n</a>\n"
    new = old.replace(">false<", ">true<")
    diff = redacted_diff(old.encode(), new.encode(), "x.xml", context)
    assert secret not in diff
    assert f"+<{FLAG}>true</{FLAG}>" in diff
