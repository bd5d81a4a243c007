"""The function calls the action makes, checked against Huawei's official SDKs
(huaweicloudsdkfunctiongraph's request models, esdk-obs-python's default client), and the
emulator's functions behaving as the worst reading of the docs says."""

import base64
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fgs_emulator import Emulator
from helpers import PROJECT_ID, emulator_fixture, make_tree, publish_inputs, run_action
from huaweicloudsdkcore.utils.http_utils import sanitize_for_serialization
from huaweicloudsdkfunctiongraph.v2 import (
    DeleteDependencyVersionRequest,
    FunctionGraphClient,
    ListFunctionsRequest,
    ListFunctionVersionsRequest,
    ShowFunctionCodeRequest,
    ShowFunctionConfigRequest,
    UpdateFunctionCodeRequest,
    UpdateFunctionCodeRequestBody,
)
from huaweicloudsdkfunctiongraph.v2.model.func_code import FuncCode
from obs import ObsClient
from test_emulator import AK, PROJECT, REGION, SK, assert_error, signed_call

FUNCTIONS = f"/v2/{PROJECT}/fgs/functions"


def a_zip(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", text)
    return buffer.getvalue()


def sdk_call(request: Any, operation: str) -> tuple[str, str, frozenset[str]]:
    """Method, path and query names the official client would send for `request`."""
    info = getattr(FunctionGraphClient, f"_{operation}_http_info")(request)
    path = info["resource_path"].replace("{project_id}", PROJECT_ID)
    for name, value in info["path_params"].items():
        path = path.replace(f"{{{name}}}", quote(str(value), safe=""))
    return info["method"], path, frozenset(name for name, _ in info["query_params"])


def test_every_call_matches_the_official_sdk(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    old = emulator.add_version("demo-deps", "Python3.9")
    older = emulator.add_version("demo-deps", "Python3.9")
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type="zip", code=a_zip("x = 1\n"),
        code_filename="index.zip", depend_version_list=(old["id"],), kms_key_id="kms-1",
    )  # fmt: skip
    emulator.functions.publish(urn)
    make_tree(workspace, {"mod.py": "x = 1\n"})
    inputs = publish_inputs(
        emulator, functions="api", **{"keep-versions": "1", "obs-endpoint": emulator.url}
    )
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert run.returncode == 0, run.log
    assert json.loads(run.outputs["deleted_versions"]) == [2]

    dep_id = old["dep_id"]
    expected = {
        sdk_call(ListFunctionsRequest(marker="0", maxitems="400"), "list_functions"),
        sdk_call(ShowFunctionConfigRequest(function_urn=urn), "show_function_config"),
        sdk_call(ShowFunctionConfigRequest(function_urn=f"{urn}:1"), "show_function_config"),
        sdk_call(ShowFunctionCodeRequest(function_urn=urn), "show_function_code"),
        sdk_call(UpdateFunctionCodeRequest(function_urn=urn), "update_function_code"),
        sdk_call(
            ListFunctionVersionsRequest(function_urn=urn, marker="0", maxitems="400"),
            "list_function_versions",
        ),
        sdk_call(
            DeleteDependencyVersionRequest(depend_id=dep_id, version=str(older["version"])),
            "delete_dependency_version",
        ),
    }
    sent = {
        (r.method, r.path, frozenset(r.query))
        for r in emulator.requests
        if r.path.startswith(f"/v2/{PROJECT_ID}/fgs/functions") or r.method == "DELETE"
    }
    assert {(m, p) for m, p, _ in sent} == {(m, p) for m, p, _ in expected}
    for method, path, names in sent:
        [sdk_names] = [q for m, p, q in expected if (m, p) == (method, path)]
        assert names <= sdk_names, f"{method} {path} sends query fields the SDK does not name"


def test_the_code_update_body_is_what_the_sdk_serialises(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    code = a_zip("x = 2\n")
    emulator.functions.add(
        "api", runtime="Python3.9", code_type="zip", code=code, code_filename="index.zip",
        kms_key_id="kms-1",
    )  # fmt: skip
    make_tree(workspace, {"mod.py": "x = 1\n"})
    inputs = publish_inputs(emulator, functions="api", **{"obs-endpoint": emulator.url})
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert run.returncode == 0, run.log
    [put] = [r for r in emulator.requests if r.method == "PUT"]
    sent = put.json
    model = UpdateFunctionCodeRequestBody(
        **{**sent, "func_code": FuncCode(**sent["func_code"])}
    )  # raises on a field the SDK does not know
    assert sanitize_for_serialization(model) == sent
    assert set(sent) == {
        "code_type", "code_filename", "func_code", "depend_version_list", "code_encrypt_kms_key_id"
    }  # fmt: skip
    assert base64.b64decode(sent["func_code"]["file"]) == code
    assert put.headers["content-type"] == "application/json"


# --- the emulator's functions, called as the SDK signs ---------------------------------


emu = emulator_fixture(
    credentials={AK: SK}, tokens=set(), project_id=PROJECT, region=REGION, buckets={"code-b"}
)


def function_path(urn: str, what: str) -> str:
    return f"{FUNCTIONS}/{quote(urn, safe='')}/{what}"


def put_code(emu: Emulator, urn: str, body: dict[str, Any]) -> Any:
    return signed_call(emu, "PUT", function_path(urn, "code"), body)


def test_put_code_without_a_file_deploys_the_default_code(emu: Emulator) -> None:
    mine = a_zip("mine = True\n")
    urn = emu.functions.add(
        "f", runtime="Python3.9", code_type="zip", code=mine, code_filename="c.zip"
    )
    reply = put_code(emu, urn, {"code_type": "zip", "code_filename": "c.zip", "func_code": {}})
    assert reply.status_code == 200, reply.text
    assert emu.functions.code_of(urn) != mine
    assert reply.json()["digest"] == hashlib.sha512(emu.functions.code_of(urn)).hexdigest()


def test_put_code_without_a_list_clears_it(emu: Emulator) -> None:
    version = emu.add_version("d", "Python3.9")
    urn = emu.functions.add(
        "f", runtime="Python3.9", code_type="inline", code=b"x\n",
        depend_version_list=(version["id"],),
    )  # fmt: skip
    body = {"code_type": "inline", "func_code": {"file": base64.b64encode(b"x\n").decode()}}
    assert put_code(emu, urn, body).status_code == 200
    assert emu.functions.config(urn)["depend_version_list"] == []


def test_put_code_refuses_a_hash_sent_as_a_zip(emu: Emulator) -> None:
    urn = emu.functions.add(
        "f", runtime="Python3.9", code_type="zip", code=a_zip("x\n"), code_filename="c.zip"
    )
    digest = base64.b64encode(hashlib.sha512(b"x").digest()).decode()
    body = {"code_type": "zip", "code_filename": "c.zip", "func_code": {"file": digest}}
    assert_error(put_code(emu, urn, body), 400, "FSS.1011", "not a valid zip")


def test_code_of_a_function_is_readable_in_obs_with_its_digest(emu: Emulator) -> None:
    urn = emu.functions.add("f", runtime="Python3.9", code_type="inline", code=b"print(1)\n")
    code = signed_call(emu, "GET", function_path(urn, "code")).json()
    assert code["func_code"]["file"] == ""
    assert code["digest"] == hashlib.sha512(b"print(1)\n").hexdigest()
    assert code["func_code"]["link"].startswith(f"https://{emu.code_bucket}.obs.{REGION}.")
    assert "depend_version_list" not in signed_call(emu, "GET", FUNCTIONS).json()["functions"][0]


def test_a_published_version_cannot_be_updated(emu: Emulator) -> None:
    urn = emu.functions.add("f", runtime="Python3.9", code_type="inline", code=b"x\n")
    emu.functions.publish(urn)
    body = {"code_type": "inline", "func_code": {"file": "eAo="}, "depend_version_list": []}
    assert_error(put_code(emu, f"{urn}:1", body), 400, "FSS.0400", "cannot be modified")


def test_deleting_a_version_in_use_is_refused_and_the_last_takes_the_dependency(
    emu: Emulator,
) -> None:
    first, second = emu.add_version("d", "Python3.9"), emu.add_version("d", "Python3.9")
    urn = emu.functions.add(
        "f", runtime="Python3.9", code_type="inline", code=b"x\n",
        depend_version_list=(first["id"],),
    )  # fmt: skip
    emu.functions.publish(urn)
    base = f"/v2/{PROJECT}/fgs/dependencies/{first['dep_id']}/version"
    assert_error(signed_call(emu, "DELETE", f"{base}/1"), 412, "FSS.1033", "in use")
    assert signed_call(emu, "DELETE", f"{base}/2").status_code == 204
    # Only the published function version holds version 1 now: still refused.
    body = {"code_type": "inline", "func_code": {"file": "eAo="}, "depend_version_list": []}
    assert put_code(emu, urn, body).status_code == 200
    assert_error(signed_call(emu, "DELETE", f"{base}/1"), 412, "FSS.1033")
    assert second["id"] not in emu.functions.config(urn)["depend_version_list"]


def test_deleting_the_last_version_deletes_the_dependency(emu: Emulator) -> None:
    only = emu.add_version("d", "Python3.9")
    base = f"/v2/{PROJECT}/fgs/dependencies/{only['dep_id']}/version"
    assert signed_call(emu, "DELETE", f"{base}/1").status_code == 204
    assert_error(signed_call(emu, "GET", base), 404, "FSS.1056")
    assert emu.add_version("d", "Python3.9")["dep_id"] != only["dep_id"]


# --- OBS, as esdk-obs-python's default client meets it ---------------------------------


def test_the_official_obs_client_reads_code_with_its_defaults(emu: Emulator) -> None:
    data = a_zip("print('code')\n")
    emu.put_object("code-b", "code/app.zip", data)
    client = ObsClient(access_key_id=AK, secret_access_key=SK, server=emu.url, path_style=True)
    try:
        got = client.getObject("code-b", "code/app.zip", loadStreamInMemory=True)
        assert got.status == 200, got.errorMessage
        assert got.body.buffer == data
        assert got.body.etag == f'"{hashlib.md5(data).hexdigest()}"'
        assert got.body.lastModified
        meta = client.getObjectMetadata("code-b", "code/app.zip")
        assert meta.status == 200, meta.errorMessage
        assert int(meta.body.contentLength) == len(data)
        assert meta.body.etag == got.body.etag
    finally:
        client.close()
    # A path-style client skips the protocol probe and signs with the AWS V2 scheme, which
    # OBS accepts as it accepts its own.
    gets = [r for r in emu.requests if r.method == "GET" and r.path == "/code-b/code/app.zip"]
    assert gets[0].headers["authorization"].startswith(f"AWS {AK}:")


def test_obs_answers_the_sdk_protocol_probe(emu: Emulator) -> None:
    import requests

    probe = requests.head(f"{emu.url}/code-b?apiversion", timeout=10)
    assert probe.status_code == 200
    assert probe.headers["x-obs-api"] == "3.0"
    assert requests.head(f"{emu.url}/nobucket?apiversion", timeout=10).status_code == 404


def test_obs_accepts_the_aws_v2_signature_and_refuses_a_wrong_one(emu: Emulator) -> None:
    data = b"v2"
    emu.put_object("code-b", "k", data)
    client = ObsClient(
        access_key_id=AK, secret_access_key=SK, server=emu.url, path_style=True,
        signature="v2", is_signature_negotiation=False,
    )  # fmt: skip
    wrong = ObsClient(
        access_key_id=AK, secret_access_key="wrong", server=emu.url, path_style=True,
        signature="v2", is_signature_negotiation=False,
    )  # fmt: skip
    try:
        got = client.getObject("code-b", "k", loadStreamInMemory=True)
        assert got.status == 200, got.errorMessage
        assert got.body.buffer == data
        refused = wrong.getObject("code-b", "k", loadStreamInMemory=True)
        assert (refused.status, refused.errorCode) == (403, "SignatureDoesNotMatch")
    finally:
        client.close()
        wrong.close()
    assert emu.requests[0].headers["authorization"].startswith(f"AWS {AK}:")


def test_our_obs_signature_reads_what_the_sdk_reads(emu: Emulator) -> None:
    import requests

    from fgs_dependency.huaweicloud import obs
    from fgs_dependency.huaweicloud.credentials import AkSk

    data = a_zip("x\n")
    link = emu.put_object("code-b", "dir/a b.zip", data)
    assert obs.object_of(link) == ("code-b", "dir/a b.zip")
    bucket = obs.Bucket(endpoint=emu.url, name="code-b", keys=AkSk(AK, SK), timeout=10)
    sink = io.BytesIO()
    with requests.Session() as session:
        obs.download(session, bucket, "dir/a b.zip", sink)
    assert sink.getvalue() == data


@pytest.mark.parametrize(
    "link",
    [
        "http://b.obs.cn-north-4.myhuaweicloud.com/k",
        "https://example.com/k",
        "https://b.obs.cn-north-4.myhuaweicloud.com/",
        "",
    ],
)
def test_only_obs_object_addresses_are_read(link: str) -> None:
    from fgs_dependency.huaweicloud import obs

    assert obs.object_of(link) is None
