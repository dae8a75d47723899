"""The embeddable HTML form: a page owner pastes one <iframe> or copies the form itself."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from schemas.config import SwitchboardConfig
from schemas.webform import HONEYPOT_FIELD

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
  .sb-form {{ font: 15px system-ui, sans-serif; max-width: 28rem; display: grid; gap: .6rem; }}
  .sb-form input, .sb-form textarea {{ font: inherit; padding: .45rem; }}
  .sb-hp {{ position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }}
</style></head>
<body>
<form class="sb-form" id="sb-form" method="post" action="{action}">
  <label>Name <input name="name" autocomplete="name" maxlength="200"></label>
  <label>E-mail <input name="email" type="email" autocomplete="email"></label>
  <label>Phone <input name="phone" type="tel" autocomplete="tel" maxlength="40"></label>
  <label>Message <textarea name="message" required rows="5" maxlength="20000"></textarea></label>
  <div class="sb-hp" aria-hidden="true">
    <label>Leave this empty <input name="{honeypot}" tabindex="-1" autocomplete="off"></label>
  </div>
  <input type="hidden" name="submission_id" id="sb-submission">
  <button type="submit">Send</button>
  <p id="sb-status" role="status"></p>
</form>
<script>
  // One id per filled-in form: a double click or a retry is the same submission.
  const form = document.getElementById("sb-form");
  const id = document.getElementById("sb-submission");
  id.value = crypto.randomUUID();
  form.addEventListener("submit", async (event) => {{
    event.preventDefault();
    const status = document.getElementById("sb-status");
    const body = new URLSearchParams(new FormData(form));
    const answer = await fetch(form.action, {{ method: "POST", body }});
    if (answer.ok) {{
      status.textContent = "Thank you, we will get back to you.";
      form.reset();
      id.value = crypto.randomUUID();
    }} else {{
      const error = await answer.json().catch(() => ({{ error: "please try again" }}));
      status.textContent = "Not sent: " + error.error;
    }}
  }});
</script>
</body></html>
"""


def embed_router(config: SwitchboardConfig) -> APIRouter:
    router = APIRouter(prefix="/channels", tags=["channels"])

    @router.get("/webform/{form_id}/embed", response_class=HTMLResponse)
    async def embed(form_id: str) -> HTMLResponse:
        """An HTML form posting to this form's endpoint, with a honeypot field."""
        form = config.form(form_id)
        if form is None:
            raise HTTPException(404, f"unknown form {form_id!r}")
        page = TEMPLATE.format(
            title=escape(form.name or form.id),
            action=f"/channels/webform/{escape(form.id)}",
            honeypot=HONEYPOT_FIELD,
        )
        return HTMLResponse(page)

    return router
