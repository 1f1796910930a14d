"""Graph's response envelope: request ids, error bodies, the Response value handlers return."""

from tests.emulator.util import dumps, inner_date, new_guid

GRAPH_ROOT = "https://graph.microsoft.com"   # used in @odata.context, as Graph writes it


class Response:
    """What a handler answers. `body` is a JSON-able value, bytes, or None (no body)."""

    def __init__(self, status, body=None, headers=None, content_type="application/json"):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.content_type = content_type

    def payload(self):
        if self.body is None:
            return b""
        if isinstance(self.body, (bytes, bytearray)):
            return bytes(self.body)
        return dumps(self.body)


class Ids:
    """request-id / client-request-id of one request (or one $batch item)."""

    def __init__(self, client_request_id=None):
        self.request_id = new_guid()
        self.client_request_id = client_request_id or self.request_id


class GraphError(Exception):
    """Raised by handlers; becomes Graph's error body (graph-sync-api.md §8.2)."""

    def __init__(self, status, code, message, headers=None, inner=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.inner = inner or {}


# Graph's code and message for a bare status (fault rules, unknown routes)
DEFAULT_ERRORS = {
    400: ("BadRequest", "Bad request."),
    401: ("InvalidAuthenticationToken", "Access token validation failure."),
    403: ("Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
    404: ("Request_ResourceNotFound", "Resource does not exist or one of its queried reference-property objects are not present."),
    405: ("Request_BadRequest", "Specified HTTP method is not allowed for the request target."),
    409: ("Conflict", "The request conflicts with the current state of the resource."),
    412: ("PreconditionFailed", "The precondition given in the request evaluated to false."),
    413: ("RequestEntityTooLarge", "The request is larger than the server is willing to process."),
    415: ("UnsupportedMediaType", "The content type of the request is not supported."),
    424: ("FailedDependency", "The request failed because a request it depends on failed."),
    429: ("TooManyRequests", "Please retry again later."),
    500: ("generalException", "An unspecified error has occurred."),
    501: ("notSupported", "The requested feature isn't implemented."),
    502: ("BadGateway", "The server received an invalid response from an upstream server."),
    503: ("serviceNotAvailable", "The service is temporarily unavailable. Please retry later."),
    504: ("GatewayTimeout", "The server did not receive a timely response from an upstream server."),
}


def default_error(status):
    return DEFAULT_ERRORS.get(status, ("UnknownError", f"The request failed with status {status}."))


def error_body(ids, code, message, inner_extra=None):
    inner = {"date": inner_date(), "request-id": ids.request_id, "client-request-id": ids.client_request_id}
    if inner_extra:
        inner.update(inner_extra)
    return {"error": {"code": code, "message": message, "innerError": inner}}


def throttle_inner(status):
    """The extra innerError members Graph sends with 429 (graph-sync-api.md §8.4)."""
    return {"code": str(status), "message": "Please retry after", "status": str(status)}


def error_response(ids, status, code=None, message=None, headers=None, inner=None):
    dcode, dmsg = default_error(status)
    code = code or dcode
    message = message if message is not None else dmsg
    if status == 429 and not inner:
        inner = throttle_inner(status)
    return Response(status, error_body(ids, code, message, inner), headers)


def from_exception(ids, exc):
    return error_response(ids, exc.status, exc.code, exc.message, exc.headers, exc.inner)


def not_found(resource_id):
    return GraphError(404, "Request_ResourceNotFound",
                      f"Resource '{resource_id}' does not exist or one of its queried reference-property "
                      "objects are not present.")


def bad_request(message, code="BadRequest"):
    return GraphError(400, code, message)


def method_not_allowed():
    code, msg = DEFAULT_ERRORS[405]
    return GraphError(405, code, msg)


def segment_not_found(segment):
    return GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")


def context_url(version, fragment):
    return f"{GRAPH_ROOT}/{version}/$metadata#{fragment}"
