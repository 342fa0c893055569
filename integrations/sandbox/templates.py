"""HTML for the consent pages and error pages, and SVG avatars. Every echoed value is escaped."""

from __future__ import annotations

import hashlib
from html import escape

from integrations.sandbox.http import Response

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;background:#f6f8fa;color:#1f2328;margin:0}
main{max-width:460px;margin:48px auto;background:#fff;border:1px solid #d0d7de;
border-radius:8px;padding:24px}
h1{font-size:20px;margin:0 0 8px}.banner{background:#fff8c5;border:1px solid #d4a72c;
border-radius:6px;padding:6px 10px;font-size:13px;margin-bottom:16px}
fieldset{border:1px solid #d0d7de;border-radius:6px;margin:16px 0}
label{display:block;margin:4px 0}.actions{display:flex;gap:8px;margin-top:16px}
button{font:inherit;padding:6px 16px;border-radius:6px;border:1px solid #d0d7de;cursor:pointer}
button[value=authorize],button[value=continue]{background:#1f883d;color:#fff;border-color:#1a7f37}
code{background:#eff1f3;padding:1px 4px;border-radius:4px}small{color:#59636e}
"""


def page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<meta name=viewport content='width=device-width,initial-scale=1'><title>{escape(title)}"
        f"</title><style>{STYLE}</style></head><body><main>"
        "<div class=banner>Provider sandbox &mdash; a local stand-in, not the real provider."
        f"</div>{body}</main></body></html>"
    )


def error_page(title: str, message: str) -> str:
    return page(title, f"<h1>{escape(title)}</h1><p>{escape(message)}</p>")


def hidden_inputs(fields: dict[str, str]) -> str:
    return "".join(
        f"<input type=hidden name='{escape(name)}' value='{escape(value)}'>"
        for name, value in fields.items()
    )


def user_choices(users: list[tuple[str, str]], selected: str | None) -> str:
    """Radio buttons: (value, label) pairs; the first is checked unless `selected` matches one."""
    values = [value for value, _ in users]
    checked = selected if selected in values else values[0]
    return "".join(
        f"<label><input type=radio name=user value='{escape(value)}'"
        f"{' checked' if value == checked else ''}> {escape(label)}</label>"
        for value, label in users
    )


def github_consent(*, action: str, app_name: str, scopes: list[str], users: list[tuple[str, str]],
                   selected: str | None, fields: dict[str, str], redirect_uri: str) -> str:
    scope_items = "".join(f"<li><code>{escape(s)}</code></li>" for s in scopes) or (
        "<li>No scopes: read-only access to public information</li>"
    )
    body = (
        f"<h1>Authorize {escape(app_name)}</h1>"
        f"<p><strong>{escape(app_name)}</strong> wants to access your account.</p>"
        f"<p>Requested scopes:</p><ul class=scopes>{scope_items}</ul>"
        f"<form method=post action='{escape(action)}'>{hidden_inputs(fields)}"
        f"<fieldset><legend>Sign in as test user</legend>{user_choices(users, selected)}</fieldset>"
        f"<p><small>You will be redirected to <code>{escape(redirect_uri)}</code></small></p>"
        "<div class=actions><button type=submit name=decision value=authorize>Authorize</button>"
        "<button type=submit name=decision value=cancel>Cancel</button></div></form>"
    )
    return page(f"Authorize {app_name}", body)


def facebook_consent(*, action: str, app_name: str, scopes: list[str],
                     users: list[tuple[str, str]], selected: str | None, fields: dict[str, str],
                     redirect_uri: str) -> str:
    # Facebook lets the person untick permissions; an unticked one is "declined".
    scope_items = "".join(
        f"<label><input type=checkbox name=grant value='{escape(s)}' checked> "
        f"<code>{escape(s)}</code></label>"
        for s in scopes
    )
    body = (
        f"<h1>{escape(app_name)} is requesting access</h1>"
        f"<form method=post action='{escape(action)}'>{hidden_inputs(fields)}"
        f"<input type=hidden name=granular value=1>"
        f"<fieldset><legend>Continue as test user</legend>{user_choices(users, selected)}"
        "</fieldset>"
        f"<fieldset><legend>Permissions</legend>{scope_items or 'public_profile'}</fieldset>"
        f"<p><small>You will be redirected to <code>{escape(redirect_uri)}</code></small></p>"
        "<div class=actions><button type=submit name=decision value=continue>Continue</button>"
        "<button type=submit name=decision value=cancel>Cancel</button></div></form>"
    )
    return page(f"Log in to {app_name}", body)


def github_profile(login: str, name: str | None) -> str:
    return page(login, f"<h1>{escape(name or login)}</h1><p>@{escape(login)} (sandbox profile)</p>")


def avatar_svg(name: str) -> str:
    """A deterministic coloured circle with the first letter of `name`."""
    hue = int(hashlib.sha256(name.encode()).hexdigest()[:4], 16) % 360
    letter = escape((name[:1] or "?").upper())
    return (
        "<svg xmlns='http://www.w3.org/2000/svg' width='96' height='96' viewBox='0 0 96 96'>"
        f"<circle cx='48' cy='48' r='48' fill='hsl({hue},55%,45%)'/>"
        "<text x='48' y='62' font-size='44' font-family='sans-serif' text-anchor='middle' "
        f"fill='#fff'>{letter}</text></svg>"
    )


def error_response(title: str, message: str, status: int) -> Response:
    """A provider's plain error page, as the browser sees it."""
    return Response.html(error_page(title, message), status)
