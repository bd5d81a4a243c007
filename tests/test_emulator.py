"""The FunctionGraph emulator behaves like the real dependency API and its gateway."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from fgs_emulator import Emulator, RecordedRequest
from fgs_emulator.auth import AkSkAuthorization, sdk_signature, verify_aksk
from fgs_emulator.errors import ApiError
from helpers import emulator_fixture
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

AK = "AKEXAMPLE1234567890"
SK = "SKexample0123456789abcdefghijklmnopqrstu"
TOKEN = "tok-123"
PROJECT = "0123456789abcdef0123456789abcdef"
REGION = "cn-north-4"
BASE = f"/v2/{PROJECT}/fgs/dependencies"
MB = 1024 * 1024
DEFAULT_FILES = {"pkg/__init__.py": b"VALUE = 1\n"}


@dataclass(frozen=True)
class _Creds:
    ak: str
    sk: str


@dataclass
class Prepared:
    method: str
    uri: str
    headers: dict[str, str]
    body: bytes


emu = emulator_fixture(
    credentials={AK: SK}, tokens={TOKEN}, project_id=PROJECT, region=REGION, buckets=()
)


def make_zip(files: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in (files if files is not None else DEFAULT_FILES).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def create_body(name: str = "my-dep", data: bytes | None = None, **extra: Any) -> dict[str, Any]:
    payload = data if data is not None else make_zip()
    body = {
        "depend_type": "zip",
        "runtime": "Python3.9",
        "name": name,
        "depend_file": base64.b64encode(payload).decode(),
    }
    body.update(extra)
    return body


def sign(
    emu: Emulator,
    method: str,
    path: str,
    *,
    query: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    sk: str = SK,
    ak: str = AK,
    headers: dict[str, str] | None = None,
    project_header: bool = True,
) -> Prepared:
    """A request signed by the official SDK signer, as the SDK's clients send it."""
    header_params = {"Content-Type": "application/json"}
    if project_header:
        header_params["X-Project-Id"] = PROJECT
    header_params.update(headers or {})
    request = SdkRequest(
        method=method,
        schema="http",
        host=urlsplit(emu.url).netloc,
        resource_path=path,
        query_params=list(query),
        header_params=header_params,
        body=body,
    )
    Signer(_Creds(ak, sk)).sign(request)
    return Prepared(method, request.uri, dict(request.header_params), body)


def send(emu: Emulator, prepared: Prepared) -> requests.Response:
    return requests.request(
        prepared.method,
        emu.url + prepared.uri,
        headers=prepared.headers,
        data=prepared.body,
        timeout=10,
    )


def signed_call(
    emu: Emulator,
    method: str,
    path: str,
    payload: Any = None,
    query: Sequence[tuple[str, str]] = (),
) -> requests.Response:
    body = b"" if payload is None else json.dumps(payload).encode()
    return send(emu, sign(emu, method, path, query=query, body=body))


def token_call(
    emu: Emulator, method: str, path: str, payload: Any = None, **kwargs: Any
) -> requests.Response:
    headers = {"X-Auth-Token": TOKEN, "Content-Type": "application/json"}
    headers.update(kwargs.pop("headers", {}))
    data = kwargs.pop("data", None if payload is None else json.dumps(payload))
    return requests.request(
        method, emu.url + path, headers=headers, data=data, timeout=10, **kwargs
    )


def assert_error(response: requests.Response, status: int, code: str, text: str = "") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code
    assert text.lower() in body["error_msg"].lower()
    assert response.headers["Content-Type"] == "application/json"
    assert len(response.headers["X-Request-Id"]) == 32


# --- the happy path, signed by the SDK ---------------------------------------------


