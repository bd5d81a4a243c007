"""Talking to Huawei Cloud: the HTTP transport and its retries, request signing, credentials
and sign-in (AK/SK, token, IAM password, keyless), and one client module per API used
(FunctionGraph dependencies and functions, IAM, OBS).

May import: errors, github, inputs. Knows nothing of packaging or of the deploy steps.
"""
