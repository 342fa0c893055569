"""A deployable copy of the SPA for a static host (CDN, object storage, another server).

The same frontend/ files run anywhere: only config.js (the API's URL) differs. The folder holds
index.html (to serve for every SPA route), static/ (the assets, at the URLs the shell names), and
`_headers` and `_redirects`, the headers to send and the routes to answer with index.html, in the
Netlify / Cloudflare Pages formats (README "Serving the SPA from a static host" for nginx).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from django.conf import settings
from django.utils.csp import CSP, build_policy
from django.utils.html import escape

from backend.conf.cors import origin_of
from backend.spa import CALLBACK_PATHS, INDEX, SPA_ROUTES

FRONTEND = Path(settings.BASE_DIR) / "frontend"
DOCS_LINK = 'href="/api/v1/docs"'


def build_spa(*, api_url: str, output: Path) -> list[Path]:
    """Write the SPA into `output` (emptied first), talking to the API at `api_url`."""
    api_url = api_url.rstrip("/")
    origin_of(api_url)  # refuses anything but an http(s) URL
    if output.exists() and any(output.iterdir()):
        if not (output / "static" / "config.js").exists():
            raise ValueError(f"{output} is not empty and is not an earlier build: not replacing it")
        shutil.rmtree(output)
    shutil.copytree(FRONTEND, output / "static")
    config = output / "static" / "config.js"
    config.write_text("// Written by `manage.py build_spa`: the API this SPA talks to.\n"
                      f"export const API_URL = {json.dumps(api_url)};\n")
    html = INDEX.read_text()
    if DOCS_LINK not in html:
        raise ValueError(f"{INDEX} no longer links the API docs as {DOCS_LINK}")
    index = output / "index.html"
    index.write_text(html.replace(DOCS_LINK, f'href="{escape(api_url)}/api/v1/docs"'))
    headers = output / "_headers"
    headers.write_text(static_host_headers(api_url))
    redirects = output / "_redirects"  # every SPA route answers with the shell
    redirects.write_text("".join(f"{path} /index.html 200\n" for path in SPA_ROUTES[1:]))
    return [index, config, headers, redirects]


def static_host_csp(api_url: str) -> str:
    """The backend's own strict CSP, except that fetches may also go to the API's origin."""
    policy = dict(settings.SECURE_CSP)
    policy["connect-src"] = [CSP.SELF, origin_of(api_url)]
    return build_policy(policy)


def static_host_headers(api_url: str) -> str:
    """`_headers`: what the backend sends with the shell, for every path of the static host."""
    common = [
        f"Content-Security-Policy: {static_host_csp(api_url)}",
        "X-Content-Type-Options: nosniff",
        "X-Frame-Options: DENY",
        f"Referrer-Policy: {settings.SECURE_REFERRER_POLICY}",
        f"Cross-Origin-Opener-Policy: {settings.SECURE_CROSS_ORIGIN_OPENER_POLICY}",
    ]
    blocks = [["/*", *common]]
    for path in (*SPA_ROUTES, "/static/config.js"):
        # The shell and config.js change with each deploy: revalidate, never serve them stale.
        block = [path, "Cache-Control: no-cache"]
        if path in CALLBACK_PATHS:
            # The URL carries the code and state: never leak it through Referer (RFC 9700).
            block.append("Referrer-Policy: no-referrer")
        blocks.append(block)
    return "\n".join(block[0] + "".join(f"\n  {line}" for line in block[1:])
                     for block in blocks) + "\n"