def test_sdk_signed_create_list_show_delete(emu: Emulator) -> None:
    first_zip, second_zip = make_zip(), make_zip({"mod.py": b"x = 2\n"})

    first = signed_call(emu, "POST", f"{BASE}/version", create_body(data=first_zip))
    second = signed_call(emu, "POST", f"{BASE}/version", create_body(data=second_zip))
    other = signed_call(emu, "POST", f"{BASE}/version", create_body("other", description="d"))

    assert first.status_code == 200, first.text
    v1, v2, o1 = first.json(), second.json(), other.json()
    assert v1["etag"] == hashlib.md5(first_zip).hexdigest()
    assert v1["size"] == len(first_zip)
    assert (v1["version"], v2["version"], o1["version"]) == (1, 2, 1)
    assert v1["dep_id"] == v2["dep_id"] != o1["dep_id"]
    uuid.UUID(v1["id"])
    uuid.UUID(v1["dep_id"])
    assert v1["file_name"] == "my-dep.zip"
    assert v1["owner"] == "emulator-owner"
    assert v1["link"] == (
        f"https://functiongraph-{REGION}.obs.{REGION}.myhuaweicloud.com"
        f"/depends/emulator-owner/{v1['id']}.zip"
    )
    assert (v1["runtime"], v1["description"], o1["description"]) == ("Python3.9", "", "d")
    assert isinstance(v1["last_modified"], int)
    assert emu.versions("my-dep") == [v1, v2]

    listed = signed_call(emu, "GET", BASE, query=[("name", "my-dep")]).json()
    assert listed["count"] == 1
    assert listed["next_marker"] == 0
    [item] = listed["dependencies"]
    assert item["id"] == v1["dep_id"]
    assert (item["version"], item["etag"]) == (2, v2["etag"])

    dep_path = f"{BASE}/{v1['dep_id']}/version"
    versions = signed_call(emu, "GET", dep_path).json()
    assert [v["version"] for v in versions["dependencies"]] == [1, 2]
    assert versions["dependencies"][0] == v1

    shown = signed_call(emu, "GET", f"{dep_path}/1").json()
    assert "Signature=" in shown["download_link"]
    assert {k: v for k, v in shown.items() if k != "download_link"} == v1

    deleted = signed_call(emu, "DELETE", f"{dep_path}/1")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert len(deleted.headers["X-Request-Id"]) == 32
    assert_error(signed_call(emu, "GET", f"{dep_path}/1"), 404, "FSS.1056")
    assert [v["version"] for v in emu.versions("my-dep")] == [2]

    third = signed_call(emu, "POST", f"{BASE}/version", create_body()).json()
    assert (third["version"], third["dep_id"]) == (3, v1["dep_id"])


def test_requests_are_recorded_with_depend_file_summarised(emu: Emulator) -> None:
    data = make_zip()
    body = create_body(data=data)
    signed_call(emu, "POST", f"{BASE}/version", body)
    token_call(emu, "GET", BASE, params={"maxitems": "5"})

    posted, listed = emu.requests
    assert isinstance(posted, RecordedRequest)
    assert (posted.method, posted.path, posted.status) == ("POST", f"{BASE}/version", 200)
    assert posted.json["depend_file"] == {
        "base64_length": len(body["depend_file"]),
        "md5": hashlib.md5(data).hexdigest(),
    }
    assert posted.json["name"] == "my-dep"
    assert posted.body_size == len(json.dumps(body).encode())
    assert posted.headers["authorization"].startswith("SDK-HMAC-SHA256 Access=")
    assert (listed.query, listed.json, listed.body_size) == ({"maxitems": ["5"]}, None, 0)


# --- signature verification --------------------------------------------------------


def test_sdk_test_vectors_reproduce() -> None:
    headers = {"host": "service.endpoint.myhuaweicloud.com", "x-sdk-date": "20200608T023900Z"}
    vectors = [
        ("GET", b"", "cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842"),
        (
            "POST",
            b'{"name":"test","id":1}',
            "436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f",
        ),
    ]
    then = datetime(2020, 6, 8, 2, 39, tzinfo=UTC)
    for method, body, signature in vectors:
        args = (method, "/resources", [("size", "1")], headers, body)
        assert sdk_signature("SecretKey", *args) == signature
        claim = AkSkAuthorization("AccessKey", ("host", "x-sdk-date"), signature)
        verify_aksk(claim, {"AccessKey": "SecretKey"}, *args, now=then)
        forged = AkSkAuthorization("AccessKey", ("host", "x-sdk-date"), "0" * 64)
        with pytest.raises(ApiError, match="verify aksk signature fail"):
            verify_aksk(forged, {"AccessKey": "SecretKey"}, *args, now=then)


def _stale(prepared: Prepared, emu: Emulator) -> Prepared:
    old = (datetime.now(UTC) - timedelta(minutes=20)).strftime("%Y%m%dT%H%M%SZ")
    return sign(emu, "GET", BASE, headers={"X-Sdk-Date": old})


def _unsigned_project(prepared: Prepared, emu: Emulator) -> Prepared:
    signed = sign(emu, "GET", BASE, project_header=False)
    signed.headers["X-Project-Id"] = PROJECT
    return signed


def _tampered_body(prepared: Prepared, emu: Emulator) -> Prepared:
    return Prepared(prepared.method, prepared.uri, prepared.headers, prepared.body + b" ")


