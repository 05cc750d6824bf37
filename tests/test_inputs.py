"""Collecting inputs: project layouts, Metadata API folders and zips, single files, and every kind
of bad input. Each bad input gives one precise Problem, and everything else is still scanned."""

from __future__ import annotations

import io
import os
import shutil
import struct
import threading
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES, NS, by_app, check_report, connected_app, eca_part, outcomes, write

from refreshguard import Report, exit_code, scan
from refreshguard.collectors import inputs
from refreshguard.errors import CollectionError

MDAPI = FIXTURES / "mdapi"
BILLING = (
    FIXTURES / "ca-outcomes/force-app/main/default/connectedApps/Billing_Sync.connectedApp-meta.xml"
).read_bytes()
PASSING = connected_app(
    "<isSecretRequiredForRefreshToken>true</isSecretRequiredForRefreshToken><scopes>RefreshToken</scopes>"
)


def _problems(report: Report) -> dict[str, str]:
    return {p.origin.display(): p.message for p in report.problems}


# --- layouts --------------------------------------------------------------------------------------


def test_mdapi_folder_with_package_xml_and_unpackaged() -> None:
    report = scan([MDAPI])
    assert outcomes(report.findings) == {"Legacy_ETL": "fail", "Order_Api": "pass"}
    assert report.files_scanned == 6  # package.xml and the Apex class are not metadata we read
    assert report.problems == ()
    order = by_app(report)["Order_Api"].app
    assert [p.metadata_type for p in order.parts] == [
        "ExternalClientApplication",
        "ExtlClntAppGlobalOauthSettings",
        "ExtlClntAppOauthSettings",
        "ExtlClntAppOauthConfigurablePolicies",
        "ExtlClntAppConfigurablePolicies",
    ]
    assert order.ip_relaxation.value is not None
    assert order.ip_relaxation.value.value == "enforce-relax-refresh"
    assert order.permitted_users.value is not None
    assert order.permitted_users.value.value == "admin-approved"


def _zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return target


def test_retrieve_zip_with_unpackaged_prefix(tmp_path: Path) -> None:
    archive = _zip_folder(MDAPI, tmp_path / "retrieve.zip")
    report = scan([archive])
    assert outcomes(report.findings) == {"Legacy_ETL": "fail", "Order_Api": "pass"}
    legacy = by_app(report)["Legacy_ETL"]
    assert legacy.location.path == str(archive)
    assert legacy.location.member == "unpackaged/connectedApps/Legacy_ETL.connectedApp"
    assert legacy.location.line == 10
    assert legacy.location.display() == f"{archive}!unpackaged/connectedApps/Legacy_ETL.connectedApp:10"
    check_report(report)


def test_zip_recognised_by_magic_without_suffix(tmp_path: Path) -> None:
    archive = _zip_folder(MDAPI, tmp_path / "retrieved.bin")
    assert outcomes(scan([archive]).findings) == {"Legacy_ETL": "fail", "Order_Api": "pass"}


def test_sfdx_project_walks_only_package_directories() -> None:
    report = scan([FIXTURES / "sfdx-packagedirs"])
    assert outcomes(report.findings) == {"In_Package": "fail"}
    assert report.problems == ()


def test_broken_sfdx_project_json_is_reported_and_the_folder_walked() -> None:
    root = FIXTURES / "sfdx-broken"
    report = scan([root])
    assert outcomes(report.findings) == {"Still_Found": "fail"}
    assert _problems(report) == {
        f"{root}/sfdx-project.json": "cannot use its packageDirectories (not valid JSON: Expecting value "
        "at line 4, column 3); the whole folder is walked"
    }


