"""`python -m fgs_emulator`: serve the emulator until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import io
import signal
import threading
import zipfile
from collections.abc import Sequence
from types import FrameType
from typing import Any

from .federation import DEFAULT_CLIENT_ID, IdentityProvider, rules_for_sub
from .server import DEFAULT_OIDC_REQUEST_TOKEN, Emulator

DEFAULT_AK = "DEMOACCESSKEY0000001"
DEFAULT_SK = "demo-secret-key-0000000000000000000000"
DEFAULT_TOKEN = "demo-token"
DEFAULT_PROJECT_ID = "0123456789abcdef0123456789abcdef"
DEFAULT_REGION = "cn-north-4"


DEFAULT_USER = "acme/deployer:demo-password"
DEFAULT_BUCKET = "demo-bucket"
DEFAULT_IDENTITY_PROVIDER = "github-actions"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The emulator's accounts, shared by this command and fgs_emulator_tls."""
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--ak", default=DEFAULT_AK, help="accepted access key")
    parser.add_argument("--sk", default=DEFAULT_SK, help="secret key of --ak")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="accepted X-Auth-Token")
    parser.add_argument("--project-id", default=DEFAULT_PROJECT_ID)
    parser.add_argument("--region", default=DEFAULT_REGION)
    parser.add_argument(
        "--user",
        action="append",
        help=f"IAM user as DOMAIN/NAME:PASSWORD (repeatable; default {DEFAULT_USER})",
    )
    parser.add_argument(
        "--bucket", action="append", help=f"OBS bucket (repeatable; default {DEFAULT_BUCKET})"
    )
    parser.add_argument(
        "--identity-provider",
        default=DEFAULT_IDENTITY_PROVIDER,
        help="IAM OpenID Connect identity provider that trusts the GitHub token stand-in",
    )
    parser.add_argument(
        "--oidc-client-id", default=DEFAULT_CLIENT_ID, help="the provider's client ID (audience)"
    )
    parser.add_argument(
        "--oidc-sub",
        default="repo:.*",
        help="regular expression the token's sub must match (the provider's conversion rule)",
    )
    parser.add_argument(
        "--function",
        action="append",
        default=[],
        help="a function NAME:RUNTIME with a small zip of code, to attach versions to (repeatable)",
    )
    parser.add_argument(
        "--oidc-request-token",
        default=DEFAULT_OIDC_REQUEST_TOKEN,
        help="bearer token the GitHub token stand-in accepts (ACTIONS_ID_TOKEN_REQUEST_TOKEN)",
    )


def emulator_arguments(args: argparse.Namespace) -> dict[str, Any]:
    users = {}
    for spec in args.user or [DEFAULT_USER]:
        account, _, password = spec.partition(":")
        domain, _, name = account.partition("/")
        if not (domain and name and password):
            raise SystemExit(f"--user {spec!r}: expected DOMAIN/NAME:PASSWORD")
        users[(domain, name)] = password
    return {
        "credentials": {args.ak: args.sk},
        "tokens": {args.token},
        "project_id": args.project_id,
        "region": args.region,
        "port": args.port,
        "users": users,
        "buckets": set(args.bucket or [DEFAULT_BUCKET]),
        "identity_providers": {
            args.identity_provider: IdentityProvider(
                client_id=args.oidc_client_id, rules=rules_for_sub(args.oidc_sub)
            )
        },
        "oidc_request_token": args.oidc_request_token,
    }


def _code(name: str) -> bytes:
    """A function's code: a zip with one handler."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", f"def handler(event, context):\n    return {name!r}\n")
    return buffer.getvalue()


def serve(emulator: Emulator, functions: Sequence[str] = ()) -> None:
    """Serve until SIGTERM or SIGINT, after printing the line callers wait for."""
    stopping = threading.Event()

    def _request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    with emulator:
        for spec in functions:
            name, _, runtime = spec.partition(":")
            emulator.functions.add(
                name, runtime=runtime, code_type="zip", code=_code(name), code_filename="index.zip"
            )
        # Callers wait for this exact line to learn the URL.
        print(f"fgs-emulator listening on {emulator.url}", flush=True)
        stopping.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m fgs_emulator", description="Emulate FunctionGraph's dependency API."
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    serve(Emulator(**emulator_arguments(args)), args.function)


if __name__ == "__main__":
    main()
