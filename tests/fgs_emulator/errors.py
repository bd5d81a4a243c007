"""Error replies shaped like FunctionGraph's (FSS.*) and its API gateway's (APIGW.*)."""

from __future__ import annotations


class ApiError(Exception):
    """An error reply; raising it anywhere in request handling ends the request."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def body(self, request_id: str) -> dict[str, str]:
        payload = {"error_code": self.code, "error_msg": self.message}
        # The real gateway repeats the request id in its own (APIGW) error bodies only.
        if self.code.startswith("APIGW."):
            payload["request_id"] = request_id
        return payload


def invalid(message: str) -> ApiError:
    return ApiError(400, "FSS.0400", message)


def unauthorized(detail: str) -> ApiError:
    return ApiError(401, "APIGW.0301", f"Incorrect IAM authentication information: {detail}")


def forbidden_project(message: str) -> ApiError:
    return ApiError(403, "FSS.0403", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "FSS.0404", message)


def dependency_not_found(message: str) -> ApiError:
    return ApiError(404, "FSS.1056", message)


def too_large(limit: int) -> ApiError:
    return ApiError(413, "FSS.0413", f"request body too large: the limit is {limit} bytes")
