"""Assembles the sandbox: one router with both providers and the control API, and the server."""

from __future__ import annotations

from integrations.sandbox import (
    control,
    facebook_faults,
    facebook_graph,
    facebook_photos,
    facebook_web,
    github_api,
    github_app,
    github_hooks,
    github_web,
    instagram,
)
from integrations.sandbox.config import SandboxConfig
from integrations.sandbox.http import Router, SandboxHTTPServer
from integrations.sandbox.persistence import StateFile
from integrations.sandbox.state import Store


def build_router() -> Router:
    router = Router()
    # Order matters where patterns overlap: specific GitHub API paths before the profile page.
    github_api.register(router)
    github_app.register(router)
    github_hooks.register(router)
    github_web.register(router)
    facebook_web.register(router)
    facebook_photos.register(router)
    instagram.register(router)
    facebook_graph.register(router)
    facebook_faults.register(router)
    control.register(router)
    return router


def make_server(config: SandboxConfig, host: str = "127.0.0.1", port: int = 8765,
                quiet: bool = False, state_file: StateFile | None = None) -> SandboxHTTPServer:
    """A ready-to-serve sandbox (call `serve_forever()`; `server_address` has the real port).
    With `state_file`, the state saved there by an earlier run is loaded first."""
    store = Store(config=config)
    if state_file is not None:
        state_file.load_into(store)
    return SandboxHTTPServer((host, port), store, build_router(), quiet=quiet,
                             state_file=state_file)
