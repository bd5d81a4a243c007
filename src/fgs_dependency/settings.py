"""Reading and validating the action's inputs from the environment the runner gives.

The runner passes each `with:` value as `INPUT_<NAME>` (upper case, hyphens kept),
untrimmed, and an empty string for every declared input left unset.
"""

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from .errors import ActionError, InputError, InputErrors
from .urns import PROJECT_ID, parse_target, region_and_project

# The API's own spellings; users may type any case, and spaces as the docs' prose shows them.
KNOWN_RUNTIMES = (
    *("Java8", "Java11", "Java17", "Java21"),
    *("Node.js6.10", "Node.js8.10", "Node.js10.16", "Node.js12.13", "Node.js14.18"),
    *("Node.js16.17", "Node.js18.15", "Node.js20.15"),
    *("Python2.7", "Python3.6", "Python3.9", "Python3.10", "Python3.12"),
    *("Go1.8", "Go1.x", "PHP7.3", "PHP8.3", "Cangjie1.0"),
    *("C#(.NET Core 2.0)", "C#(.NET Core 2.1)", "C#(.NET Core 3.1)", "C#(.NET Core 6.0)"),
    *("Custom", "Custom Image", "http"),
)
_RUNTIME_BY_KEY = {re.sub(r"\s+", "", r).lower(): r for r in KNOWN_RUNTIMES}
_WELL_FORMED_RUNTIME = re.compile(r"[A-Za-z][A-Za-z0-9.#()+_ -]{0,63}")
_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9])?")
_REGION = re.compile(r"[a-z]{2,}(?:-[a-z0-9]+){1,4}")
_ACCESS_KEY = re.compile(r"[A-Za-z0-9]{1,128}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# An IAM identity provider's name: 1-64 of these characters (the console's rule, as assumed here).
_IDENTITY_PROVIDER = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# What GitHub puts in the token's `aud` and IAM compares with the provider's client ID. Named
# after the service that consumes the token, as AWS's `sts.amazonaws.com` is.
DEFAULT_OIDC_AUDIENCE = "iam.myhuaweicloud.com"
# Errors found across inputs start with the input they name.
_MODEL_CHECKED = (
    "endpoint", "iam-endpoint", "obs-endpoint", "depend-link", "depend-type", "obs-bucket",
    "region", "credentials", "oidc-audience", "functions", "keep-versions",
)  # fmt: skip
_PREFIX_SEGMENT = re.compile(r"[^\x00-\x1f\\/]+")
_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")

# Where huaweicloud/auth-action (and users' own `env:`) put what an empty input falls back to.
ENV_FALLBACKS = {
    "region": "HUAWEI_CLOUD_REGION",
    "project-id": "HUAWEI_CLOUD_PROJECT_ID",
    "access-key": "HUAWEI_CLOUD_ACCESS_KEY_ID",
    "secret-key": "HUAWEI_CLOUD_SECRET_ACCESS_KEY",
    "security-token": "HUAWEI_CLOUD_SECURITY_TOKEN",
}


def _input(name: str) -> Any:
    aliases = [f"INPUT_{name.upper()}"]
    if name in ENV_FALLBACKS:
        aliases.append(ENV_FALLBACKS[name])
    return AliasChoices(*aliases)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Inputs(BaseSettings):
    """Everything the run needs from its environment, validated and normalised."""

    model_config = SettingsConfigDict(
        case_sensitive=True,
        env_ignore_empty=True,
        hide_input_in_errors=True,
        frozen=True,
        extra="ignore",
    )

    name: str = Field(validation_alias=_input("name"))
    runtime: str = Field(validation_alias=_input("runtime"))
    path: str = Field(".", validation_alias=_input("path"))
    description: str = Field("", validation_alias=_input("description"))
    region: str = Field("", validation_alias=_input("region"))
    project_id: str = Field("", validation_alias=_input("project-id"))
    access_key: SecretStr = Field(SecretStr(""), validation_alias=_input("access-key"))
    secret_key: SecretStr = Field(SecretStr(""), validation_alias=_input("secret-key"))
    security_token: SecretStr = Field(SecretStr(""), validation_alias=_input("security-token"))
    auth_token: SecretStr = Field(SecretStr(""), validation_alias=_input("auth-token"))
    iam_user: str = Field("", validation_alias=_input("iam-user"))
    iam_password: SecretStr = Field(SecretStr(""), validation_alias=_input("iam-password"))
    iam_domain: str = Field("", validation_alias=_input("iam-domain"))
    iam_endpoint: str = Field("", validation_alias=_input("iam-endpoint"))
    identity_provider: str = Field("", validation_alias=_input("identity-provider"))
    oidc_audience: str = Field(DEFAULT_OIDC_AUDIENCE, validation_alias=_input("oidc-audience"))
    depend_type: str = Field("auto", validation_alias=_input("depend-type"))
    obs_bucket: str = Field("", validation_alias=_input("obs-bucket"))
    obs_key: str = Field("", validation_alias=_input("obs-key"))
    obs_endpoint: str = Field("", validation_alias=_input("obs-endpoint"))
    depend_link: str = Field("", validation_alias=_input("depend-link"))
    api: str = Field("version", validation_alias=_input("api"))
    endpoint: str = Field("", validation_alias=_input("endpoint"))
    exclude: Annotated[tuple[str, ...], NoDecode] = Field((), validation_alias=_input("exclude"))
    prefix: str = Field("", validation_alias=_input("prefix"))
    dry_run: bool = Field(False, validation_alias=_input("dry-run"))
    timeout: float = Field(60.0, validation_alias=_input("timeout"))
    if_unchanged: str = Field("skip", validation_alias=_input("if-unchanged"))
    retries: int = Field(3, validation_alias=_input("retries"))
    functions: Annotated[tuple[str, ...], NoDecode] = Field(
        (), validation_alias=_input("functions")
    )
    keep_versions: int | None = Field(None, validation_alias=_input("keep-versions"))

    # The runner's own variables, not inputs.
    workspace: Path = Field(Path(), validation_alias="GITHUB_WORKSPACE")
    runner_temp: Path | None = Field(None, validation_alias="RUNNER_TEMP")
    source_date_epoch: int | None = Field(None, validation_alias="SOURCE_DATE_EPOCH")

    @field_validator(
        "name", "runtime", "path", "description", "region", "project_id", "endpoint", "prefix",
        "iam_user", "iam_domain", "iam_endpoint", "obs_bucket", "obs_key", "obs_endpoint",
        "depend_link", "identity_provider", "oidc_audience", mode="before",
    )  # fmt: skip
    @classmethod
    def _trim(cls, value: Any) -> Any:
        # @actions/core trims inputs; users' YAML often leaves a trailing newline.
        return value.strip() if isinstance(value, str) else value

    @field_validator(
        "access_key", "secret_key", "security_token", "auth_token", "iam_password", mode="before"
    )
    @classmethod
    def _trim_secret(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError(
                "must be 1-96 characters of letters, digits, '_', '.' and '-', "
                "starting with a letter and ending with a letter or digit "
                "(for example 'pandas-2.2' or 'shared_node_modules')"
            )
        return value

    @field_validator("runtime")
    @classmethod
    def _check_runtime(cls, value: str) -> str:
        known = _RUNTIME_BY_KEY.get(re.sub(r"\s+", "", value).lower())
        if known:
            return known
        if _WELL_FORMED_RUNTIME.fullmatch(value):
            return value
        raise ValueError(
            "is not a FunctionGraph runtime; use one such as "
            "Python3.9, Python3.12, Node.js18.15, Node.js20.15, Java17, Go1.x or Custom"
        )

    @field_validator("description")
    @classmethod
    def _check_description(cls, value: str) -> str:
        if len(value) > 512:
            raise ValueError(f"is {len(value)} characters long; FunctionGraph accepts at most 512")
        return value

    @field_validator("region")
    @classmethod
    def _check_region(cls, value: str) -> str:
        if value and not _REGION.fullmatch(value):
            raise ValueError("must be a Huawei Cloud region id such as 'cn-north-4'")
        return value

    @field_validator("project_id")
    @classmethod
    def _check_project_id(cls, value: str) -> str:
        if value and not PROJECT_ID.fullmatch(value):
            raise ValueError(
                "must be a project id of 32 letters and digits "
                "(console: My Credentials > API Credentials)"
            )
        return value

    @field_validator("access_key")
    @classmethod
    def _check_access_key(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and not _ACCESS_KEY.fullmatch(value.get_secret_value()):
            raise ValueError("must be an access key id: letters and digits only")
        return value

    @field_validator("secret_key", "security_token", "auth_token")
    @classmethod
    def _check_secret(cls, value: SecretStr) -> SecretStr:
        # Sent in HTTP headers, which carry ASCII only: keys and tokens never hold more.
        text = value.get_secret_value()
        if any(c.isspace() or not c.isprintable() or not c.isascii() for c in text):
            raise ValueError(
                "contains spaces or control characters, or characters outside ASCII; "
                "paste the value again"
            )
        return value

    @field_validator("iam_password")
    @classmethod
    def _check_password(cls, value: SecretStr) -> SecretStr:
        if any(not c.isprintable() for c in value.get_secret_value()):
            raise ValueError("contains control characters; paste the value again")
        return value

    @field_validator("iam_user", "iam_domain")
    @classmethod
    def _check_iam_name(cls, value: str) -> str:
        if len(value) > 64 or any(not c.isprintable() for c in value):
            raise ValueError("must be an IAM user or account name (at most 64 characters)")
        return value

    @field_validator("identity_provider")
    @classmethod
    def _check_identity_provider(cls, value: str) -> str:
        if value and not _IDENTITY_PROVIDER.fullmatch(value):
            raise ValueError(
                "must be the name of an IAM identity provider: 1-64 letters, digits, '-', '_' "
                "and '.' (console: IAM > Identity Providers)"
            )
        return value

    @field_validator("oidc_audience")
    @classmethod
    def _check_audience(cls, value: str) -> str:
        if len(value) > 256 or any(c.isspace() or not c.isprintable() for c in value):
            raise ValueError(
                "must be the identity provider's client ID (at most 256 characters, no spaces)"
            )
        return value

    @field_validator("depend_type", mode="before")
    @classmethod
    def _parse_depend_type(cls, value: Any) -> Any:
        return _choice(value, ("auto", "zip", "obs"), "auto (inline when it fits, else OBS), "
                       "zip (always inline) or obs (always through 'obs-bucket')")  # fmt: skip

    @field_validator("api", mode="before")
    @classmethod
    def _parse_api(cls, value: Any) -> Any:
        return _choice(value, ("version", "legacy"), "version (create dependency version, "
                       "the default) or legacy (the older create-dependency API)")  # fmt: skip

    @field_validator("obs_bucket")
    @classmethod
    def _check_bucket(cls, value: str) -> str:
        if value and not _BUCKET.fullmatch(value):
            raise ValueError(
                "must be an OBS bucket name: 3-63 lower-case letters, digits, '-' and '.'"
            )
        return value

    @field_validator("obs_key")
    @classmethod
    def _check_key(cls, value: str) -> str:
        if value and (
            value.startswith("/") or len(value.encode()) > 1024 or not value.isprintable()
        ):
            raise ValueError("must be an object key of at most 1024 bytes, not starting with '/'")
        return value

    @field_validator("exclude", mode="before")
    @classmethod
    def _split_lines(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(line.strip() for line in value.splitlines() if line.strip())
        return value

    @field_validator("exclude")
    @classmethod
    def _check_exclude(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:  # the usual case: spare the import
            return value
        import pathspec  # only with 'exclude': a run without it starts 20 ms sooner

        for line in value:
            try:
                pathspec.GitIgnoreSpec.from_lines([line])
            except (ValueError, TypeError) as err:
                raise ValueError(f"line {line!r} is not a gitignore-style pattern") from err
        return value

    @field_validator("prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        parts = [part for part in value.strip("/").split("/") if part]
        if any(p in (".", "..") or not _PREFIX_SEGMENT.fullmatch(p) for p in parts):
            raise ValueError(
                "must be a relative folder inside the zip such as 'python' or 'node_modules' "
                "(no '..', '.', backslashes or control characters)"
            )
        return "/".join(parts)

    @field_validator("dry_run", mode="before")
    @classmethod
    def _parse_bool(cls, value: Any) -> Any:
        # The YAML 1.2 core schema, as @actions/core's getBooleanInput reads it.
        if isinstance(value, str):
            value = value.strip()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        if isinstance(value, bool):
            return value
        raise ValueError("must be true or false")

    @field_validator("timeout", mode="before")
    @classmethod
    def _parse_timeout(cls, value: Any) -> Any:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            seconds = float("nan")
        if not 1 <= seconds <= 3600:
            raise ValueError("must be a number of seconds from 1 to 3600")
        return seconds

    @field_validator("if_unchanged", mode="before")
    @classmethod
    def _parse_if_unchanged(cls, value: Any) -> Any:
        choice = value.strip().lower() if isinstance(value, str) else value
        if choice not in ("skip", "publish"):
            raise ValueError(
                "must be 'skip' (reuse the newest version when it holds the same package) "
                "or 'publish' (always create a version)"
            )
        return choice

    @field_validator("retries", mode="before")
    @classmethod
    def _parse_retries(cls, value: Any) -> Any:
        text = value.strip() if isinstance(value, str) else str(value)
        if not text.isdigit() or int(text) > 10:
            raise ValueError("must be a whole number from 0 to 10")
        return int(text)

    @field_validator("functions", mode="before")
    @classmethod
    def _split_functions(cls, value: Any) -> Any:
        if isinstance(value, str):
            items = (item.strip() for line in value.splitlines() for item in line.split(","))
            return tuple(dict.fromkeys(item for item in items if item))
        return value

    @field_validator("functions")
    @classmethod
    def _check_functions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            parse_target(item)  # its ValueError says what is accepted
        return value

    @field_validator("keep_versions", mode="before")
    @classmethod
    def _parse_keep_versions(cls, value: Any) -> Any:
        if value is None:  # not given: delete nothing
            return None
        text = value.strip() if isinstance(value, str) else str(value)
        if not text.isdigit() or not 1 <= int(text) <= 1000:
            raise ValueError(
                "must be a whole number from 1 to 1000: how many of the newest versions to "
                "keep (leave it empty to delete none)"
            )
        return int(text)

    @model_validator(mode="after")
    def _check_deploying(self) -> Self:
        if self.api == "legacy" and (self.functions or self.keep_versions is not None):
            which = "functions" if self.functions else "keep-versions"
            raise ValueError(
                f"{which}: the legacy API has no dependency versions to attach or delete; "
                "use api: version"
            )
        for item in self.functions:
            urn = parse_target(item).urn
            if not urn:
                continue
            region, project = region_and_project(urn)
            if self.region and region != self.region:
                raise ValueError(
                    f"functions: {urn!r} is in region {region!r}, not in 'region' "
                    f"({self.region!r}); the action works in one region"
                )
            if self.project_id and project != self.project_id:
                raise ValueError(
                    f"functions: {urn!r} is in project {project!r}, not in 'project-id'"
                )
        return self

    @field_validator("source_date_epoch", mode="before")
    @classmethod
    def _parse_epoch(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip().isdigit():
            raise ValueError(
                "must be a whole number of seconds since 1970 (reproducible-builds.org)"
            )
        return value

    @model_validator(mode="after")
    def _check_publishing(self) -> Self:
        for name, url in (
            ("endpoint", self.endpoint),
            ("iam-endpoint", self.iam_endpoint),
            ("obs-endpoint", self.obs_endpoint),
            ("depend-link", self.depend_link),
        ):
            if url:
                _check_url(name, url)
        if self.depend_link and self.depend_type == "zip":
            raise ValueError("depend-type: 'zip' cannot go with 'depend-link', which is in OBS")
        if self.depend_type == "obs" and not self.obs_bucket and not self.depend_link:
            raise ValueError("obs-bucket: depend-type 'obs' needs the bucket to upload to")
        if self.dry_run:
            return self
        if not self.region:
            raise ValueError(
                "region: publishing needs the region (or HUAWEI_CLOUD_REGION), e.g. cn-north-4; "
                "or set dry-run: true to only build the package"
            )
        self.sign_in_method()  # raises when not exactly one way is complete
        if self.oidc_audience != DEFAULT_OIDC_AUDIENCE and not self.identity_provider:
            raise ValueError(
                "oidc-audience: is used only for keyless sign-in; set 'identity-provider' too, "
                "or leave 'oidc-audience' out"
            )
        return self

    def sign_in_method(self) -> str:
        """'aksk', 'token', 'iam' or 'keyless': the one complete way to authenticate."""
        ways = {
            "aksk": {
                "access-key": self.access_key.get_secret_value(),
                "secret-key": self.secret_key.get_secret_value(),
            },
            "token": {"auth-token": self.auth_token.get_secret_value()},
            "iam": {
                "iam-user": self.iam_user,
                "iam-password": self.iam_password.get_secret_value(),
                "iam-domain": self.iam_domain,
            },
            # GitHub's OIDC token, exchanged for an IAM token (the audience has a default).
            "keyless": {"identity-provider": self.identity_provider},
        }
        complete = [way for way, fields in ways.items() if all(fields.values())]
        for fields in ways.values():
            given = [name for name, value in fields.items() if value]
            if given and len(given) < len(fields):
                missing = [name for name in fields if name not in given]
                raise ValueError(
                    f"credentials: {_listing(given)} given without {_listing(missing)}. " + _WAYS
                )
        if self.security_token.get_secret_value() and "aksk" not in complete:
            raise ValueError(
                "credentials: 'security-token' goes with a temporary 'access-key' and "
                "'secret-key'. " + _WAYS
            )
        if len(complete) != 1:
            found = "none was given" if not complete else f"{_listing(complete)} were all given"
            raise ValueError(
                f"credentials: exactly one way to sign in is needed, {found}. " + _WAYS
            )
        return complete[0]

    @property
    def api_endpoint(self) -> str:
        return (self.endpoint or f"https://functiongraph.{self.region}.myhuaweicloud.com").rstrip(
            "/"
        )

    @property
    def iam_api_endpoint(self) -> str:
        return (self.iam_endpoint or f"https://iam.{self.region}.myhuaweicloud.com").rstrip("/")

    @property
    def obs_api_endpoint(self) -> str:
        return (self.obs_endpoint or f"https://obs.{self.region}.myhuaweicloud.com").rstrip("/")

    @property
    def runtime_is_known(self) -> bool:
        return self.runtime in KNOWN_RUNTIMES


_WAYS = (
    "Give one of: 'access-key' + 'secret-key' (or HUAWEI_CLOUD_ACCESS_KEY_ID + "
    "HUAWEI_CLOUD_SECRET_ACCESS_KEY, with 'security-token' for temporary keys); "
    "'auth-token' (an IAM token); or 'iam-user' + 'iam-password' + 'iam-domain'; "
    "or 'identity-provider' (keyless, with GitHub's OIDC token)."
)


def _listing(names: list[str]) -> str:
    return " and ".join(f"'{n}'" for n in names)


def _choice(value: Any, choices: tuple[str, ...], meaning: str) -> Any:
    choice = value.strip().lower() if isinstance(value, str) else value
    if choice not in choices:
        raise ValueError(f"must be {meaning}")
    return choice


def _check_url(name: str, url: str) -> None:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 -- raises on a malformed port
    except ValueError as err:
        raise ValueError(f"{name}: {url!r} is not a URL") from err
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        raise ValueError(f"{name}: must be an https:// URL (with no user name or password)")
    if name != "depend-link" and (parts.query or parts.fragment or parts.path.strip("/")):
        raise ValueError(f"{name}: must be a bare https://host, with no path or query")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ValueError(
            f"{name}: plain http:// is accepted only for a loopback host (127.0.0.1, ::1, "
            "localhost); use https://"
        )


def _input_name(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return ""
    alias = str(loc[0])
    if alias.startswith("INPUT_"):
        return alias.removeprefix("INPUT_").lower().replace("_", "-")
    for name, variable in ENV_FALLBACKS.items():
        if alias == variable:
            return name
    return alias


def read_inputs() -> Inputs:
    """Read the inputs, or raise ActionError whose message lists every bad input."""
    try:
        return Inputs()
    except SettingsError as err:
        raise ActionError(f"Could not read the inputs: {err.__class__.__name__}") from None
    except ValidationError as err:
        problems = []
        for item in err.errors(include_input=False, include_url=False):
            message = item["msg"].removeprefix("Value error, ")
            name = _input_name(item["loc"])
            if item["type"] == "missing":
                message = "is required"
            prefix, _, rest = message.partition(": ")
            if prefix in _MODEL_CHECKED:
                name, message = prefix, rest
            if name == "credentials":  # the message names the inputs itself
                name, message = "", f"Credentials: {message}"
            problems.append(InputError(name, message) if name else ActionError(message))
        raise InputErrors(problems) from None
