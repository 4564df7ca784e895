"""The HTML pages: one layout (header, sign-in, navigation) around each page's template."""

from __future__ import annotations

from importlib import resources
from xml.sax.saxutils import escape

PAGES = {
    "kcc": ("KCC: klantbeeld", "kcc.js"),
    "privacy": ("Privacy officer: verwerkingen en toestemmingen", "privacy.js"),
    "dashboards": ("Stadskamer: onderwerpen en tevredenheid", "dashboards.js"),
}
_NAV = (("kcc", "KCC"), ("privacy", "Privacy officer"), ("dashboards", "Dashboards"))

_LAYOUT = """<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Stadskamer</title>
<link rel="stylesheet" href="/static/app.css">
<script src="/static/common.js" defer></script>
<script src="/static/{script}" defer></script>
</head>
<body>
<a class="skip" href="#main">Naar de inhoud</a>
<header>
<h1>{title}</h1>
<nav aria-label="Schermen">{nav}<a href="/api/v1/openapi.json">API</a></nav>
<form id="login-form" class="who" method="post" action="#" autocomplete="off">
<label for="token-input" class="visually-hidden">Toegangstoken</label>
<input id="token-input" type="password" placeholder="Plak uw toegangstoken">
<button type="submit" class="secondary">Aanmelden</button>
<button type="button" id="sign-out" class="secondary">Afmelden</button>
<p id="who" aria-live="polite">Niet aangemeld</p>
</form>
</header>
<main id="main">
{body}
</main>
</body>
</html>
"""


def render(name: str) -> str:
    """The full HTML of a page."""
    title, script = PAGES[name]
    body = resources.files("stadskamer.gateway.screens").joinpath(f"templates/{name}.html")
    current = ' aria-current="page"'
    nav = "".join(
        f'<a href="/{page}"{current if page == name else ""}>{label}</a>' for page, label in _NAV
    )
    return _LAYOUT.format(title=escape(title), script=script, nav=nav, body=body.read_text("utf-8"))
