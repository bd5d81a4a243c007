"""The choices the action makes or is given, as types: mypy catches a misspelt one."""

from typing import Literal

DependType = Literal["auto", "zip", "obs"]
Api = Literal["version", "legacy"]
IfUnchanged = Literal["skip", "publish"]
# The one complete way to authenticate, decided once from the inputs.
SignInMethod = Literal["aksk", "token", "iam", "keyless"]
# How the package reaches FunctionGraph: inline, uploaded to OBS, or a zip already in OBS.
Route = Literal["zip", "obs", "link"]
# 'dry-run': publish (false), build and check offline (true), or sign in and read (plan).
DryRun = Literal["false", "true", "plan"]
