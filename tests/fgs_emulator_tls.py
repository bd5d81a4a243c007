"""The FunctionGraph emulator over HTTPS, with a throwaway CA made by trustme.

The action refuses plain http:// for any host but loopback, and the self-test workflow runs
the action in a Docker container that reaches the runner over the Docker bridge, not
loopback: so the emulator speaks TLS there, with a certificate for the names and addresses
given, signed by a CA that exists only for this run. The CA certificate is written to a
file that the caller passes to the action through REQUESTS_CA_BUNDLE or SSL_CERT_FILE.

In tests: `with TlsEmulator(...) as emu: emu.write_ca_bundle(path); emu.url`.
As a program (the self-test workflow):

    PYTHONPATH=tests python -m fgs_emulator_tls --ca-bundle ca.pem \
        [--host 127.0.0.1] [--port 0] [--name 172.17.0.1 ...] [--url-host HOST]

prints `fgs-emulator listening on https://HOST:PORT` once it serves, then runs until
SIGTERM or SIGINT. tests/fgs_emulator is used as it is: TLS is added by wrapping each
accepted connection in the worker thread, so a client that never finishes its handshake
holds up only its own thread.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import socket
import ssl
from collections.abc import Iterable, Mapping, Sequence
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme
from fgs_emulator import Emulator
from fgs_emulator.__main__ import add_arguments, emulator_arguments, serve
from fgs_emulator.server import _Handler, _Server

DEFAULT_NAMES = ("127.0.0.1", "localhost", "::1")
_HANDSHAKE_TIMEOUT_SECONDS = 10.0


class _TlsServer(_Server):
    """The emulator's server on any address, each connection wrapped in TLS."""

    def __init__(self, host: str, port: int, emulator: Emulator, context: ssl.SSLContext) -> None:
        self.emulator = emulator
        self.context = context
        if ":" in host:
            self.address_family = socket.AF_INET6
        # _Server.__init__ binds to 127.0.0.1 only: bind where we were asked instead.
        ThreadingHTTPServer.__init__(self, (host, port), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(_HANDSHAKE_TIMEOUT_SECONDS)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            # A client that refused the certificate (one without the CA): nothing to serve.
            request.close()
            return
        tls.settimeout(None)
        try:
            super().finish_request(tls, client_address)
        finally:
            # wrap_socket took over the descriptor, so shutdown_request() on the original
            # socket object is a no-op: close the TLS socket here.
            with contextlib.suppress(OSError):
                tls.shutdown(socket.SHUT_WR)
            tls.close()


class TlsEmulator(Emulator):
    """The emulator, served over HTTPS with a certificate from a throwaway CA."""

    def __init__(
        self,
        credentials: Mapping[str, str],
        tokens: Iterable[str],
        project_id: str,
        region: str,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        names: Sequence[str] = DEFAULT_NAMES,
        url_host: str | None = None,
        **more: Any,
    ) -> None:
        super().__init__(credentials, tokens, project_id, region, port, **more)
        if not names:
            raise ValueError("the certificate needs at least one name")
        self.host = host
        self.url_host = url_host or names[0]
        self.ca = trustme.CA(organization_name="fgs-emulator throwaway CA")
        self.certificate = self.ca.issue_cert(*names)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.certificate.configure_cert(self.context)

    def _make_server(self) -> _Server:
        return _TlsServer(self.host, self._requested_port, self, self.context)

    def start(self) -> TlsEmulator:
        super().start()
        return self

    def __enter__(self) -> TlsEmulator:
        return self.start()

    @property
    def url(self) -> str:
        host = self.url_host
        try:
            if ipaddress.ip_address(host).version == 6:
                host = f"[{host}]"
        except ValueError:
            pass
        return f"https://{host}:{self.port}"

    def write_ca_bundle(self, path: Path) -> Path:
        """Write the CA certificate (PEM) that verifies this emulator; return `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.ca.cert_pem.write_to_path(str(path))
        return path


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m fgs_emulator_tls",
        description="Serve the FunctionGraph emulator over HTTPS with a throwaway CA.",
    )
    parser.add_argument("--ca-bundle", required=True, type=Path, help="where to write the CA")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--name",
        action="append",
        default=[],
        help="host name or address the certificate covers (repeatable); "
        "127.0.0.1, localhost and ::1 are always included",
    )
    parser.add_argument("--url-host", help="host to print in the URL (default: the first name)")
    add_arguments(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    names = list(dict.fromkeys([*args.name, *DEFAULT_NAMES]))
    emulator = TlsEmulator(
        **emulator_arguments(args), host=args.host, names=names, url_host=args.url_host
    )
    emulator.write_ca_bundle(args.ca_bundle)
    serve(emulator)


if __name__ == "__main__":
    main()
