"""`python -m fgs_emulator`: serve the emulator until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType

from .server import Emulator

DEFAULT_AK = "DEMOACCESSKEY0000001"
DEFAULT_SK = "demo-secret-key-0000000000000000000000"
DEFAULT_TOKEN = "demo-token"
DEFAULT_PROJECT_ID = "0123456789abcdef0123456789abcdef"
DEFAULT_REGION = "cn-north-4"


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m fgs_emulator", description="Emulate FunctionGraph's dependency API."
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--ak", default=DEFAULT_AK, help="accepted access key")
    parser.add_argument("--sk", default=DEFAULT_SK, help="secret key of --ak")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="accepted X-Auth-Token")
    parser.add_argument("--project-id", default=DEFAULT_PROJECT_ID)
    parser.add_argument("--region", default=DEFAULT_REGION)
    return parser.parse_args(argv)


def serve(emulator: Emulator) -> None:
    """Serve until SIGTERM or SIGINT, after printing the line callers wait for."""
    stopping = threading.Event()

    def _request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    with emulator:
        # Callers wait for this exact line to learn the URL.
        print(f"fgs-emulator listening on {emulator.url}", flush=True)
        stopping.wait()


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    serve(
        Emulator(
            credentials={args.ak: args.sk},
            tokens={args.token},
            project_id=args.project_id,
            region=args.region,
            port=args.port,
        )
    )


if __name__ == "__main__":
    main()
