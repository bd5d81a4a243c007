"""Reading the action's inputs from the environment the runner gives.

The runner passes each `with:` value as `INPUT_<NAME>` (upper case, hyphens kept),
untrimmed, and an empty string for every declared input left unset. The rules each input
follows are in rules.py (and build_rules.py), those across inputs in combinations.py.
"""

import contextlib
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    AliasChoices,
    BeforeValidator,
    Field,
    PrivateAttr,
    SecretStr,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ..errors import ActionError, InputConflict
from . import build_rules, provenance, runtimes
from . import rules as rule
from .choices import Api, DependType, DryRun, IfUnchanged, SignInMethod
from .combinations import (
    DEFAULT_OIDC_AUDIENCE,
    check_deploying,
    check_publishing,
    check_requirements,
    check_sending,
    check_signing_in,
    check_source,
)

# Where huaweicloud/auth-action (and users' own `env:`) put what an empty input falls back to.
ENV_FALLBACKS = {
    "region": "HUAWEI_CLOUD_REGION",
    "project-id": "HUAWEI_CLOUD_PROJECT_ID",
    "access-key": "HUAWEI_CLOUD_ACCESS_KEY_ID",
    "secret-key": "HUAWEI_CLOUD_SECRET_ACCESS_KEY",
    "security-token": "HUAWEI_CLOUD_SECURITY_TOKEN",
}


def _in(name: str, default: Any = ...) -> Any:
    """The field of input `name`, with `default` when it is not required."""
    aliases = [f"INPUT_{name.upper()}"]
    if name in ENV_FALLBACKS:
        aliases.append(ENV_FALLBACKS[name])
    return Field(default, validation_alias=AliasChoices(*aliases))


# Trimmed, as @actions/core trims inputs; users' YAML often leaves a trailing newline.
Text = Annotated[str, BeforeValidator(rule.trim)]
Secret = Annotated[SecretStr, BeforeValidator(rule.trim)]


