"""Provider sandbox: GitHub and Facebook emulated on localhost (a separate process, no Django).

Run `python -m integrations.sandbox --host 127.0.0.1 --port 8765`. URL layout (BASE = the
server's origin): GitHub web at BASE/github, GitHub REST at BASE/github/api/v3, the Facebook dialog
at BASE/facebook/vNN.0/dialog/oauth, the Graph API at BASE/graph[/vNN.0], the control API at
BASE/_sandbox/ (reset, faults, latency, requests, redirect-uris, config, clock, tokens, posts,
signed-request). README.md in this directory documents every control call.
"""

from integrations.sandbox.signed_request import build_signed_request

__all__ = ["build_signed_request"]