def _changed_query(prepared: Prepared, emu: Emulator) -> Prepared:
    signed = sign(emu, "GET", BASE, query=[("name", "a")])
    return Prepared("GET", signed.uri.replace("name=a", "name=b"), signed.headers, b"")


def _wrong_sk(prepared: Prepared, emu: Emulator) -> Prepared:
    return sign(emu, "POST", f"{BASE}/version", body=prepared.body, sk=SK + "x")


def _unknown_ak(prepared: Prepared, emu: Emulator) -> Prepared:
    return sign(emu, "POST", f"{BASE}/version", body=prepared.body, ak="AKUNKNOWN")


def _no_auth(prepared: Prepared, emu: Emulator) -> Prepared:
    headers = {k: v for k, v in prepared.headers.items() if k != "Authorization"}
    return Prepared(prepared.method, prepared.uri, headers, prepared.body)


def _malformed_auth(prepared: Prepared, emu: Emulator) -> Prepared:
    headers = {**prepared.headers, "Authorization": "SDK-HMAC-SHA256 Access=AK"}
    return Prepared(prepared.method, prepared.uri, headers, prepared.body)


def _host_unsigned(prepared: Prepared, emu: Emulator) -> Prepared:
    auth = prepared.headers["Authorization"].replace(";host;", ";", 1)
    headers = {**prepared.headers, "Authorization": auth}
    return Prepared(prepared.method, prepared.uri, headers, prepared.body)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_tampered_body, "verify aksk signature fail"),
        (_wrong_sk, "verify aksk signature fail"),
        (_unknown_ak, "ak not exist"),
        (_stale, "clock"),
        (_unsigned_project, "x-project-id is sent but not signed"),
        (_changed_query, "verify aksk signature fail"),
        (_no_auth, "x-auth-token not found"),
        (_malformed_auth, "malformed"),
        (_host_unsigned, "must include host"),
    ],
)
def test_bad_signatures_are_refused(
    emu: Emulator, mutate: Callable[[Prepared, Emulator], Prepared], message: str
) -> None:
    good = sign(emu, "POST", f"{BASE}/version", body=json.dumps(create_body()).encode())
    response = send(emu, mutate(good, emu))
    assert_error(response, 401, "APIGW.0301", message)
    assert response.json()["request_id"] == response.headers["X-Request-Id"]
    assert response.json()["error_msg"].startswith("Incorrect IAM authentication information")
    assert emu.versions("my-dep") == []


def test_token_auth(emu: Emulator) -> None:
    created = token_call(emu, "POST", f"{BASE}/version", create_body())
    assert created.status_code == 200, created.text
    assert created.json()["version"] == 1
    assert_error(
        token_call(emu, "GET", BASE, headers={"X-Auth-Token": "nope"}),
        401,
        "APIGW.0301",
        "decrypt token fail",
    )


# --- request validation ------------------------------------------------------------


