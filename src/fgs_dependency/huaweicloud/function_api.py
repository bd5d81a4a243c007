"""Reading FunctionGraph's functions: their code and configuration, their list, and the
URN of each entry of 'functions'."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ..errors import ActionError
from ..inputs.urns import name_of, parse_target
from . import client, paging
from .client import Connection
from .credentials import AkSk
from .retry import Retries, with_retries

# A function item carries up to 4 KB of user_data alone, and a reply over 1 MiB is refused
# (transport.MAX_REPLY): 100 items stay well inside it, 400 (the API's maximum) do not.
FUNCTIONS_PAGE_SIZE = 100


@dataclass(frozen=True)
class Context:
    """What every call about functions needs."""

    session: requests.Session
    functiongraph: Connection
    obs_endpoint: str
    obs_keys: Callable[[], AkSk]
    retries: Retries

    @property
    def warnings(self) -> list[str]:
        """The run's warnings (see github.runner.warning), which the retries tell too."""
        return self.retries.warnings


class _Reply(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, value: Any) -> Any:
        # FunctionGraph sends null for fields that do not apply: the defaults say the same.
        return (
            {k: v for k, v in value.items() if v is not None} if isinstance(value, dict) else value
        )


M = TypeVar("M", bound=_Reply)


class AttachedDependency(_Reply):
    id: str
    dep_id: str = ""
    name: str = ""
    version: int | None = None


class FuncCode(_Reply):
    link: str = ""


class CodeState(_Reply):
    """What both `GET .../config` and `GET .../code` say about the code and dependencies a
    function has: what two reads of a function are compared by."""

    runtime: str = ""
    code_type: str = ""
    code_url: str = ""
    code_filename: str = ""
    digest: str = ""
    # Epoch seconds, or a time string: only compared for equality.
    last_modified: int | float | str = ""
    depend_version_list: tuple[str, ...] = ()
    dependencies: tuple[AttachedDependency, ...] = ()


class FunctionConfig(CodeState):
    """The fields of `GET .../config` used here. It carries no `func_code`: the address of
    the code is only in `GET .../code` (FunctionCode), as Huawei's SDK models say."""

    code_encrypt_kms_key_id: str = ""


class FunctionCode(CodeState):
    """The fields of `GET .../code` and of the `PUT .../code` reply used here: where the
    code is (`func_code.link`), besides the state."""

    func_code: FuncCode = FuncCode()


def functions_path(connection: Connection, urn: str = "") -> str:
    base = f"/v2/{connection.project_id}/fgs/functions"
    return f"{base}/{urn}" if urn else base


def _get(ctx: Context, what: str, path: str) -> Any:
    return with_retries(
        what,
        lambda: client.exchange(ctx.session, ctx.functiongraph, "GET", path).document,
        ctx.retries,
    )


def _checked(model: type[M], reply: Any, what: str, urn: str) -> M:
    try:
        return model.model_validate(reply)
    except ValidationError:
        raise ActionError(
            f"FunctionGraph's {what} reply for function '{name_of(urn)}' is not in the "
            "documented form; nothing was changed on it"
        ) from None


def read_config(ctx: Context, urn: str) -> FunctionConfig:
    """`GET .../{urn}/config`, checked."""
    path = f"{functions_path(ctx.functiongraph, urn)}/config"
    return _checked(
        FunctionConfig, _get(ctx, f"Reading the config of '{name_of(urn)}'", path), "config", urn
    )


def read_code(ctx: Context, urn: str) -> FunctionCode:
    """`GET .../{urn}/code`, checked."""
    path = f"{functions_path(ctx.functiongraph, urn)}/code"
    return _checked(
        FunctionCode, _get(ctx, f"Reading the code of '{name_of(urn)}'", path), "code", urn
    )


def update_code(ctx: Context, urn: str, body: bytes) -> FunctionCode:
    """One `PUT .../{urn}/code`, not retried: whether to send it again depends on what the
    function holds then, which only the caller can judge. Its reply, checked."""
    path = f"{functions_path(ctx.functiongraph, urn)}/code"
    reply = client.exchange(ctx.session, ctx.functiongraph, "PUT", path, body=body).document
    return _checked(FunctionCode, reply, "update", urn)


def list_functions(ctx: Context) -> list[dict[str, Any]]:
    items = with_retries(
        "Listing the functions",
        lambda: paging.pages(
            ctx.session,
            ctx.functiongraph,
            functions_path(ctx.functiongraph),
            [],
            key="functions",
            page_size=FUNCTIONS_PAGE_SIZE,
        ),
        ctx.retries,
    )
    return [i for i in items if isinstance(i, dict) and isinstance(i.get("func_urn"), str)]


def bare_urn(urn: str) -> str:
    return urn.removesuffix(":latest")


def resolve(ctx: Context, entries: tuple[str, ...]) -> list[str]:
    """The URN of each entry of 'functions' (names looked up; each must match one)."""
    listed: list[dict[str, Any]] | None = None
    urns: list[str] = []
    for entry in entries:
        target = parse_target(entry)
        if not target.is_name:
            urns.append(target.urn)
            continue
        if listed is None:
            listed = list_functions(ctx)
        matches = sorted({bare_urn(f["func_urn"]) for f in listed if f.get("func_name") == entry})
        if len(matches) == 1:
            urns.append(matches[0])
            continue
        if not matches:
            names = {str(f.get("func_name")) for f in listed}
            near = sorted(n for n in names if entry.lower() in n.lower())[:10]
            hint = f" Similar names: {', '.join(near)}." if near else ""
            raise ActionError(
                f"Input 'functions': no function is called '{entry}' in this project "
                f"({len(listed)} functions listed).{hint} Check the name and 'region', or give "
                "the function's URN (console: the function's page, 'URN')."
            )
        raise ActionError(
            f"Input 'functions': {len(matches)} functions are called '{entry}' (in different "
            f"apps or packages): {', '.join(matches)}. Give the URN of the one to change."
        )
    return list(dict.fromkeys(urns))
