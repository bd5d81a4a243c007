"""The input rules as plain functions: fast checks of what each accepts, how it normalises
and what it says when it refuses (the end-to-end cases are in test_inputs.py)."""

import pytest
from pydantic import SecretStr

from fgs_dependency.inputs import rules as rule
from fgs_dependency.inputs import runtimes
from fgs_dependency.inputs.combinations import (
    DEFAULT_OIDC_AUDIENCE,
    check_deploying,
    check_publishing,
    check_sending,
    sign_in_method,
)

URN = "urn:fss:cn-north-4:" + "a" * 32 + ":function:default:hello"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("python3.9", "Python3.9"), ("NODE.JS 20.15", "Node.js20.15"), ("c#(.net core 6.0)",
     "C#(.NET Core 6.0)"), ("Python3.13", "Python3.13"), ("nodejs18.15", "Node.js18.15"),
     ("python3.13", "Python3.13"), ("Node.js22.14", "Node.js22.14"), ("Rust1.0", "Rust1.0"),
     ("c#(.net core 8.0)", "C#(.NET Core 8.0)")],
)  # fmt: skip
def test_runtime_takes_the_apis_spelling_and_passes_new_well_formed_ones(
    given: str, expected: str
) -> None:
    assert runtimes.check(given) == expected


@pytest.mark.parametrize(
    ("check", "value", "says"),
    [
        (rule.name, "-x", "must be 1-96 characters"),
        (rule.name, "a" * 97, "must be 1-96 characters"),
        (runtimes.check, "3.9", "is not a FunctionGraph runtime"),
        (runtimes.check, "nodejs18", "did you mean Node.js18.15?"),
        (runtimes.check, "Node.js", "did you mean Node.js20.15, Node.js18.15 or Node.js16.17?"),
        (runtimes.check, "go1", "did you mean Go1.x or Go1.8?"),
        (rule.description, "d" * 513, "is 513 characters long"),
        (rule.region, "North 4", "region id such as 'cn-north-4'"),
        (rule.project_id, "a" * 31, "32 letters and digits"),
        (rule.identity_provider, "a b", "IAM identity provider"),
        (rule.audience, "a b", "client ID"),
        (rule.bucket, "My_Bucket", "OBS bucket name"),
        (rule.object_key, "/abs.zip", "not starting with '/'"),
        (rule.prefix, "a/../b", "relative folder"),
        (rule.iam_name, "u" * 65, "at most 64 characters"),
    ],
)
def test_text_rules_refuse_saying_what_is_accepted(check: object, value: str, says: str) -> None:
    with pytest.raises(ValueError, match=r"^" + "(is|must|line|contains)") as err:
        check(value)  # type: ignore[operator]
    assert says in str(err.value)


def test_secrets_refuse_what_a_header_cannot_carry_without_echoing_it() -> None:
    with pytest.raises(ValueError, match="paste the value again") as err:
        rule.header_secret(SecretStr("abc\u00e9def-secret"))
    assert "secret" not in str(err.value).replace("secret-", "")
    assert rule.access_key(SecretStr("AKIA1")).get_secret_value() == "AKIA1"
    with pytest.raises(ValueError, match="letters and digits only"):
        rule.access_key(SecretStr("AK-1"))


@pytest.mark.parametrize(
    ("value", "expected"), [("true", True), (" TRUE ", True), ("False", False)]
)
def test_boolean_reads_the_yaml_core_schema(value: str, expected: bool) -> None:
    assert rule.boolean(value) is expected


@pytest.mark.parametrize("value", ["yes", "1", "on", ""])
def test_boolean_refuses_other_spellings(value: str) -> None:
    with pytest.raises(ValueError, match="must be true or false"):
        rule.boolean(value)


def test_numbers_and_their_bounds() -> None:
    assert rule.timeout("1") == 1.0 and rule.timeout("3600") == 3600.0
    for bad in ("0.5", "3601", "nan", "soon"):
        with pytest.raises(ValueError, match="from 1 to 3600"):
            rule.timeout(bad)
    assert rule.retries(" 10 ") == 10 and rule.retries("0") == 0
    with pytest.raises(ValueError, match=r"whole number from 0 to 10$"):
        rule.retries("11")
    assert rule.keep_versions(None) is None and rule.keep_versions("1000") == 1000
    with pytest.raises(ValueError, match="from 1 to 1000: how many"):
        rule.keep_versions("0")


def test_choices_are_case_blind_and_say_each_meaning() -> None:
    assert rule.depend_type(" OBS ") == "obs"
    assert rule.api("Legacy") == "legacy"
    assert rule.if_unchanged("PUBLISH") == "publish"
    with pytest.raises(ValueError, match=r"^must be 'skip' \(reuse"):
        rule.if_unchanged("always")
    with pytest.raises(ValueError, match=r"^must be auto \(inline"):
        rule.depend_type("s3")


