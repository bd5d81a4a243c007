"""Stage 2, packaging: the folder to publish becomes a deterministic zip, or a ready zip is
checked; the log shows what it holds.

Deterministic means the same files give the same bytes on any machine: entries sorted
by name, one fixed timestamp, modes reduced to 0644/0755, no extra fields. The zip is
streamed to disk and its MD5 (FunctionGraph's `etag`) computed on the way.

May import: errors, github, inputs. Nothing here talks to Huawei Cloud.
These names are the stage's interface to the entry point and the tests.
"""

from .folder import build
from .log import log_package
from .package import MAX_FILES, Package
from .readyzip import inspect_ready_zip
from .tree import collect, locate_source
from .zipwrite import dos_timestamp, write_zip

__all__ = [
    "MAX_FILES",
    "Package",
    "build",
    "collect",
    "dos_timestamp",
    "inspect_ready_zip",
    "locate_source",
    "log_package",
    "write_zip",
]
