// The console's SLA board: contacts of the supervisor's people (and nobody's) that are at
// risk (a warning went out) or in breach, breached first, each with who holds it and how
// long past or before its due time.
import { api, el, show, time } from "/ui/common.js";
import { duration, t, tValue } from "/ui/i18n.js";

const $ = (id) => document.getElementById(id);

export async function refreshSlaBoard() {
  const panel = $("sla-panel");
  if (!panel) return;
  let rows = [];
  try {
    rows = await api("GET", "/api/sla/board");
  } catch (error) {
    rows = [];
  }
  $("sla-board").replaceChildren(...rows.map(row));
  show($("no-sla"), rows.length === 0);
}

function row(r) {
  const left = Math.round((new Date(r.due_at) - Date.now()) / 1000);
  const when = left > 0 ? t("sla.due_in", { time: duration(left) }) : t("sla.late_by", { time: duration(Math.max(0, -left)) });
  return el(
    "tr",
    { class: r.state === "breached" ? "overdue" : "urgent", dataset: { contact: r.contact_id } },
    el("td", {}, tValue("sla_state", r.state)),
    el("td", { title: `${r.channel} · ${r.queue} · ${r.policy}` }, tValue("sla_metric", r.metric)),
    el("td", {}, r.holder_id || t("sla.nobody")),
    el("td", { title: time(r.due_at) }, when),
    el("td", {}, el("a", { href: `/console?contact=${encodeURIComponent(r.contact_id)}` }, t("sla.open"))),
  );
}
