"""Ferry's Lambda runtime loop for Python 3 (standard library only).

Speaks the Lambda Runtime API (2018-06-01) at $AWS_LAMBDA_RUNTIME_API: imports the handler named by
$_HANDLER from $LAMBDA_TASK_ROOT once, then fetches events one at a time, calls the handler and posts
its result or error. Any failure to talk to the Runtime API is fatal: the process exits with code 1
and Ferry replaces the instance.

Stem mode (FERRY_STEM_CELL=1): started before any function is known, the loop first asks Ferry which
function it becomes (GET .../ferry/identity), takes that function's whole environment, and then goes on
exactly as above.

Started by Ferry as: python3 -u /opt/ferry/python/bootstrap.py
"""

import importlib
import json
import logging
import os
import sys
import time
import traceback

import ferry_aws_endpoints
from ferry_http_connection import HttpConnection, HttpConnectionError
from types import SimpleNamespace
from urllib.parse import quote

API_VERSION = "2018-06-01"


class InitError(Exception):
    """The handler could not be loaded; carries the Lambda error type, e.g. Runtime.HandlerNotFound."""

    def __init__(self, error_type, message, stack_trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.stack_trace = stack_trace or []


class RuntimeApiError(Exception):
    """The Runtime API could not be reached or answered unexpectedly; fatal."""


class InstanceStopped(Exception):
    """Ferry answered 410: the instance is being stopped; the loop ends quietly (exit code 0)."""


_NEXT_ROUTE = "/runtime/invocation/next"
# Ferry's extension: a posted outcome with this header is answered with the next invocation (one round trip each).
_FERRY_NEXT = {"Content-Type": "application/json", "Lambda-Runtime-Ferry-Next": "1"}
_PLAIN_POST = {"Content-Type": "application/json"}


def _outcome_headers(next_invocation, silent, extra=None):
    """Headers of a posted outcome: whether the answer should be the next invocation, the streams that got no output
    marker (Lambda-Runtime-Ferry-Silent, when `silent` is set) and `extra`. Shared dicts are never changed."""
    if silent is None and not extra:
        return _FERRY_NEXT if next_invocation else _PLAIN_POST
    headers = dict(_FERRY_NEXT if next_invocation else _PLAIN_POST)
    if silent is not None:
        headers["Lambda-Runtime-Ferry-Silent"] = silent
    headers.update(extra or {})
    return headers


# -------------------------------------------------------------------------------------------------
# Runtime API client
# -------------------------------------------------------------------------------------------------


class RuntimeApiClient:
    """
    One persistent HTTP/1.1 connection to the Runtime API: to host:port, or, when Ferry gives one, to the UNIX socket
    that the sandbox's 127.0.0.1:9001 forwards to (the same API without the forwarder's two extra hops).
    """

    def __init__(self, address, socket_path=None):
        host_port, _, prefix = address.partition("/")
        host, _, port = host_port.rpartition(":")
        if not host or not port.isdigit():
            raise RuntimeApiError(
                f"AWS_LAMBDA_RUNTIME_API is '{address}', expected host:port with an optional /path prefix"
            )
        self._connection = HttpConnection(
            host=host.strip("[]"), port=int(port), socket_path=socket_path or None
        )
        self._base_path = (f"/{prefix}" if prefix else "") + f"/{API_VERSION}"

    def next_invocation(self):
        status, headers, body = self._request("GET", _NEXT_ROUTE)
        if status == 410:
            raise InstanceStopped()
        if status != 200:
            raise RuntimeApiError(f"GET {_NEXT_ROUTE} answered {status}: {body[:500]!r}")
        return _invocation_from(headers, body, f"GET {_NEXT_ROUTE}")

    def identity(self):
        """Stem mode: waits until Ferry gives this process a function; its environment, or None when stopped instead."""
        status, _, body = self._request("GET", "/ferry/identity")
        if status == 410:
            return None
        if status != 200:
            raise RuntimeApiError(f"GET /ferry/identity answered {status}: {body[:500]!r}")
        try:
            environment = json.loads(body).get("environment")
        except (ValueError, AttributeError) as err:
            raise RuntimeApiError(f"GET /ferry/identity answered something other than a JSON object: {err}") from err
        if not isinstance(environment, dict) or not all(
            isinstance(name, str) and isinstance(value, str) for name, value in environment.items()
        ):
            raise RuntimeApiError('GET /ferry/identity answered without an "environment" object of strings')
        return environment

    def post_invocation_response(self, request_id, payload, next_invocation, silent=None):
        """Posts the result; with next_invocation, returns the next invocation when Ferry answered with it, else None.
        `silent` names the output streams that got no marker (_mark_output_end)."""
        return self._post(
            f"/runtime/invocation/{quote(request_id, safe='')}/response",
            payload,
            _outcome_headers(next_invocation, silent),
            next_invocation,
        )

    def post_invocation_error(self, request_id, error, next_invocation, silent=None):
        headers = _outcome_headers(next_invocation, silent, {"Lambda-Runtime-Function-Error-Type": _header_safe(error["errorType"])})
        return self._post(
            f"/runtime/invocation/{quote(request_id, safe='')}/error",
            json.dumps(error).encode("utf-8"),
            headers,
            next_invocation,
        )

    def post_init_error(self, error):
        headers = dict(_PLAIN_POST)
        headers["Lambda-Runtime-Function-Error-Type"] = _header_safe(error["errorType"])
        self._post("/runtime/init/error", json.dumps(error).encode("utf-8"), headers, False)

    def _post(self, route, body, headers, next_invocation):
        status, response_headers, answer = self._request("POST", route, body, headers)
        if next_invocation and status == 200:
            return _invocation_from(response_headers, answer, f"POST {route}")
        if next_invocation and status == 410:
            raise InstanceStopped()
        if status >= 500:
            raise RuntimeApiError(f"POST {route} answered {status}: {answer[:500]!r}")
        if status >= 300:
            # E.g. the invocation already timed out; the server has decided, carry on.
            print(f"ferry-runtime: POST {route} was refused with {status}: {answer[:500]!r}", file=sys.stderr)
        return None

    def _request(self, method, route, body=None, headers=None):
        try:
            return self._connection.request(method, self._base_path + route, body, headers)
        except HttpConnectionError as err:
            raise RuntimeApiError(f"{method} {route} failed: {err}") from err


def _invocation_from(headers, body, call):
    """An invocation from the answer to GET .../next (or to a post with Lambda-Runtime-Ferry-Next: 1)."""
    request_id = headers.get("lambda-runtime-aws-request-id")
    if not request_id:
        raise RuntimeApiError(f"{call} answered without a Lambda-Runtime-Aws-Request-Id header")
    deadline = headers.get("lambda-runtime-deadline-ms", "")
    return SimpleNamespace(
        request_id=request_id,
        deadline_ms=int(deadline) if deadline.isdigit() else int(time.time() * 1000) + 900_000,
        invoked_function_arn=headers.get("lambda-runtime-invoked-function-arn", ""),
        trace_id=headers.get("lambda-runtime-trace-id"),
        client_context=headers.get("lambda-runtime-client-context"),
        cognito_identity=headers.get("lambda-runtime-cognito-identity"),
        body=body,
    )


def _header_safe(value):
    return "".join(ch if " " <= ch <= "~" else "?" for ch in str(value))


# -------------------------------------------------------------------------------------------------
# Handler loading
# -------------------------------------------------------------------------------------------------


def _user_frames(tb):
    """Traceback lines without the import machinery's and this bootstrap's own frames."""
    machinery = (os.path.dirname(os.path.abspath(importlib.__file__)) + os.sep, os.path.abspath(__file__))
    frames = [
        frame
        for frame in traceback.extract_tb(tb)
        if not frame.filename.startswith("<frozen ") and not os.path.abspath(frame.filename).startswith(machinery)
    ]
    return traceback.format_list(frames)


def load_handler(task_root, handler_name):
    """Imports "path/to/module.function" from the task root; raises InitError for init failures."""
    module_path, dot, function_name = handler_name.rpartition(".")
    if not dot or not module_path or not function_name:
        raise InitError(
            "Runtime.MalformedHandlerName",
            f"Handler '{handler_name}' is malformed: expected 'path/to/module.function', e.g. 'app.handler'.",
        )
    module_name = module_path.replace("/", ".")

    # The function's code comes first; this bootstrap's own folder is not importable.
    own_dir = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != own_dir]
    sys.path.insert(0, task_root)
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as err:  # IndentationError and TabError included.
        location = f"{os.path.relpath(err.filename, task_root) if err.filename else module_name}, line {err.lineno}"
        raise InitError(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {err.msg} ({location})",
            _user_frames(err.__traceback__),
        ) from err
    except ImportError as err:
        hint = ""
        if getattr(err, "name", None) and err.name.split(".")[0] in ("boto3", "botocore"):
            hint = " (Ferry gives functions the host's boto3: install it with scripts/setup.sh, or apt-get install python3-boto3)"
        raise InitError(
            "Runtime.ImportModuleError",
            f"Unable to import module '{module_name}': {err}{hint}",
            _user_frames(err.__traceback__),
        ) from err

    handler = getattr(module, function_name, None)
    if not callable(handler):
        raise InitError(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return handler


# -------------------------------------------------------------------------------------------------
# Invocation
# -------------------------------------------------------------------------------------------------


class LambdaContext:
    """The context object passed to handlers, with the attribute names of AWS Lambda's."""

    def __init__(self, invocation):
        env = os.environ
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = invocation.invoked_function_arn
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.aws_request_id = invocation.request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline_ms = invocation.deadline_ms

        identity = _parse_json_header(invocation.cognito_identity) or {}
        self.identity = SimpleNamespace(
            cognito_identity_id=identity.get("cognitoIdentityId"),
            cognito_identity_pool_id=identity.get("cognitoIdentityPoolId"),
        )
        client_context = _parse_json_header(invocation.client_context)
        self.client_context = (
            None
            if client_context is None
            else SimpleNamespace(
                client=client_context.get("client"),
                custom=client_context.get("custom"),
                env=client_context.get("env"),
            )
        )

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _parse_json_header(value):
    if not value:
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _not_serializable(value):
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _error_payload(err, stack_trace):
    return {"errorMessage": str(err), "errorType": type(err).__name__, "stackTrace": stack_trace}


class _RequestIdFilter(logging.Filter):
    """Gives every log record the id of the request being handled, as Lambda's log format shows it."""

    request_id = ""

    def filter(self, record):
        record.aws_request_id = _RequestIdFilter.request_id
        return True


def configure_logging():
    """Like Lambda's Python runtime: a handler on the root logger, so records of loggers the handler makes reach the
    function's log (the root logger keeps Python's default level, WARNING; `logger.setLevel(logging.INFO)` lets INFO
    records through, as on Lambda), and a module's own `logging.basicConfig()` changes nothing."""
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    logging.getLogger().addHandler(handler)


_output_markers = False
# /proc/self/io, open while output markers are on: its wchar tells whether the process wrote anything.
_io_accounting = None


def _bytes_written():
    """Bytes this process has written so far through any descriptor (wchar of /proc/self/io), or None."""
    if _io_accounting is None:
        return None
    try:
        data = os.pread(_io_accounting, 512, 0)
        start = data.index(b"wchar: ") + 7
        return int(data[start:data.index(b"\n", start)])
    except (OSError, ValueError):
        return None


def _output_position():
    """What _mark_output_end compares with, taken when an invocation starts."""
    return _bytes_written() if _output_markers else None


def _mark_output_end(request_id, start):
    """With FERRY_OUTPUT_MARKERS=1, tells Ferry that the handler's output for this request is complete: a marker
    line on stdout and on stderr. When the process wrote nothing at all since `start` (pipes, sockets and files
    alike: unlike Node's loop, this one cannot tell the streams apart), it writes none and returns
    "stdout,stderr" for the post's Lambda-Runtime-Ferry-Silent header instead; otherwise None."""
    if not _output_markers:
        return None
    _flush_output()  # whatever the handler printed is written before it is looked for
    if start is not None and _bytes_written() == start:
        return "stdout,stderr"
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.write(f"\x1eferry:flushed {request_id}\n")
        except (OSError, ValueError):
            pass
    return None


def _flush_output():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # A closed or broken stream must not stop the loop.


def _log_error(prefix, payload):
    print(f"{prefix} {json.dumps(payload)}", file=sys.stderr)


_TRACE_VARIABLE = "_X_AMZN_TRACE_ID"


def _set_trace_variable(value):
    """
    Sets _X_AMZN_TRACE_ID in os.environ (removes it for None) without setenv(3). Every invocation gives it a new value,
    and glibc keeps every value ever given to setenv (it cannot know whether a pointer to an old one is still held):
    about 110 bytes per invocation, 107 MB in a runtime after a million invocations. Python code (boto3's included) reads
    os.environ and sees it; a subprocess gets it with env=os.environ, not when it inherits the C environment (env=None).
    """
    data = getattr(os.environ, "_data", None)
    if not isinstance(data, dict):  # not CPython's os._Environ: the plain way
        if value:
            os.environ[_TRACE_VARIABLE] = value
        else:
            os.environ.pop(_TRACE_VARIABLE, None)
        return
    key = os.environ.encodekey(_TRACE_VARIABLE)
    if value:
        data[key] = os.environ.encodevalue(value)
    else:
        data.pop(key, None)


def invoke(api, handler, invocation):
    """Runs one invocation and posts its outcome; returns the next invocation when Ferry answered the post with it."""
    output = _output_position()
    _set_trace_variable(invocation.trace_id)

    try:
        event = json.loads(invocation.body) if invocation.body else None
    except ValueError as err:
        return _report_error(api, invocation, output, {
            "errorMessage": f"Unable to parse the event as JSON: {err}",
            "errorType": "Runtime.UnmarshalError",
            "stackTrace": [],
        })

    _RequestIdFilter.request_id = invocation.request_id
    try:
        result = handler(event, LambdaContext(invocation))
    except Exception as err:  # The handler's failure is the invocation's result.
        tb = err.__traceback__.tb_next if err.__traceback__ else None  # Skip this frame.
        return _report_error(api, invocation, output, _error_payload(err, traceback.format_tb(tb)))

    try:
        payload = json.dumps(result, default=_not_serializable, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as err:
        return _report_error(api, invocation, output, {
            "errorMessage": f"Unable to marshal response: {err}",
            "errorType": "Runtime.MarshalError",
            "stackTrace": [],
        })

    silent = _mark_output_end(invocation.request_id, output)
    _flush_output()
    return api.post_invocation_response(invocation.request_id, payload, True, silent)


def _report_error(api, invocation, output, payload):
    _log_error("Invoke Error", payload)
    silent = _mark_output_end(invocation.request_id, output)
    _flush_output()
    return api.post_invocation_error(invocation.request_id, payload, True, silent)


# -------------------------------------------------------------------------------------------------
# Main loop
# -------------------------------------------------------------------------------------------------


def _fatal(message):
    print(f"ferry-runtime: {message}", file=sys.stderr)
    _flush_output()
    sys.exit(1)


def become_function(environment):
    """Replaces the whole environment with the function's, and what Python derived from it lazily.

    Variables only read at process start (PYTHONPATH, LANG...) are equal to the cell's, or Ferry would not
    use a cell.
    """
    os.environ.clear()
    os.environ.update(environment)
    time.tzset()
    tempfile = sys.modules.get("tempfile")
    if tempfile is not None:
        tempfile.tempdir = None  # Found again from TMPDIR on next use.
    importlib.invalidate_caches()


def main():
    # Logs must reach the pipe before the response is posted, even without -u.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(line_buffering=True)

    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        _fatal("cannot start: AWS_LAMBDA_RUNTIME_API is not set (expected host:port[/prefix])")
    try:
        api = RuntimeApiClient(address, os.environ.get("FERRY_RUNTIME_API_SOCKET"))
    except RuntimeApiError as err:
        _fatal(f"cannot start: {err}")
    # Once, the real way: a value inherited from the C environment would outlive the invocations' own.
    os.environ.pop(_TRACE_VARIABLE, None)

    if os.environ.get("FERRY_STEM_CELL") == "1":
        try:
            environment = api.identity()
        except RuntimeApiError as err:
            _fatal(f"stem cell: {err}")
        if environment is None:
            sys.exit(0)
        become_function(environment)

    configure_logging()
    ferry_aws_endpoints.install()
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    try:
        handler = load_handler(task_root, os.environ.get("_HANDLER", ""))
    except Exception as err:  # Whatever the module's top-level code raised fails the init.
        if isinstance(err, InitError):
            payload = {"errorMessage": str(err), "errorType": err.error_type, "stackTrace": err.stack_trace}
        else:
            payload = _error_payload(err, _user_frames(err.__traceback__))
        _log_error("Init Error", payload)
        _flush_output()
        try:
            api.post_init_error(payload)
        except RuntimeApiError as post_err:
            print(f"ferry-runtime: could not report the init error: {post_err}", file=sys.stderr)
        _fatal(f"handler could not be loaded: {payload['errorType']}")

    global _output_markers, _io_accounting
    _output_markers = os.environ.get("FERRY_OUTPUT_MARKERS") == "1"
    if _output_markers:
        try:
            _io_accounting = os.open("/proc/self/io", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            pass  # No I/O accounting: every invocation gets its markers.
    try:
        invocation = api.next_invocation()
        while True:
            invocation = invoke(api, handler, invocation) or api.next_invocation()
    except InstanceStopped:
        _flush_output()  # Ferry is stopping this instance (idle, replaced, server shutdown): not a failure.
        sys.exit(0)
    except RuntimeApiError as err:
        _fatal(f"Runtime API failure: {err}")


if __name__ == "__main__":
    main()
