"""Every reply the emulator gives on the paths the action uses has only fields that Huawei's
SDK (huaweicloudsdkfunctiongraph) models for that call, nested models included: a field the
model lacks is one the real service may not send, and code reading it would work only
against the emulator (as `func_code` in the config reply once did). And every field the
action reads is one the model has.

Where the API pages and the SDK disagree, the emulator follows the SDK, which is generated
from the service's API definition and is what Huawei's own clients parse; the legacy create
call has no SDK model any more (3.1.219 dropped it), so its reply is held to the field list
of its API page (../shared/reference/seeds, the create-dependency page)."""

import base64
import re
from typing import Any
from urllib.parse import quote

import pytest
from fgs_emulator import Emulator
from helpers import emulator_fixture
from huaweicloudsdkfunctiongraph.v2 import model as sdk
from pydantic import BaseModel
from test_emulator import AK, PROJECT, REGION, SK, create_body, signed_call
from test_functions_api import a_zip

from fgs_dependency.huaweicloud.dependencies import DependencyVersion
from fgs_dependency.huaweicloud.function_api import (
    AttachedDependency,
    FuncCode,
    FunctionCode,
    FunctionConfig,
)

emu = emulator_fixture(credentials={AK: SK}, tokens=set(), project_id=PROJECT, region=REGION)

BASE = f"/v2/{PROJECT}/fgs"
# The legacy create's reply, as its API page lists it (there is no SDK model for it).
LEGACY_CREATE_FIELDS = {
    "id", "owner", "link", "runtime", "etag", "size", "name", "description", "file_name",
}  # fmt: skip
_LIST = re.compile(r"list\[(\w+)\]")


def json_names(model: type) -> dict[str, str]:
    """JSON field name -> the SDK's type for it."""
    return {model.attribute_map[a]: t for a, t in model.openapi_types.items()}


def unknown_fields(reply: Any, model: type, where: str = "") -> list[str]:
    """The fields of `reply`, at any depth, that the SDK model does not have."""
    if not isinstance(reply, dict):
        return []
    names = json_names(model)
    found = [f"{where}{key}" for key in reply if key not in names]
    for key, value in reply.items():
        kind = names.get(key, "")
        inner = _LIST.fullmatch(kind)
        nested = getattr(sdk, inner[1] if inner else kind, None)
        if nested is None or not hasattr(nested, "attribute_map"):
            continue
        for item in value if isinstance(value, list) else [value]:
            found += unknown_fields(item, nested, f"{where}{key}.")
    return found


def function_urn(emu: Emulator) -> tuple[str, dict[str, Any]]:
    """A zip function holding one version of a dependency, with a published version."""
    version = emu.add_version("d", "Python3.9")
    urn = emu.functions.add(
        "f", runtime="Python3.9", code_type="zip", code=a_zip("x = 1\n"),
        code_filename="c.zip", depend_version_list=(version["id"],), kms_key_id="kms-1",
    )  # fmt: skip
    emu.functions.publish(urn, "prod-1")
    return urn, version


def replies(emu: Emulator) -> list[tuple[str, Any, type | None]]:
    """(what, the reply's JSON, the SDK model for it) for each call the action makes."""
    urn, version = function_urn(emu)
    one = f"{BASE}/functions/{quote(urn, safe='')}"
    published = f"{BASE}/functions/{quote(urn + ':prod-1', safe='')}"
    dep = f"{BASE}/dependencies/{version['dep_id']}/version"
    update = {
        "code_type": "zip", "code_filename": "c.zip",
        "func_code": {"file": base64.b64encode(a_zip("x = 2\n")).decode()},
        "depend_version_list": [version["id"]], "code_encrypt_kms_key_id": "kms-1",
    }  # fmt: skip
    calls: list[tuple[str, str, str, Any, type | None]] = [
        ("list functions", "GET", f"{BASE}/functions", None, sdk.ListFunctionsResponse),
        ("config", "GET", f"{one}/config", None, sdk.ShowFunctionConfigResponse),
        ("published config", "GET", f"{published}/config", None, sdk.ShowFunctionConfigResponse),
        ("code", "GET", f"{one}/code", None, sdk.ShowFunctionCodeResponse),
        ("update code", "PUT", f"{one}/code", update, sdk.UpdateFunctionCodeResponse),
        ("function versions", "GET", f"{one}/versions", None, sdk.ListFunctionVersionsResponse),
        ("list dependencies", "GET", f"{BASE}/dependencies", None, sdk.ListDependenciesResponse),
        (
            "create version",
            "POST",
            f"{BASE}/dependencies/version",
            create_body("d"),
            sdk.CreateDependencyVersionResponse,
        ),
        ("list versions", "GET", dep, None, sdk.ListDependencyVersionResponse),
        ("show version", "GET", f"{dep}/1", None, sdk.ShowDependencyVersionResponse),
        ("legacy create", "POST", f"{BASE}/dependencies", create_body("old"), None),
        ("delete version", "DELETE", f"{dep}/2", None, sdk.DeleteDependencyVersionResponse),
    ]
    found = []
    for what, method, path, body, model in calls:
        reply = signed_call(emu, method, path, body)
        assert reply.status_code < 300, f"{what}: {reply.status_code} {reply.text}"
        found.append((what, reply.json() if reply.content else {}, model))
    return found


def test_every_reply_field_is_one_the_sdk_models(emu: Emulator) -> None:
    for what, reply, model in replies(emu):
        if model is None:
            assert set(reply) <= LEGACY_CREATE_FIELDS, (
                f"{what}: {set(reply) - LEGACY_CREATE_FIELDS}"
            )
            continue
        assert unknown_fields(reply, model) == [], f"{what}: fields {model.__name__} lacks"


def test_the_config_reply_has_no_code_address(emu: Emulator) -> None:
    urn, _ = function_urn(emu)
    config = signed_call(emu, "GET", f"{BASE}/functions/{quote(urn, safe='')}/config").json()
    assert "func_code" not in config
    assert "func_code" not in json_names(sdk.ShowFunctionConfigResponse)


def read_fields(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


@pytest.mark.parametrize(
    ("ours", "models"),
    [
        (FunctionConfig, [sdk.ShowFunctionConfigResponse]),
        (FunctionCode, [sdk.ShowFunctionCodeResponse, sdk.UpdateFunctionCodeResponse]),
        (FuncCode, [sdk.FuncCode]),
        (AttachedDependency, [sdk.Dependency]),
        (
            DependencyVersion,
            [
                sdk.CreateDependencyVersionResponse,
                sdk.ListDependencyVersionsResult,
                sdk.ShowDependencyVersionResponse,
            ],
        ),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else "",
)
def test_every_field_the_action_reads_is_in_the_sdk_model(
    ours: type[BaseModel], models: list[type]
) -> None:
    for model in models:
        missing = read_fields(ours) - set(json_names(model))
        assert missing == set(), f"{ours.__name__} reads {missing}, which {model.__name__} lacks"


def test_the_list_fields_the_action_reads_are_in_the_sdk_models() -> None:
    # Functions by name and URN; published function versions by name; dependencies of a
    # name (whose `id` is the dependency's id: the action takes it as dep_id).
    assert {"func_urn", "func_name"} <= set(json_names(sdk.ListFunctionResult))
    assert {"version"} <= set(json_names(sdk.ListFunctionVersionResult))
    listed = read_fields(DependencyVersion) - {"dep_id"}
    assert listed <= set(json_names(sdk.ListDependenciesResult))
