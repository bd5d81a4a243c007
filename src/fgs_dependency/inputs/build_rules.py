"""The rules for the inputs of a 'requirements' build: the platform uv targets and the
package index URLs (whose credentials must never be shown)."""

from urllib.parse import unquote, urlsplit

from pydantic import SecretStr

# The Linux targets of uv's --python-platform: FunctionGraph runs glibc Linux, on x86_64 (and
# arm64 where offered). manylinux2014 (glibc 2.17) is the default: the runtimes' glibc is not
# published, and every glibc since 2.17 runs those wheels.
DEFAULT_PLATFORM = "x86_64-manylinux2014"
PLATFORMS = tuple(
    f"{arch}-{glibc}"
    for arch in ("x86_64", "aarch64")
    for glibc in (
        "manylinux2014",
        *(f"manylinux_2_{minor}" for minor in (17, 28, *range(31, 41))),
    )
)


def platform(value: str) -> str:
    if value not in PLATFORMS:
        raise ValueError(
            "must be a Linux target in uv's --python-platform vocabulary: "
            "x86_64-manylinux2014 (the default), aarch64-manylinux2014, or "
            "x86_64-manylinux_2_N / aarch64-manylinux_2_N for N = 17, 28, 31 to 40 (the newest "
            "glibc the function's runtime has)"
        )
    return value


def index_urls(value: SecretStr) -> SecretStr:
    """One package index URL a line (http or https); its credentials stay out of the message."""
    for line in value.get_secret_value().split():
        try:
            parts = urlsplit(line)
            fine = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            fine = False
        if not fine:
            raise ValueError(
                "must be the URL of a package index (PEP 503 'simple' API), such as "
                "https://mirrors.example.com/pypi/simple, one a line"
            )
    return value


def url_credentials(url: str) -> list[str]:
    """The secrets an index URL carries: the password and user:password, as written and
    decoded (uv and servers may show either)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found: list[str] = []
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        found += [userinfo, unquote(userinfo)]
        user, _, password = userinfo.partition(":")
        if password:
            found += [password, unquote(password)]
        elif user:  # a token alone, as some indexes take it
            found += [user, unquote(user)]
    return list(dict.fromkeys(found))