@pytest.mark.parametrize(
    ("project", "message"),
    [
        ('{"packageDirectories": [{"path": "missing"}]}', "package directory 'missing' does not exist"),
        (
            '{"packageDirectories": [{"path": "../outside"}]}',
            "package directory '../outside' is outside the project",
        ),
        (
            '{"name": "no dirs"}',
            "cannot use its packageDirectories (no 'packageDirectories' key); the whole folder is walked",
        ),
        (
            '{"packageDirectories": [{"dir": "x"}]}',
            "cannot use its packageDirectories (no 'path' key); the whole folder is walked",
        ),
        (
            '{"packageDirectories": "force-app"}',
            "cannot use its packageDirectories (packageDirectories must be a list of objects with a 'path'); "
            "the whole folder is walked",
        ),
        (
            b'{"name": "caf\xe9"}',
            "cannot use its packageDirectories (it is not UTF-8 text); the whole folder is walked",
        ),
    ],
)
def test_unusable_package_directories(tmp_path: Path, project: str | bytes, message: str) -> None:
    (tmp_path / "outside").mkdir()
    root = write(
        tmp_path / "proj",
        {"sfdx-project.json": project, "force-app/connectedApps/Found.connectedApp-meta.xml": PASSING},
    )
    report = scan([root])
    assert outcomes(report.findings) == {"Found": "pass"}  # falls back to walking the whole folder
    assert _problems(report) == {f"{root}/sfdx-project.json": message}


def test_plain_walk_skips_tool_folders(tmp_path: Path) -> None:
    files = {"src/connectedApps/Real.connectedApp-meta.xml": PASSING}
    for skipped in (".git", "node_modules", ".sf", ".sfdx"):
        files[f"{skipped}/cache/connectedApps/Hidden.connectedApp-meta.xml"] = PASSING
        files[f"src/{skipped}/Nested_Hidden.connectedApp-meta.xml"] = PASSING
    write(tmp_path, files)
    report = scan([tmp_path])
    assert outcomes(report.findings) == {"Real": "pass"}
    assert report.files_scanned == 1


def test_walk_picks_files_by_suffix_only(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "connectedApps/Templated.xml": PASSING,  # no metadata suffix: not read when walking
            "connectedApps/Notes.connectedApp.txt": PASSING,
            "connectedApps/Real.connectedApp": PASSING,
        },
    )
    assert outcomes(scan([tmp_path]).findings) == {"Real": "pass"}


def test_root_element_mismatch_when_walking() -> None:
    root = FIXTURES / "root-mismatch"
    report = scan([root])
    assert outcomes(report.findings) == {"Good_Neighbour": "fail", "Misfiled": "error"}
    path = f"{root}/force-app/main/default/connectedApps/Misfiled.connectedApp-meta.xml"
    assert _problems(report) == {
        path: "the file name says ConnectedApp but the root element is <ExternalClientApplication>; "
        "rename the file or fix its content"
    }
    assert exit_code(report) == 1


def test_explicit_file_with_any_name_is_recognised_by_root(tmp_path: Path) -> None:
    target = write(tmp_path, {"exported-app.xml": BILLING}) / "exported-app.xml"
    report = scan([target])
    assert outcomes(report.findings) == {"exported-app": "fail"}
    eca = write(
        tmp_path,
        {"eca.txt": eca_part("ExtlClntAppGlobalOauthSettings", "Named_In_File", "<label>x</label>")},
    )
    assert outcomes(scan([eca / "eca.txt"]).findings) == {"Named_In_File": "pass"}


def test_explicit_file_with_wrong_suffix_but_right_root(tmp_path: Path) -> None:
    # The suffix promises an ECA header, the content is a Connected App: an explicit file is
    # judged by its root element.
    target = write(tmp_path, {"Billing_Sync.eca-meta.xml": BILLING}) / "Billing_Sync.eca-meta.xml"
    report = scan([target])
    assert [(f.app.kind.value, f.app.name, f.outcome.value) for f in report.findings] == [
        ("connected-app", "Billing_Sync", "fail")
    ]


def test_explicit_file_that_is_not_an_oauth_app(tmp_path: Path) -> None:
    target = write(tmp_path, {"package.xml": f'<Package xmlns="{NS}"><version>62.0</version></Package>'})
    report = scan([target / "package.xml"])
    assert report.findings == ()
    assert _problems(report) == {
        f"{tmp_path}/package.xml": "not a Connected App or External Client App file (root element <Package>)"
    }
    assert exit_code(report) == 3


