"""Emulator of Huawei Cloud FunctionGraph's dependency API (v2), for tests and demos.

Checks run in this order, each with its reply:

- framing: Transfer-Encoding, or no Content-Length on POST/PUT/PATCH -> 411 FSS.0411;
  a malformed Content-Length -> 400 FSS.0400 (the end of the request is unknown otherwise)
- authentication, all 401 APIGW.0301 "Incorrect IAM authentication information: ..."
  (the real gateway uses that one code; the message tells the cases apart): missing
  credentials, bad token, malformed Authorization, unknown AK, host or x-sdk-date not
  signed, X-Project-Id sent unsigned, X-Sdk-Date over 15 minutes off, a signed
  X-Sdk-Content-Sha256 that does not match the body, wrong signature
- body size, decided from Content-Length before reading: over 12 MiB with AK/SK, over
  60 MiB with a token -> 413 FSS.0413
- project: project id in the path or X-Project-Id other than the configured one
  -> 403 FSS.0403
- routing: unknown path or method -> 404 FSS.0404; unknown dependency or version
  -> 404 FSS.1056; non-numeric version, bad marker/maxitems/dependency_type -> 400 FSS.0400
- create body: non-JSON Content-Type, bad JSON, unknown or missing fields, bad name,
  long description, empty zip, over 30,000 entries, entry ending in "~" -> 400 FSS.0400;
  depend_type -> FSS.1032; runtime -> FSS.1005; depend_file not padded standard base64
  or not a zip -> FSS.1013; zip over 40 MiB -> FSS.1023; depend_link not https -> FSS.1010

- functions (functions.py; set up with Emulator.functions): list, config, code, update code,
  published versions; code kept in OBS with `digest` = SHA-512; an update without
  func_code.file deploys the default code, one without depend_version_list clears it;
  deleting a dependency version in use -> 412 FSS.1033; the last version takes its
  dependency with it; `functions.wrong_lists` makes updates store a list other than sent;
  `functions.undescribed` leaves `dependencies[]` out of a function's replies

Several actions may run against one emulator at once: dependencies and functions share one
state lock. Other clients acting between the action's calls: Emulator.after(operation,
change) runs `change` right after a call is handled, before its reply is sent, e.g.
`functions.release(urn, code)` (a release lands), `functions.attach_other(urn, id)` (another
workflow attaches its dependency) or `delete_version(name, number)` (another run's
retention); `backdate(name, seconds)` ages the versions of a dependency.

Keyless sign-in: `/_github/idtoken` stands in for the runner's ID token endpoint
(github_oidc.py), and IAM's `POST /v3.0/OS-AUTH/id-token/tokens` checks those tokens against
the identity providers given to Emulator (federation.py).

Tests can schedule faults for the next calls of an operation with Emulator.inject
(see faults.py): an error status with Retry-After, a reset before the body is read, a
commit followed by a dropped connection, a reply slower than the client's timeout, or
a hostile reply (Hostile: garbage, HTML, a huge body, mangled fields, a redirect, an
error message that echoes the request's credentials).
"""

from .faults import (
    HOSTILE_KINDS,
    INJECTED,
    INJECTION_KINDS,
    CommitThenDrop,
    Hostile,
    Reset,
    SlowReply,
    Status,
)
from .federation import IdentityProvider, rules_for_sub
from .recording import RecordedRequest
from .server import Emulator

__all__ = [
    "HOSTILE_KINDS",
    "INJECTED",
    "INJECTION_KINDS",
    "CommitThenDrop",
    "Emulator",
    "Hostile",
    "IdentityProvider",
    "RecordedRequest",
    "Reset",
    "SlowReply",
    "Status",
    "rules_for_sub",
]