def _zip_with_entries(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(count):
            archive.writestr(f"f{index}", b"")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("changes", "code", "text"),
    [
        ({"depend_type": "tar"}, "FSS.1032", "depend_type"),
        ({"runtime": "Python3.99"}, "FSS.1005", "runtime"),
        ({"name": "1dep"}, "FSS.0400", "name"),
        ({"name": "dep-"}, "FSS.0400", "name"),
        ({"name": "my dep"}, "FSS.0400", "name"),
        ({"name": "a" * 97}, "FSS.0400", "name"),
        ({"description": "d" * 513}, "FSS.0400", "description"),
        ({"depend_file": "not base64!"}, "FSS.1013", "base64"),
        ({"depend_file": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA"}, "FSS.1013", "base64"),
        ({"depend_file": base64.b64encode(b"plain text").decode()}, "FSS.1013", "zip"),
        ({"depend_file": base64.b64encode(make_zip({})).decode()}, "FSS.0400", "empty"),
        ({"depend_file": base64.b64encode(make_zip({"a.py~": b""})).decode()}, "FSS.0400", "~"),
        ({"depend_file": None}, "FSS.0400", "depend_file is required"),
        ({"extra": 1}, "FSS.0400", "extra"),
        ({"runtime": None}, "FSS.0400", "runtime"),
        ({"depend_type": "obs"}, "FSS.0400", "depend_link is required"),
        ({"depend_type": "obs", "depend_link": "http://b.example/x.zip"}, "FSS.1010", "https"),
    ],
)
def test_create_rejects_bad_fields(
    emu: Emulator, changes: dict[str, Any], code: str, text: str
) -> None:
    body = {**create_body(), **changes}
    assert_error(signed_call(emu, "POST", f"{BASE}/version", body), 400, code, text)
    assert emu.versions(body.get("name", "")) == []


def test_create_accepts_edge_values(emu: Emulator) -> None:
    for name in ("a", "a" * 96, "A.b_c-9"):
        assert signed_call(emu, "POST", f"{BASE}/version", create_body(name)).status_code == 200
    obs = create_body("from-obs", depend_type="obs", depend_link="https://b.example/x.zip")
    del obs["depend_file"]
    # The link must name an object this emulator's OBS holds.
    assert_error(signed_call(emu, "POST", f"{BASE}/version", obs), 400, "FSS.1010", "no object")


def test_too_many_zip_entries(emu: Emulator) -> None:
    body = create_body(data=_zip_with_entries(30_001))
    assert_error(token_call(emu, "POST", f"{BASE}/version", body), 400, "FSS.0400", "30000")


def test_zip_over_40_mb_is_refused(emu: Emulator) -> None:
    # Built as bytes: json.dumps of a 56 MB string would dominate the test's time.
    head = json.dumps({**create_body(), "depend_file": ""}).encode()[:-2]
    body = head + b"A" * ((40 * MB + 3) // 3 * 4) + b'"}'
    response = token_call(emu, "POST", f"{BASE}/version", data=body)
    assert_error(response, 400, "FSS.1023")


def test_post_requires_json_content_type(emu: Emulator) -> None:
    response = token_call(
        emu,
        "POST",
        f"{BASE}/version",
        create_body(),
        headers={"Content-Type": "text/plain"},
    )
    assert_error(response, 400, "FSS.0400", "Content-Type")


def test_chunked_body_is_refused(emu: Emulator) -> None:
    chunks = iter([json.dumps(create_body()).encode()])
    response = token_call(emu, "POST", f"{BASE}/version", data=chunks)
    assert_error(response, 411, "FSS.0411", "Transfer-Encoding")


# --- body size limits --------------------------------------------------------------


def _raw_exchange(emu: Emulator, head: str) -> bytes:
    """Send only a request head and read the reply: proves the body was never awaited."""
    with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as connection:
        connection.sendall(head.encode())
        reply = b""
        while chunk := connection.recv(65536):
            reply += chunk
    return reply


@pytest.mark.parametrize(
    ("auth", "limit"),
    [
        (f"Authorization: SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host, Signature=00", 12),
        (f"X-Auth-Token: {TOKEN}", 60),
    ],
)
def test_body_limit_is_decided_from_content_length(emu: Emulator, auth: str, limit: int) -> None:
    head = (
        f"POST {BASE}/version HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {limit * MB + 1}\r\n\r\n"
    )
    reply = _raw_exchange(emu, head)
    status_line, _, rest = reply.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["error_code"] == "FSS.0413"
    assert (emu.requests[-1].status, emu.requests[-1].body_size) == (413, 0)


def test_aksk_body_limit_reply_reaches_an_uploading_client(emu: Emulator) -> None:
    body = b"x" * (12 * MB + 1)
    response = send(emu, sign(emu, "POST", f"{BASE}/version", body=body))
    assert_error(response, 413, "FSS.0413", str(12 * MB))


def test_aksk_body_at_limit_is_read(emu: Emulator) -> None:
    body = b"x" * (12 * MB)
    response = send(emu, sign(emu, "POST", f"{BASE}/version", body=body))
    assert_error(response, 400, "FSS.0400", "JSON")
    assert emu.requests[-1].body_size == 12 * MB


# --- listing, paging and routing ---------------------------------------------------


def test_paging(emu: Emulator) -> None:
    for index in range(5):
        token_call(emu, "POST", f"{BASE}/version", create_body(f"dep{index}"))
    for _ in range(2):
        token_call(emu, "POST", f"{BASE}/version", create_body("dep0"))

    pages, marker = [], 0
    while True:
        page = signed_call(emu, "GET", BASE, query=[("marker", str(marker)), ("maxitems", "2")])
        reply = page.json()
        pages.append([item["name"] for item in reply["dependencies"]])
        assert reply["count"] == 5
        marker = reply["next_marker"]
        if marker == 0:
            break
    assert pages == [["dep0", "dep1"], ["dep2", "dep3"], ["dep4"]]

    dep_id = emu.versions("dep0")[0]["dep_id"]
    page = token_call(emu, "GET", f"{BASE}/{dep_id}/version", params={"marker": 1, "limit": 1})
    assert page.json()["next_marker"] == 2
    assert [v["version"] for v in page.json()["dependencies"]] == [2]
    last = token_call(emu, "GET", f"{BASE}/{dep_id}/version", params={"marker": 2})
    assert (last.json()["next_marker"], last.json()["count"]) == (0, 3)
    assert_error(token_call(emu, "GET", BASE, params={"marker": "-1"}), 400, "FSS.0400", "marker")


def test_list_filters(emu: Emulator) -> None:
    token_call(emu, "POST", f"{BASE}/version", create_body("numpy"))
    token_call(emu, "POST", f"{BASE}/version", create_body("numpy-extra", runtime="Python3.12"))

    def names(**params: str) -> list[str]:
        reply = token_call(emu, "GET", BASE, params=params).json()
        return [item["name"] for item in reply["dependencies"]]

    assert names(name="numpy") == ["numpy", "numpy-extra"]
    assert names(name="numpy", runtime="Python3.12") == ["numpy-extra"]
    assert names(dependency_type="public") == []
    assert names(dependency_type="private") == ["numpy", "numpy-extra"]


def test_routing_errors(emu: Emulator) -> None:
    other_project = "f" * 32
    assert_error(token_call(emu, "GET", f"{BASE}/x/y/z"), 404, "FSS.0404")
    assert_error(token_call(emu, "PUT", f"{BASE}/version"), 404, "FSS.0404")
    assert_error(token_call(emu, "GET", f"{BASE}/{uuid.uuid4()}/version"), 404, "FSS.1056")
    assert_error(
        token_call(emu, "GET", f"/v2/{other_project}/fgs/dependencies"), 403, "FSS.0403", "project"
    )
    assert_error(
        token_call(emu, "GET", BASE, headers={"X-Project-Id": other_project}), 403, "FSS.0403"
    )
    assert_error(signed_call(emu, "GET", f"{BASE}/{uuid.uuid4()}/version/x"), 400, "FSS.0400")


# --- command line ------------------------------------------------------------------


def test_command_line_serves_until_sigterm() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    process = subprocess.Popen(
        [sys.executable, "-m", "fgs_emulator", "--port", "0", "--token", "cli-token"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("fgs-emulator listening on http://127.0.0.1:")
        url = line.split()[-1]
        reply = requests.get(
            url + "/v2/0123456789abcdef0123456789abcdef/fgs/dependencies",
            headers={"X-Auth-Token": "cli-token", "Content-Type": "application/json"},
            timeout=5,
        )
        assert reply.json() == {"dependencies": [], "next_marker": 0, "count": 0}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
        assert process.stdout.read() == ""
    finally:
        process.kill()
        process.wait()


def test_unsigned_payload_only_for_non_json_bodies(emu: Emulator) -> None:
    # The SDK itself sends UNSIGNED-PAYLOAD for non-JSON content types; the gateway
    # accepts that, so the request gets as far as the API's own Content-Type check.
    plain = sign(emu, "POST", f"{BASE}/version", body=b"x", headers={"Content-Type": "text/plain"})
    assert plain.headers["X-Sdk-Content-Sha256"] == "UNSIGNED-PAYLOAD"
    assert_error(send(emu, plain), 400, "FSS.0400", "Content-Type")

    body = json.dumps(create_body()).encode()
    claimed = sign(
        emu,
        "POST",
        f"{BASE}/version",
        body=body,
        headers={"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"},
    )
    assert_error(send(emu, claimed), 401, "APIGW.0301", "X-Sdk-Content-Sha256")


def test_deleting_and_attaching_at_once_do_not_deadlock(emulator: Emulator) -> None:
    """A matrix's retention deletes (asking the functions whether a version is in use) while
    another job attaches (asking the dependencies about the versions it sends): with a lock
    each, the two waited for each other for ever."""
    urn = emulator.functions.add("api", runtime="Python3.9", code_type="inline", code=b"x\n")
    until = time.monotonic() + 2

    def retire() -> None:
        while time.monotonic() < until:
            emulator.add_version("d", "Python3.9")
            number = emulator.add_version("d", "Python3.9")["version"]
            with contextlib.suppress(ApiError):  # in use: attached meanwhile
                emulator.delete_version("d", number)

    def attach() -> None:
        while time.monotonic() < until:
            newest = emulator.versions("d")[-1:]
            body = {"code_type": "inline", "func_code": {"file": "eA=="},
                    "depend_version_list": [v["id"] for v in newest]}  # fmt: skip
            with contextlib.suppress(ApiError):  # deleted meanwhile
                emulator.functions.update_code(urn, body)

    threads = [threading.Thread(target=work, daemon=True) for work in (retire, attach)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not any(thread.is_alive() for thread in threads), "deadlocked"