def test_eca_part_without_link_element(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "g/Orphan_glbl.ecaGlblOauth-meta.xml": f'<ExtlClntAppGlobalOauthSettings xmlns="{NS}">'
            "<label>x</label></ExtlClntAppGlobalOauthSettings>"
        },
    )
    report = scan([tmp_path])
    assert outcomes(report.findings) == {"Orphan_glbl": "error"}
    assert _problems(report) == {
        f"{tmp_path}/g/Orphan_glbl.ecaGlblOauth-meta.xml:1": "this ExtlClntAppGlobalOauthSettings file has "
        "no <externalClientApplication> element, so it cannot be joined to its app; add the app's API name"
    }


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(CollectionError, match=r"no such file or folder: .*nope"):
        scan([tmp_path / "nope"])


# --- zips -----------------------------------------------------------------------------------------


def _zip_bytes(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def _scan_zip(tmp_path: Path, data: bytes) -> Report:
    target = tmp_path / "retrieve.zip"
    target.write_bytes(data)
    return scan([target])


def test_zip_bomb_member_is_refused_and_the_rest_read(tmp_path: Path) -> None:
    bomb = BILLING.replace(b"<label>", b" " * (4 * 1024 * 1024) + b"<label>")
    report = _scan_zip(
        tmp_path,
        _zip_bytes(
            {
                "unpackaged/connectedApps/Bomb.connectedApp": bomb,
                "unpackaged/connectedApps/Ok.connectedApp": BILLING,
            }
        ),
    )
    assert outcomes(report.findings) == {"Bomb": "error", "Ok": "fail"}
    assert _problems(report) == {
        f"{tmp_path}/retrieve.zip!unpackaged/connectedApps/Bomb.connectedApp": "member compresses too well "
        "to be real metadata (zip bomb?)"
    }
    assert exit_code(report) == 1


def test_member_larger_than_file_limit(tmp_path: Path) -> None:
    big = b"<ConnectedApp>" + os.urandom(3 * 1024 * 1024).hex().encode()[: 5 * 1024 * 1024 + 10]
    report = _scan_zip(tmp_path, _zip_bytes({"connectedApps/Big.connectedApp": big}, zipfile.ZIP_STORED))
    ((where, message),) = _problems(report).items()
    assert where.endswith("!connectedApps/Big.connectedApp")
    assert message == f"member would inflate to {len(big):,} bytes; the limit is 5,242,880"


def test_too_many_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "MAX_ZIP_MEMBERS", 10)
    members = {f"classes/C{i}.cls": b"x" for i in range(11)}
    members["connectedApps/Ok.connectedApp"] = BILLING
    report = _scan_zip(tmp_path, _zip_bytes(members))
    assert report.findings == ()
    assert _problems(report) == {
        f"{tmp_path}/retrieve.zip": "the zip has 12 entries; more than 10 is refused"
    }
    assert exit_code(report) == 3


def test_total_uncompressed_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "MAX_ZIP_TOTAL_BYTES", len(BILLING) + 10)
    report = _scan_zip(
        tmp_path,
        _zip_bytes({"connectedApps/A.connectedApp": BILLING, "connectedApps/B.connectedApp": BILLING}),
    )
    assert outcomes(report.findings) == {"A": "fail", "B": "error"}
    assert _problems(report) == {
        f"{tmp_path}/retrieve.zip!connectedApps/B.connectedApp": f"member would inflate to {len(BILLING):,} "
        "bytes; the limit is 10"
    }


@pytest.mark.parametrize(
    "name",
    ["../x.connectedApp", "unpackaged/../../x.connectedApp", "/etc/x.connectedApp", "C:/x.connectedApp"],
)
def test_path_traversal_member_names(tmp_path: Path, name: str) -> None:
    report = _scan_zip(tmp_path, _zip_bytes({name: BILLING, "connectedApps/Ok.connectedApp": BILLING}))
    assert outcomes(report.findings) == {"x": "error", "Ok": "fail"}
    assert _problems(report) == {
        f"{tmp_path}/retrieve.zip!{name}": "unsafe member name (absolute or with '..'); not read"
    }
    assert not (tmp_path.parent / "x.connectedApp").exists()


