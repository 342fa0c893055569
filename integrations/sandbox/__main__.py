"""`python -m integrations.sandbox [serve] --host 127.0.0.1 --port 8765`, or
`python -m integrations.sandbox signed-request USER_ID [--secret S]`."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence

from integrations.sandbox.app import make_server
from integrations.sandbox.config import (
    DEFAULT_FACEBOOK_APP_SECRET,
    DEFAULT_GITHUB_CLIENT_SECRET,
    SandboxConfig,
    config_from,
    split_uris,
)
from integrations.sandbox.persistence import StateFile
from integrations.sandbox.signed_request import build_signed_request


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m integrations.sandbox",
                                     description="Local GitHub + Facebook provider sandbox.")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the sandbox server (the default)")
    _serve_arguments(serve)
    _serve_arguments(parser)
    signed = sub.add_parser("signed-request", help="print a valid Facebook signed_request")
    signed.add_argument("user_id")
    signed.add_argument("--secret", help="app secret (default: SANDBOX_FACEBOOK_APP_SECRET or "
                        "the sandbox default)")
    signed.add_argument("--payload", default="{}", help="extra payload keys as JSON")
    return parser.parse_args(argv)


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", 8765)))
    parser.add_argument("--github-client-id")
    parser.add_argument("--github-client-secret")
    parser.add_argument("--github-redirect-uris", help="comma-separated")
    parser.add_argument("--facebook-app-id")
    parser.add_argument("--facebook-app-secret")
    parser.add_argument("--facebook-redirect-uris", help="comma-separated")
    parser.add_argument("--quiet", action="store_true", help="no per-request log lines")
    parser.add_argument("--state-file", default=os.environ.get("SANDBOX_STATE_FILE") or None,
                        help="keep the issued tokens, posts and hooks in this JSON file across "
                        "restarts (default: SANDBOX_STATE_FILE; none: in memory only)")


def _shown(secret: str, default: str) -> str:
    # Print the sandbox's own default secrets (developers need them); mask anything else.
    return secret if secret == default else f"(set, {len(secret)} characters)"


def describe(config: SandboxConfig, base: str) -> str:
    return "\n".join([
        f"Provider sandbox listening on {base}",
        f"  GITHUB_URL={base}/github  GITHUB_API_URL={base}/github/api/v3",
        f"  FACEBOOK_URL={base}/facebook  FACEBOOK_GRAPH_URL={base}/graph",
        f"  GitHub client_id={config.github_client_id} client_secret="
        f"{_shown(config.github_client_secret, DEFAULT_GITHUB_CLIENT_SECRET)}",
        f"  GitHub redirect URIs: {', '.join(config.github_redirect_uris) or '(none)'}",
        f"  Facebook app_id={config.facebook_app_id} app_secret="
        f"{_shown(config.facebook_app_secret, DEFAULT_FACEBOOK_APP_SECRET)}",
        f"  Facebook redirect URIs: {', '.join(config.facebook_redirect_uris) or '(none)'}",
        "  Test users: GitHub octocat, mona, unverified; Facebook alex (2 Pages), sam (1 Page), "
        "robin (1 postable + 1 analyst-only Page)",
        f"  Control API: {base}/_sandbox/ (see integrations/sandbox/README.md)",
    ])


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(args: argparse.Namespace) -> None:
    config = config_from(
        github_client_id=args.github_client_id,
        github_client_secret=args.github_client_secret,
        github_redirect_uris=split_uris(args.github_redirect_uris),
        facebook_app_id=args.facebook_app_id,
        facebook_app_secret=args.facebook_app_secret,
        facebook_redirect_uris=split_uris(args.facebook_redirect_uris),
    )
    state_file = StateFile(args.state_file) if args.state_file else None
    server = make_server(config, args.host, args.port, quiet=args.quiet, state_file=state_file)
    host, port = server.server_address[:2]
    print(describe(config, f"http://{host}:{port}"), flush=True)
    if state_file is not None:
        print(f"  State kept in {state_file.path} (tokens survive a restart)", flush=True)
    # SIGTERM (from `make run` or a test fixture) ends serve_forever like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if state_file is not None:
            state_file.save(server.store)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "signed-request":
        secret = args.secret or os.environ.get("SANDBOX_FACEBOOK_APP_SECRET") or \
            DEFAULT_FACEBOOK_APP_SECRET
        print(build_signed_request(args.user_id, secret, **json.loads(args.payload)))
        return
    serve(args)


if __name__ == "__main__":
    main()
