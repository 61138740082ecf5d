"""The sign-in pages of the sandbox identity provider: small, accessible HTML forms (labels,
autocomplete hints, errors announced to screen readers) that fit a 360 px wide screen."""

from html import escape

from starlette.responses import HTMLResponse

STYLE = """
body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#eef1f5;color:#1b1f24}
main{max-width:22rem;margin:3rem auto;padding:1.5rem;background:#fff;border-radius:.5rem;
box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.25rem;margin:0 0 1rem}label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input{box-sizing:border-box;width:100%;padding:.6rem;border:1px solid #5f6b7a;border-radius:.25rem;
font:inherit}input:focus,button:focus{outline:3px solid #0b57d0;outline-offset:2px}
button{margin-top:1.25rem;width:100%;padding:.7rem;border:0;border-radius:.25rem;
background:#0b57d0;color:#fff;font:inherit;font-weight:600;cursor:pointer}
.error{padding:.6rem;border-radius:.25rem;background:#fde7e9;color:#8a1c1c}
"""


def _page(title: str, heading: str, body: str, status_code: int = 200) -> HTMLResponse:
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(heading)} · {escape(title)}</title><style>{STYLE}</style></head>
<body><main><h1>{escape(heading)}</h1>{body}</main></body></html>"""
    return HTMLResponse(html, status_code=status_code)


def _error(message: str | None) -> str:
    return f'<p class="error" role="alert" id="error">{escape(message)}</p>' if message else ""


def login_form(
    title: str, action: str, username: str = "", error: str | None = None
) -> HTMLResponse:
    described = ' aria-describedby="error" aria-invalid="true"' if error else ""
    return _page(
        title,
        f"Sign in to {title}",
        f"""{_error(error)}<form method="post" action="{escape(action)}">
<label for="username">Username or email</label>
<input id="username" name="username" value="{escape(username)}" autocomplete="username"
 autocapitalize="none" required autofocus{described}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password"
 required{described}>
<button type="submit">Sign in</button></form>""",
    )


def otp_form(title: str, action: str, error: str | None = None) -> HTMLResponse:
    described = ' aria-describedby="error" aria-invalid="true"' if error else ""
    return _page(
        title,
        "Two-factor authentication",
        f"""{_error(error)}<form method="post" action="{escape(action)}">
<label for="otp">One-time code from your authenticator app</label>
<input id="otp" name="otp" inputmode="numeric" pattern="[0-9]*" autocomplete="one-time-code"
 required autofocus{described}>
<button type="submit">Verify</button></form>""",
    )


def error_page(title: str, message: str, status_code: int) -> HTMLResponse:
    return _page(title, "We are sorry …", _error(message), status_code)