def _set_encrypted(data: bytes, name: bytes) -> bytes:
    # zipfile never writes the encryption bit, so set it in both headers of the named member.
    out = bytearray(data)
    local = out.find(b"PK\x03\x04" + out[4:6])
    while local != -1:
        name_len = struct.unpack_from("<H", out, local + 26)[0]
        if bytes(out[local + 30 : local + 30 + name_len]) == name:
            struct.pack_into("<H", out, local + 6, struct.unpack_from("<H", out, local + 6)[0] | 1)
        local = out.find(b"PK\x03\x04", local + 4)
    central = out.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", out, central + 28)[0]
        if bytes(out[central + 46 : central + 46 + name_len]) == name:
            struct.pack_into("<H", out, central + 8, struct.unpack_from("<H", out, central + 8)[0] | 1)
        central = out.find(b"PK\x01\x02", central + 4)
    return bytes(out)


def test_encrypted_member(tmp_path: Path) -> None:
    data = _zip_bytes(
        {"connectedApps/Locked.connectedApp": BILLING, "connectedApps/Ok.connectedApp": BILLING}
    )
    report = _scan_zip(tmp_path, _set_encrypted(data, b"connectedApps/Locked.connectedApp"))
    assert outcomes(report.findings) == {"Locked": "error", "Ok": "fail"}
    assert _problems(report) == {
        f"{tmp_path}/retrieve.zip!connectedApps/Locked.connectedApp": "the member is encrypted; not read"
    }


def _set_sizes(data: bytes, size: int) -> bytes:
    # Rewrite the uncompressed size in the local and central headers of the only member.
    out = bytearray(data)
    struct.pack_into("<I", out, 22, size)
    central = out.find(b"PK\x01\x02")
    struct.pack_into("<I", out, central + 24, size)
    return bytes(out)


def test_header_that_understates_the_size(tmp_path: Path) -> None:
    data = _set_sizes(_zip_bytes({"connectedApps/Liar.connectedApp": BILLING}), 100)
    report = _scan_zip(tmp_path, data)
    assert outcomes(report.findings) == {"Liar": "error"}
    assert _problems(report) == {
        f"{tmp_path}/retrieve.zip!connectedApps/Liar.connectedApp": "cannot read the member: Bad CRC-32 for "
        "file 'connectedApps/Liar.connectedApp'"
    }


def test_header_that_overstates_the_size(tmp_path: Path) -> None:
    data = _set_sizes(_zip_bytes({"connectedApps/Liar.connectedApp": BILLING}), 6 * 1024 * 1024)
    report = _scan_zip(tmp_path, data)
    assert _problems(report) == {
        f"{tmp_path}/retrieve.zip!connectedApps/Liar.connectedApp": "member would inflate to "
        "6,291,456 bytes; the limit is 5,242,880"
    }


def test_not_a_zip(tmp_path: Path) -> None:
    report = _scan_zip(tmp_path, b"this is not a zip")
    assert _problems(report) == {f"{tmp_path}/retrieve.zip": "cannot open the zip: File is not a zip file"}
    assert exit_code(report) == 3


