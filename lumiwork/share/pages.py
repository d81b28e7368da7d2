"""The share front's own pages: the link exchange, the launcher, and a
friendly page for every refusal. Each is self-contained (no script or style
from elsewhere) and says what to do; none ever shows a traceback."""
from __future__ import annotations

import html

from starlette.responses import HTMLResponse

# Every page of the front: nothing from another host, no framing, no referrer.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; "
                                "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
                                "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                                "base-uri 'self'; form-action 'self'"),
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}
NO_STORE = {"Cache-Control": "no-store"}

STYLE = ("body{font:16px/1.5 system-ui,sans-serif;color:#222;max-width:40em;margin:12vh auto;padding:0 1em}"
         "h1{font-size:1.4em;margin-bottom:.4em}p.what{color:#555}")

# Why a link or a page was refused: (status, title, what to do).
REFUSALS = {
    "expired": (410, "This link has expired",
                "Ask the person who shared it for a new link."),
    "inactive": (410, "This link has expired after a period without use",
                 "Ask the person who shared it for a new link."),
    "revoked": (410, "This link has been withdrawn",
                "The person who shared it has withdrawn it. Ask them for a new link if you still need it."),
    "invalid": (400, "This link is not valid",
                "It may have been cut short or changed when it was copied. Open the link exactly as you "
                "received it, or ask for it again."),
    "foreign": (400, "This link is for another dashboard",
                "Open the link exactly as you received it, or ask for it again."),
    "session": (401, "Please open your link again",
                "This page needs the link you received; your view may have ended after a period "
                "of inactivity."),
    "busy": (503, "This dashboard has as many viewers as it can take",
             "Close another view of it, or try again in a few minutes."),
    "unavailable": (503, "This dashboard cannot be shown right now",
                    "Try again in a few minutes. If it keeps happening, tell the person who shared it."),
    "snapshot": (404, "There is no snapshot of this dashboard yet",
                 "A snapshot appears after the dashboard's first scheduled run. Try again later."),
    "not_found": (404, "There is nothing here",
                  "Check the address, or open the link you received."),
    "slow_down": (429, "Please wait a moment",
                  "Too many attempts came from your address in a short time. Try again in a minute."),
}


def page(title: str, body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    document = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                f"<meta name='viewport' content='width=device-width'><title>{html.escape(title)}</title>"
                f"<style>{STYLE}</style></head><body>{body}</body></html>")
    return HTMLResponse(document, status_code=status, headers={**SECURITY_HEADERS, **NO_STORE, **(headers or {})})


def refusal_html(reason: str) -> tuple[int, str, str]:
    status, title, advice = REFUSALS[reason]
    return status, title, f"<h1>{html.escape(title)}</h1><p class='what'>{html.escape(advice)}</p>"


def refusal(reason: str, headers: dict[str, str] | None = None) -> HTMLResponse:
    status, title, body = refusal_html(reason)
    return page(title, f"<main class='lumiwork-refusal' data-reason='{reason}'>{body}</main>", status, headers)


def exchange_page(dashboard_id: str) -> HTMLResponse:
    """The page a link opens: its script takes the token from the URL's fragment
    (which no server or log ever sees), removes it from the address bar, and
    trades it for a session cookie; then goes on to the dashboard's clean URL."""
    script = """
(function () {
  var match = /(?:^#|&)t=([^&]+)/.exec(location.hash);
  history.replaceState(null, "", location.pathname);
  if (!match) { location.replace(location.pathname + "/refused/invalid"); return; }
  fetch(location.pathname + "/exchange", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify({t: decodeURIComponent(match[1])})})
    .then(function (answer) {
      if (answer.ok) { return answer.json().then(function (next) { location.replace(next.next); }); }
      return answer.text().then(function (text) { document.open(); document.write(text); document.close(); });
    })
    .catch(function () { document.body.innerHTML = "<h1>The dashboard cannot be reached</h1>" +
      "<p class='what'>Check your connection and open the link again.</p>"; });
})();"""
    body = f"<p>Opening the dashboard…</p><script>{script}</script>"
    return page("Opening the dashboard", body)


def launcher_page(app_url: str) -> HTMLResponse:
    """The dashboard's clean URL: a script goes on to the live view with a
    one-time pass. A client that runs no script (a link previewer, a mail
    scanner, curl) stops here and never starts a kernel."""
    target = html.escape(app_url, quote=True)
    body = (f"<p>Starting the dashboard… <a id='go' href='{target}'>continue</a></p>"
            f"<script>location.replace(document.getElementById('go').getAttribute('href'));</script>")
    return page("Starting the dashboard", body)
