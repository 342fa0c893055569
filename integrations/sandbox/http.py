"""The HTTP layer: request/response objects, the route table and the threaded server.

Provider modules register routes; this module applies latency, the request log and injected
faults around every provider call, and keeps the control API (`/_sandbox/`) out of all three.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from integrations.sandbox.state import Store

if TYPE_CHECKING:
    from integrations.sandbox.persistence import StateFile

MAX_BODY_BYTES = 1024 * 1024


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes
    form: dict[str, str]
    form_lists: dict[str, list[str]]
    json: Any
    base_url: str
    store: Store
    endpoint: str = ""
    params: dict[str, str] = field(default_factory=dict)

    def param(self, name: str, default: str | None = None) -> str | None:
        """A parameter from the body (form or JSON object), else the query string."""
        if name in self.form:
            return self.form[name]
        if isinstance(self.json, dict) and isinstance(self.json.get(name), str | int | bool):
            value = self.json[name]
            return str(value).lower() if isinstance(value, bool) else str(value)
        return self.query.get(name, default)

    def dialog_params(self) -> dict[str, str]:
        """What a provider's browser page reads: the form its consent page POSTs, else the query."""
        return self.form if self.method == "POST" else self.query

    def header(self, name: str) -> str:
        return self.headers.get(name, "") or ""


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None,
             content_type: str = "application/json; charset=utf-8") -> Response:
        body = json.dumps(data, separators=(",", ":")).encode()
        return cls(status, body, {"Content-Type": content_type, **(headers or {})})

    @classmethod
    def html(cls, text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        base = {
            "Content-Type": "text/html; charset=utf-8",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                "frame-ancestors 'none'; base-uri 'none'"
            ),
            "Cache-Control": "no-store",
        }
        return cls(status, text.encode(), {**base, **(headers or {})})

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain") -> Response:
        return cls(status, text.encode(), {"Content-Type": f"{content_type}; charset=utf-8"})

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Response:
        return cls(status, b"", {"Location": location, "Cache-Control": "no-store"})


def add_query(url: str, params: dict[str, str | None], fragment: str | None = None) -> str:
    """`url` with extra query parameters (None values dropped), keeping what it already had."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query),
                                     fragment=parts.fragment if fragment is None else fragment))


Handler = Callable[[Request], Response]
FaultRenderer = Callable[[Request, str, dict[str, Any]], Response | None]


@dataclass
class Route:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    endpoint: str
    handler: Handler


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        # provider prefix ("github", "facebook") -> renders an injected fault as that provider would
        self.fault_renderers: dict[str, FaultRenderer] = {}

    def add(self, methods: str, pattern: str, endpoint: str, handler: Handler) -> None:
        self.routes.append(Route(frozenset(methods.split()), re.compile(pattern + r"\Z"),
                                 endpoint, handler))

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, params, path_known) — path_known tells 405 from 404."""
        path_known = False
        for route in self.routes:
            found = route.pattern.match(path)
            if found:
                path_known = True
                if method in route.methods:
                    return route, found.groupdict(), True
        return None, {}, path_known


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], store: Store, router: Router,
                 quiet: bool = False, state_file: StateFile | None = None) -> None:
        super().__init__(address, SandboxRequestHandler)
        self.store = store
        self.router = router
        self.quiet = quiet
        self.state_file = state_file  # saved after each request that may change the state


class SandboxRequestHandler(BaseHTTPRequestHandler):
    server: SandboxHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "ProviderSandbox/1.0"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls

    def do_GET(self) -> None:
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass  # see log_line: the default would print query strings, which carry codes and tokens

    def log_line(self, status: int) -> None:
        if not self.server.quiet:
            path = urlsplit(self.path).path
            sys.stderr.write(f"sandbox: {self.command} {path} {status}\n")

    def dispatch(self) -> None:
        try:
            request = self.read_request()
        except ValueError as exc:
            self.send(Response.text(str(exc), 400))
            return
        response = self.route(request)
        self.send(response)
        if self.server.state_file is not None and _may_change_state(request):
            self.server.state_file.save(self.server.store)

    def read_request(self) -> Request:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise ValueError("request body too large")
        body = self.rfile.read(length) if length else b""
        content_type = self.headers.get_content_type()
        pairs: list[tuple[str, str]] = []
        data: Any = None
        if content_type == "application/x-www-form-urlencoded":
            pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        elif content_type == "application/json" and body:
            try:
                data = json.loads(body)
            except json.JSONDecodeError:
                data = None
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        return Request(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=self.headers,
            body=body,
            form=dict(pairs),
            form_lists=_group(pairs),
            json=data,
            base_url=f"http://{host}",
            store=self.server.store,
        )

    def route(self, request: Request) -> Response:
        router = self.server.router
        method = "GET" if request.method == "HEAD" else request.method
        route, params, path_known = router.match(method, request.path)
        if route is None:
            return Response.json({"message": "Not Found"}, 405 if path_known else 404)
        request.endpoint, request.params = route.endpoint, params
        if route.endpoint.startswith(("control.", "static.")):
            return route.handler(request)
        store = self.server.store
        store.log_request(log_entry(request, store.now()))
        if store.latency_ms:
            time.sleep(store.latency_ms / 1000)
        fault = store.take_fault(route.endpoint)
        if fault is not None:
            provider = route.endpoint.split(".", 1)[0]
            if fault.kind == "timeout":
                time.sleep(float(fault.options.get("seconds", 5)))
                if fault.options.get("process", True):
                    return route.handler(request)
            rendered = router.fault_renderers[provider](request, fault.kind, fault.options)
            if rendered is not None:
                return rendered
        return route.handler(request)

    def send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            headers = {"Content-Length": str(len(response.body)), **response.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
            self.log_line(response.status)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (an injected timeout did its job)


def _may_change_state(request: Request) -> bool:
    """Everything but static files, health and other control-API reads."""
    if not request.endpoint or request.endpoint.startswith("static."):
        return False
    return not (request.endpoint.startswith("control.") and request.method in ("GET", "HEAD"))


def _group(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return grouped


def log_entry(request: Request, now: float) -> dict[str, Any]:
    return {
        "endpoint": request.endpoint,
        "method": request.method,
        "path": request.path,
        "query": dict(request.query),
        "headers": dict(request.headers.items()),
        "form": dict(request.form),
        "json": request.json,
        "body": request.body.decode("utf-8", "replace")[:10000],
        "time": now,
    }