def test_lists_split_on_lines_and_commas_without_blanks_or_repeats() -> None:
    assert rule.items("a, b\n\nb,c") == ("a", "b", "c")
    assert rule.lines(" *.pyc \n\n tests/ ") == ("*.pyc", "tests/")
    assert rule.prefix("/python/lib/") == "python/lib"


@pytest.mark.parametrize(
    ("name", "url", "says"),
    [
        ("endpoint", "ftp://host", "must be an https:// URL"),
        ("endpoint", "https://user:pw@host", "must be an https:// URL"),
        ("endpoint", "https://host/path", "bare https://host"),
        ("obs-endpoint", "http://example.com", "only for a loopback host"),
        ("iam-endpoint", "https://host:port", "is not a URL"),
    ],
)
def test_urls_refused_name_their_input(name: str, url: str, says: str) -> None:
    with pytest.raises(ValueError, match=f"^{name}: ") as err:
        rule.url(name, url)
    assert says in str(err.value)


def test_urls_accepted() -> None:
    rule.url("endpoint", "http://127.0.0.1:8080")
    rule.url("depend-link", "https://b.obs.cn-north-4.myhuaweicloud.com/a/b.zip?x=1")


NONE = dict.fromkeys(
    ("access-key", "secret-key", "security-token", "auth-token", "iam-user", "iam-password",
     "iam-domain", "identity-provider"), "",
)  # fmt: skip


@pytest.mark.parametrize(
    ("given", "method"),
    [
        ({"access-key": "a", "secret-key": "s"}, "aksk"),
        ({"access-key": "a", "secret-key": "s", "security-token": "t"}, "aksk"),
        ({"auth-token": "t"}, "token"),
        ({"iam-user": "u", "iam-password": "p", "iam-domain": "d"}, "iam"),
        ({"identity-provider": "github"}, "keyless"),
    ],
)
def test_sign_in_method_is_the_one_complete_way(given: dict[str, str], method: str) -> None:
    assert sign_in_method({**NONE, **given}) == method


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({}, "exactly one way to sign in is needed, none was given"),
        ({"auth-token": "t", "identity-provider": "g"}, "'token' and 'keyless' were all given"),
        ({"iam-user": "u"}, "'iam-user' given without 'iam-password' and 'iam-domain'"),
        ({"auth-token": "t", "security-token": "x"}, "'security-token' goes with a temporary"),
    ],
)
def test_sign_in_method_refusals_list_the_ways(given: dict[str, str], says: str) -> None:
    with pytest.raises(ValueError, match=r"^credentials: ") as err:
        sign_in_method({**NONE, **given})
    assert says in str(err.value)
    assert str(err.value).endswith("(keyless, with GitHub's OIDC token).")


def test_publishing_needs_the_region_and_a_custom_audience_needs_keyless() -> None:
    keys = {**NONE, "access-key": "a", "secret-key": "s"}
    with pytest.raises(ValueError, match=r"^region: publishing needs the region"):
        check_publishing(region="", credentials=keys, oidc_audience=DEFAULT_OIDC_AUDIENCE)
    with pytest.raises(ValueError, match=r"^oidc-audience: is used only for keyless"):
        check_publishing(region="cn-north-4", credentials=keys, oidc_audience="mine")
    assert (
        check_publishing(region="cn-north-4", credentials=keys, oidc_audience=DEFAULT_OIDC_AUDIENCE)
        == "aksk"
    )


def test_sending_rules() -> None:
    with pytest.raises(ValueError, match=r"^depend-type: 'zip' cannot go with 'depend-link'"):
        check_sending(depend_link="https://x", depend_type="zip", obs_bucket="")
    with pytest.raises(ValueError, match=r"^obs-bucket: depend-type 'obs' needs the bucket"):
        check_sending(depend_link="", depend_type="obs", obs_bucket="")
    check_sending(depend_link="https://x", depend_type="obs", obs_bucket="")


def test_deploying_rules() -> None:
    with pytest.raises(ValueError, match=r"^keep-versions: the legacy API has no"):
        check_deploying(legacy_api=True, functions=(), keep_versions=3, region="", project_id="")
    with pytest.raises(ValueError, match=r"^functions: .* is in region 'cn-north-4', not in"):
        check_deploying(
            legacy_api=False, functions=(URN,), keep_versions=None, region="ap-southeast-1",
            project_id="",
        )  # fmt: skip
    with pytest.raises(ValueError, match=r"^functions: .* not in 'project-id'"):
        check_deploying(
            legacy_api=False, functions=(URN,), keep_versions=None, region="", project_id="b" * 32
        )
    check_deploying(
        legacy_api=False, functions=(URN, "hello"), keep_versions=None, region="cn-north-4",
        project_id="a" * 32,
    )  # fmt: skip