# --- hostile XML ----------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata"><label>&lol9;</label></ConnectedApp>
"""


def _hostile_tree(tmp_path: Path) -> tuple[Path, Path]:
    secret = tmp_path / "secret.txt"
    secret.write_text("CANARYLOCALFILE", encoding="utf-8")
    uri = secret.resolve().as_uri()
    xxe = (
        f'<?xml version="1.0"?>\n<!DOCTYPE ConnectedApp [<!ENTITY leak SYSTEM "{uri}">]>\n'
        f'<ConnectedApp xmlns="{NS}"><label>&leak;</label><oauthConfig><scopes>RefreshToken</scopes>'
        "</oauthConfig></ConnectedApp>"
    )
    late_dtd = (
        f'<?xml version="1.0"?>\n<!--{"padding " * 700}-->\n<!DOCTYPE ConnectedApp SYSTEM "{uri}">\n'
        f'<ConnectedApp xmlns="{NS}"><label>late</label></ConnectedApp>'
    )
    xinclude = (
        f'<ConnectedApp xmlns="{NS}" xmlns:xi="http://www.w3.org/2001/XInclude"><label>'
        f'<xi:include href="{uri}" parse="text"/></label><oauthConfig><scopes>RefreshToken</scopes>'
        "</oauthConfig></ConnectedApp>"
    )
    root = write(
        tmp_path / "proj",
        {
            "connectedApps/Laughs.connectedApp-meta.xml": BILLION_LAUGHS,
            "connectedApps/Xxe.connectedApp-meta.xml": xxe,
            "connectedApps/Late_Dtd.connectedApp-meta.xml": late_dtd,
            "connectedApps/Xinclude.connectedApp-meta.xml": xinclude,
            "connectedApps/Billing_Sync.connectedApp-meta.xml": BILLING,
        },
    )
    return root, secret


def test_dtd_and_entities_are_refused_and_never_resolved(tmp_path: Path) -> None:
    from refreshguard.reporters import json_report, terminal

    root, _secret = _hostile_tree(tmp_path)
    report = scan([root])
    assert outcomes(report.findings) == {
        "Billing_Sync": "fail",
        "Late_Dtd": "error",
        "Laughs": "error",
        "Xinclude": "pass",
        "Xxe": "error",
    }
    files = f"{root}/connectedApps"
    entities = "the document declares a DTD or entities, which metadata never does"
    assert _problems(report) == {
        f"{files}/Laughs.connectedApp-meta.xml": entities,
        f"{files}/Xxe.connectedApp-meta.xml": entities,
        f"{files}/Late_Dtd.connectedApp-meta.xml": "the document declares a DTD, which metadata never does",
    }
    assert by_app(report)["Xinclude"].app.label == ""  # XInclude is not processed
    for text in (terminal.render(report, verbose=True), json_report.render(report)):
        assert "CANARYLOCALFILE" not in text
    assert exit_code(report) == 1


# --- encodings and syntax variants -----------------------------------------------------------------


def _one(tmp_path: Path, name: str, data: bytes) -> Report:
    write(tmp_path, {f"connectedApps/{name}.connectedApp-meta.xml": data})
    return scan([tmp_path])


def test_utf16_with_bom(tmp_path: Path) -> None:
    data = BILLING.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert data[:2] in (b"\xff\xfe", b"\xfe\xff")
    (f,) = _one(tmp_path, "Wide", data).findings
    assert (f.outcome.value, f.location.line, f.app.label) == ("fail", 11, "Billing Sync")


def test_iso_8859_1_declared(tmp_path: Path) -> None:
    text = BILLING.decode("utf-8").replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    data = text.replace("Billing Sync", "Facturación").encode("latin-1")
    (f,) = _one(tmp_path, "Latin", data).findings
    assert (f.outcome.value, f.app.label) == ("fail", "Facturación")


def test_bom_and_crlf(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + BILLING.replace(b"\n", b"\r\n")
    (f,) = _one(tmp_path, "Windows", data).findings
    assert (f.outcome.value, f.location.line) == ("fail", 11)
    assert f.app.callback_urls.value == ("https://billing.example.com/oauth/callback",)


def test_non_utf8_bytes_are_a_precise_problem(tmp_path: Path) -> None:
    data = BILLING.replace(b"Billing Sync", b"Factur\xe9 \xff")
    write(tmp_path, {"connectedApps/Good.connectedApp-meta.xml": BILLING})
    report = _one(tmp_path, "Latin_Undeclared", data)
    assert outcomes(report.findings) == {"Good": "fail", "Latin_Undeclared": "error"}
    assert _problems(report) == {
        f"{tmp_path}/connectedApps/Latin_Undeclared.connectedApp-meta.xml": "not well-formed XML: invalid "
        "encoding (line 4, column 18)"
    }


def test_empty_and_truncated_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "connectedApps/Empty.connectedApp-meta.xml": b"",
            "connectedApps/Truncated.connectedApp-meta.xml": BILLING[:300],
        },
    )
    report = scan([tmp_path])
    messages = _problems(report)
    assert messages[f"{tmp_path}/connectedApps/Empty.connectedApp-meta.xml"] == (
        "not well-formed XML: document empty (line 1, column 1)"
    )
    assert messages[f"{tmp_path}/connectedApps/Truncated.connectedApp-meta.xml"] == (
        "not well-formed XML: gt required (line 7, column 13)"
    )


def test_namespace_prefix_comments_unknown_elements_split_tags() -> None:
    report = scan([FIXTURES / "xml-quirks"])
    got = {f.app.name: (f.outcome.value, f.location.line) for f in report.findings}
    assert got == {
        "Commented": ("fail", 10),  # the commented-out "true" is not read
        # unknown elements are ignored, but a second copy of the flag in an unknown wrapper makes
        # the file ambiguous (Salesforce would reject it)
        "Future_Release": ("error", 10),
        "Prefixed": ("fail", 8),
        # libxml2 numbers an element by the line where its start tag closes.
        "Split_Tags": ("fail", 18),
    }
    split = by_app(report)["Split_Tags"].app
    assert split.callback_urls.value == ("https://split.example.com/callback",)
    assert split.scopes.value == ("Api", "RefreshToken")
    assert report.problems == ()


# --- files that cannot be read ---------------------------------------------------------------------


def test_huge_file_is_refused_and_the_rest_scanned(tmp_path: Path) -> None:
    huge = BILLING.replace(b"<label>", b"<!--" + b"x" * (5 * 1024 * 1024) + b"--><label>")
    write(
        tmp_path,
        {"connectedApps/Huge.connectedApp-meta.xml": huge, "connectedApps/Ok.connectedApp-meta.xml": PASSING},
    )
    report = scan([tmp_path])
    assert outcomes(report.findings) == {"Huge": "error", "Ok": "pass"}
    assert _problems(report) == {
        f"{tmp_path}/connectedApps/Huge.connectedApp-meta.xml": f"file is {len(huge):,} bytes; "
        "metadata files are never near the 5,242,880-byte limit, so it was not read"
    }
    assert exit_code(report) == 3


def test_fifo_and_dangling_symlink(tmp_path: Path) -> None:
    folder = write(tmp_path, {"connectedApps/Ok.connectedApp-meta.xml": PASSING}) / "connectedApps"
    os.mkfifo(folder / "Pipe.connectedApp-meta.xml")
    (folder / "Dangling.connectedApp-meta.xml").symlink_to(tmp_path / "gone.xml")
    report = scan([tmp_path])
    # The error findings carry the app name from the file name, not the whole path.
    assert outcomes(report.findings) == {"Dangling": "error", "Ok": "pass", "Pipe": "error"}
    assert _problems(report) == {
        f"{folder}/Dangling.connectedApp-meta.xml": "cannot read the file: No such file or directory",
        f"{folder}/Pipe.connectedApp-meta.xml": "not a regular file",
    }
    assert exit_code(report) == 3


def test_fifo_named_on_the_command_line_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "Pipe.connectedApp-meta.xml"
    os.mkfifo(fifo)
    result: list[Report] = []
    worker = threading.Thread(target=lambda: result.append(scan([fifo])), daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # unblock the reader so the test process can end
        with open(fifo, "wb"):
            pass
        pytest.fail("scanning a FIFO blocked")
    assert _problems(result[0]) == {str(fifo): "not a regular file"}


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write(
        tmp_path,
        {
            "connectedApps/Locked.connectedApp-meta.xml": BILLING,
            "connectedApps/Ok.connectedApp-meta.xml": PASSING,
        },
    )
    locked = folder / "connectedApps" / "Locked.connectedApp-meta.xml"
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # root ignores the mode bits: make the open fail another way
        real = os.open

        def deny(file: str, *args: int, **kwargs: int) -> int:
            if os.path.basename(file) == locked.name:
                raise PermissionError(13, "Permission denied", file)
            return real(file, *args, **kwargs)

        monkeypatch.setattr(os, "open", deny)
    report = scan([folder])
    assert outcomes(report.findings) == {"Locked": "error", "Ok": "pass"}
    assert _problems(report) == {f"{locked}": "cannot read the file: Permission denied"}


def test_unlistable_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The blocked folder sorts last: its error must not be lost when the walk ends right after it.
    folder = write(tmp_path, {"a/connectedApps/Ok.connectedApp-meta.xml": PASSING, "z/x.txt": "x"})
    blocked = folder / "z"
    real = os.scandir

    # chmod 000 does not stop root (CI runs as root), so refuse the listing itself.
    def scandir(path: object = ".") -> object:
        if Path(str(path)) == blocked:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", scandir)
    report = scan([folder])
    assert outcomes(report.findings) == {"Ok": "pass"}
    assert _problems(report) == {f"{folder}/z": "cannot list this folder: Permission denied"}


def test_symlink_loops_terminate_and_read_each_file_once(tmp_path: Path) -> None:
    folder = write(tmp_path, {"proj/connectedApps/Ok.connectedApp-meta.xml": PASSING}) / "proj"
    (folder / "connectedApps" / "loop").symlink_to(folder)
    (folder / "self").symlink_to(".")
    (folder / "a").mkdir()
    (folder / "a" / "b").symlink_to(folder / "a")
    report = scan([folder])
    assert outcomes(report.findings) == {"Ok": "pass"}
    assert report.files_scanned == 1


def test_paths_are_shown_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        tmp_path,
        {"Top.connectedApp-meta.xml": PASSING, "force-app/connectedApps/Deep.connectedApp-meta.xml": BILLING},
    )
    monkeypatch.chdir(tmp_path)
    shown = {f.app.name: f.location.path for f in scan(["."]).findings}
    assert shown == {
        "Top": "Top.connectedApp-meta.xml",
        "Deep": "force-app/connectedApps/Deep.connectedApp-meta.xml",
    }
    shown = {f.app.name: f.location.path for f in scan(["force-app/"]).findings}
    assert shown == {"Deep": "force-app/connectedApps/Deep.connectedApp-meta.xml"}
    shown = {f.app.name: f.location.path for f in scan([tmp_path]).findings}
    assert shown["Top"] == f"{tmp_path}/Top.connectedApp-meta.xml"


def test_overlapping_paths_read_each_file_once(tmp_path: Path) -> None:
    eca = FIXTURES / "eca-outcomes"
    alone = scan([eca])
    overlapping = scan([eca, eca / "force-app", eca, eca / "force-app/main/default/extlClntAppPolicies"])
    # Reading the files twice used to split every ECA into one partial app per file, which
    # turned the switched-off Retired_App into a "fail".
    assert outcomes(overlapping.findings) == outcomes(alone.findings)
    assert len(overlapping.findings) == len(alone.findings) == 7
    assert overlapping.files_scanned == alone.files_scanned == 30
    archive = _zip_folder(MDAPI, tmp_path / "retrieve.zip")
    twice = scan([archive, archive, MDAPI / "unpackaged/connectedApps/Legacy_ETL.connectedApp", MDAPI])
    # The zip is read once; the folder holds other copies of the same apps, so they count again.
    assert sorted((f.app.name, f.location.path == str(archive)) for f in twice.findings) == [
        ("Legacy_ETL", False),
        ("Legacy_ETL", True),
        ("Order_Api", False),
        ("Order_Api", True),
    ]


def test_same_app_twice_in_two_paths_is_reported_twice(tmp_path: Path) -> None:
    a = write(tmp_path / "a", {"connectedApps/Twin.connectedApp-meta.xml": PASSING})
    b = write(tmp_path / "b", {"connectedApps/Twin.connectedApp-meta.xml": BILLING})
    report = scan([a, b])
    assert sorted((f.app.name, f.outcome.value) for f in report.findings) == [
        ("Twin", "fail"),
        ("Twin", "pass"),
    ]


def test_partial_scan_exit_code_3_only_when_nothing_fails(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "connectedApps/Ok.connectedApp-meta.xml": PASSING,
            "connectedApps/Bad.connectedApp-meta.xml": b"<ConnectedApp",
        },
    )
    report = scan([tmp_path])
    assert report.partial
    assert exit_code(report) == 3
    shutil.copy(
        FIXTURES / "ca-outcomes/force-app/main/default/connectedApps/Billing_Sync.connectedApp-meta.xml",
        tmp_path / "connectedApps",
    )
    assert exit_code(scan([tmp_path])) == 1