class Inputs(BaseSettings):
    """Everything the run needs from its environment, validated and normalised."""

    model_config = SettingsConfigDict(
        case_sensitive=True,
        env_ignore_empty=True,
        hide_input_in_errors=True,
        frozen=True,
        extra="ignore",
    )

    name: Annotated[Text, AfterValidator(rule.name)] = _in("name")
    runtime: Annotated[Text, AfterValidator(runtimes.check)] = _in("runtime")
    path: Text = _in("path", "")
    description: Annotated[Text, AfterValidator(rule.description)] = _in("description", "")
    region: Annotated[Text, AfterValidator(rule.region)] = _in("region", "")
    project_id: Annotated[Text, AfterValidator(rule.project_id)] = _in("project-id", "")
    access_key: Annotated[Secret, AfterValidator(rule.access_key)] = _in(
        "access-key", SecretStr("")
    )
    secret_key: Annotated[Secret, AfterValidator(rule.header_secret)] = _in(
        "secret-key", SecretStr("")
    )
    security_token: Annotated[Secret, AfterValidator(rule.header_secret)] = _in(
        "security-token", SecretStr("")
    )
    auth_token: Annotated[Secret, AfterValidator(rule.header_secret)] = _in(
        "auth-token", SecretStr("")
    )
    iam_user: Annotated[Text, AfterValidator(rule.iam_name)] = _in("iam-user", "")
    iam_password: Annotated[Secret, AfterValidator(rule.password)] = _in(
        "iam-password", SecretStr("")
    )
    iam_domain: Annotated[Text, AfterValidator(rule.iam_name)] = _in("iam-domain", "")
    iam_endpoint: Text = _in("iam-endpoint", "")
    identity_provider: Annotated[Text, AfterValidator(rule.identity_provider)] = _in(
        "identity-provider", ""
    )
    oidc_audience: Annotated[Text, AfterValidator(rule.audience)] = _in(
        "oidc-audience", DEFAULT_OIDC_AUDIENCE
    )
    depend_type: Annotated[DependType, BeforeValidator(rule.depend_type)] = _in(
        "depend-type", "auto"
    )
    obs_bucket: Annotated[Text, AfterValidator(rule.bucket)] = _in("obs-bucket", "")
    obs_key: Annotated[Text, AfterValidator(rule.object_key)] = _in("obs-key", "")
    obs_endpoint: Text = _in("obs-endpoint", "")
    depend_link: Text = _in("depend-link", "")
    api: Annotated[Api, BeforeValidator(rule.api)] = _in("api", "version")
    endpoint: Text = _in("endpoint", "")
    exclude: Annotated[
        tuple[str, ...], NoDecode, BeforeValidator(rule.lines), AfterValidator(rule.exclude)
    ] = _in("exclude", ())
    prefix: Annotated[Text, AfterValidator(rule.prefix)] = _in("prefix", "")
    allow_mismatched_modules: Annotated[bool, BeforeValidator(rule.boolean)] = _in(
        "allow-mismatched-modules", False
    )
    dry_run_mode: Annotated[DryRun, BeforeValidator(rule.dry_run)] = _in("dry-run", "false")
    timeout: Annotated[float, BeforeValidator(rule.timeout)] = _in("timeout", 60.0)
    if_unchanged: Annotated[IfUnchanged, BeforeValidator(rule.if_unchanged)] = _in(
        "if-unchanged", "skip"
    )
    retries: Annotated[int, BeforeValidator(rule.retries)] = _in("retries", 3)
    functions: Annotated[
        tuple[str, ...], NoDecode, BeforeValidator(rule.items), AfterValidator(rule.functions)
    ] = _in("functions", ())
    keep_versions: Annotated[int | None, BeforeValidator(rule.keep_versions)] = _in(
        "keep-versions", None
    )
    requirements: Text = _in("requirements", "")
    platform: Annotated[Text, AfterValidator(build_rules.platform)] = _in(
        "platform", build_rules.DEFAULT_PLATFORM
    )
    # Secrets: an index URL may carry a user and password (or a token).
    index_url: Annotated[Secret, AfterValidator(build_rules.index_urls)] = _in(
        "index-url", SecretStr("")
    )
    extra_index_url: Annotated[Secret, AfterValidator(build_rules.index_urls)] = _in(
        "extra-index-url", SecretStr("")
    )
    allow_source: Annotated[bool, BeforeValidator(rule.boolean)] = _in("allow-source", False)

    # The runner's own variables, not inputs.
    workspace: Path = Field(Path(), validation_alias="GITHUB_WORKSPACE")
    runner_temp: Path | None = Field(None, validation_alias="RUNNER_TEMP")
    source_date_epoch: Annotated[int | None, BeforeValidator(rule.epoch)] = Field(
        None, validation_alias="SOURCE_DATE_EPOCH"
    )
    # Which build this is: the description of a version when 'description' is empty.
    server_url: str = Field("", validation_alias="GITHUB_SERVER_URL")
    repository: str = Field("", validation_alias="GITHUB_REPOSITORY")
    run_id: str = Field("", validation_alias="GITHUB_RUN_ID")
    sha: str = Field("", validation_alias="GITHUB_SHA")
    ref: str = Field("", validation_alias="GITHUB_REF")

    # Decided once, when the inputs are read; None for a dry run given no credentials.
    _sign_in: SignInMethod | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _check_together(self) -> Self:
        check_deploying(
            legacy_api=self.legacy_api,
            functions=self.functions,
            keep_versions=self.keep_versions,
            region=self.region,
            project_id=self.project_id,
        )
        for name, url in (
            ("endpoint", self.endpoint),
            ("iam-endpoint", self.iam_endpoint),
            ("obs-endpoint", self.obs_endpoint),
            ("depend-link", self.depend_link),
        ):
            if url:
                rule.url(name, url)
        check_source(path=self.path, requirements=self.requirements, depend_link=self.depend_link)
        check_sending(
            depend_link=self.depend_link, depend_type=self.depend_type, obs_bucket=self.obs_bucket
        )
        # 'platform' also names the processor the package is checked against, so it is
        # welcome without 'requirements'.
        given = {"index_url", "extra_index_url"} & self.model_fields_set
        check_requirements(
            requirements=self.requirements,
            runtime=self.runtime,
            python_version=self.python_version,
            depend_link=self.depend_link,
            requirement_inputs=[
                *sorted(name.replace("_", "-") for name in given),
                *(["allow-source"] if self.allow_source else []),
            ],
        )
        credentials = self._credentials()
        if self.dry_run_mode != "true":
            self._sign_in = check_publishing(
                region=self.region, credentials=credentials, oidc_audience=self.oidc_audience
            )
        else:
            # Offline, but the sign-in kind decides the route. Credentials a pull request from
            # a fork gets only in part (its secrets are empty) leave the kind unknown.
            with contextlib.suppress(InputConflict):
                self._sign_in = check_signing_in(
                    credentials=credentials, oidc_audience=self.oidc_audience
                )
        return self

    def _credentials(self) -> dict[str, str]:
        return {
            "access-key": self.access_key.get_secret_value(),
            "secret-key": self.secret_key.get_secret_value(),
            "security-token": self.security_token.get_secret_value(),
            "auth-token": self.auth_token.get_secret_value(),
            "iam-user": self.iam_user,
            "iam-password": self.iam_password.get_secret_value(),
            "iam-domain": self.iam_domain,
            "identity-provider": self.identity_provider,
        }

    @property
    def sign_in(self) -> SignInMethod:
        """The one complete way to authenticate (a run that publishes always has one)."""
        if self._sign_in is None:
            raise ActionError("A dry run does not sign in")
        return self._sign_in

    @property
    def sign_in_given(self) -> SignInMethod | None:
        """The way to authenticate, or None in a dry run not given one complete way (a pull
        request from a fork gets no secrets)."""
        return self._sign_in

    @property
    def dry_run(self) -> bool:
        """Nothing is published: 'dry-run' is true or plan."""
        return self.dry_run_mode != "false"

    @property
    def plan(self) -> bool:
        """'dry-run: plan': sign in and read what a run would do, writing nothing."""
        return self.dry_run_mode == "plan"

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
    def legacy_api(self) -> bool:
        return self.api == "legacy"

    @property
    def version_description(self) -> str:
        """What the new version's description says: 'description', or where it came from."""
        build = provenance.Build(self.server_url, self.repository, self.run_id, self.sha, self.ref)
        return self.description or provenance.describe(build)

    @property
    def runtime_is_known(self) -> bool:
        return runtimes.is_known(self.runtime)

    @property
    def python_version(self) -> str | None:
        """The Python that 'requirements' is installed for (None: not a targetable runtime)."""
        return runtimes.uv_python(self.runtime)

    @property
    def path_given(self) -> bool:
        """'path' set in the workflow: with 'requirements', its files go beside the installed
        packages."""
        return bool(self.path)

    @property
    def platform_given(self) -> bool:
        """'platform' set in the workflow: its glibc level is then a limit, not a guess."""
        return "platform" in self.model_fields_set

    @property
    def extra_index_urls(self) -> tuple[str, ...]:
        return tuple(self.extra_index_url.get_secret_value().split())

    @property
    def index_secrets(self) -> list[str]:
        """What the index URLs carry that must never be shown: masked, and starred out of
        uv's messages."""
        urls = [self.index_url.get_secret_value(), *self.extra_index_urls]
        return [secret for url in urls for secret in build_rules.url_credentials(url)]
