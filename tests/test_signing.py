"""Our signer against Huawei's official SDK signer (huaweicloudsdkcore) and its test vectors."""

import hashlib
from datetime import UTC, datetime

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from fgs_dependency.huaweicloud.signing import EMPTY_BODY_SHA256, canonical_query, sign_request

WHEN = datetime(2020, 6, 8, 2, 39, 0, tzinfo=UTC)
HOST = "service.endpoint.myhuaweicloud.com"


def ours(
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: bytes,
    ak: str = "AccessKey",
    sk: str = "SecretKey",
) -> str:
    signed = sign_request(
        access_key=ak,
        secret_key=sk,
        method=method,
        path=path,
        query=query,
        headers=headers,
        body_sha256=hashlib.sha256(body).hexdigest(),
        now=WHEN,
    )
    return signed["Authorization"]


def sdk(
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: bytes,
    ak: str = "AccessKey",
    sk: str = "SecretKey",
) -> str:
    request = SdkRequest(
        method=method,
        schema="https",
        host=HOST,
        resource_path=path,
        query_params=list(query),
        header_params={**headers, "X-Sdk-Date": "20200608T023900Z"},
        body=body,
    )
    return Signer(BasicCredentials(ak, sk)).sign(request).header_params["Authorization"]


@pytest.mark.parametrize(
    ("method", "body", "signature"),
    [
        ("GET", b"", "cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842"),
        (
            "POST",
            b'{"name":"test","id":1}',
            "436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f",
        ),
    ],
)
def test_sdk_test_vectors(method: str, body: bytes, signature: str) -> None:
    auth = ours(method, "/resources", [("size", "1")], {"Host": HOST}, body)
    assert auth == (
        f"SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, Signature={signature}"
    )
    assert auth == sdk(method, "/resources", [("size", "1")], {"Host": HOST}, body)


@pytest.mark.parametrize(
    "query",
    [
        [("name", "my deps")],
        [("name", "依赖 包"), ("marker", "0")],
        [("link", "https://bucket.obs/a/b?c=d&e"), ("z", "~tilde*star+plus")],
        [("b", "2"), ("a", "1"), ("a", "0")],
        [],
    ],
)
def test_matches_sdk_on_awkward_queries(query: list[tuple[str, str]]) -> None:
    headers = {
        "Host": HOST,
        "Content-Type": "application/json",
        "X-Project-Id": "0123456789abcdef0123456789abcdef",
        "X-Security-Token": "token/with+odd=chars",
        "X_Unsigned": "left out because of the underscore",
    }
    body = '{"name":"dépendance","runtime":"Python3.9"}'.encode()
    path = "/v2/0123456789abcdef0123456789abcdef/fgs/dependencies/a b/version"
    for method in ("GET", "POST", "DELETE"):
        assert ours(method, path, query, headers, body, "AK1", "sk/+=") == sdk(
            method, path, query, headers, body, "AK1", "sk/+="
        )


def test_underscore_headers_are_not_signed() -> None:
    auth = ours("GET", "/x", [], {"Host": HOST, "X_Odd": "v"}, b"")
    assert "SignedHeaders=host;x-sdk-date," in auth


def test_empty_body_hash_and_query_encoding() -> None:
    assert EMPTY_BODY_SHA256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert canonical_query([("q", "a b/c"), ("a", "ü")]) == "a=%C3%BC&q=a%20b%2Fc"
