// The desk's SLA countdowns: beside each held contact, the time left on its nearest open
// target (first response, next response, resolution) in business time as the SLA service
// computed it, "paused" while the customer has the next move, and "overdue" once missed.
import { api, el } from "/ui/common.js";
import { duration, t, tValue } from "/ui/i18n.js";

const REFRESH_MS = 15000;
const views = new Map(); // contact id -> the SLA service's view
let timer = null;

// An empty badge for a contact; `loadSla` fills every one on the page.
export function slaBadge(contactId) {
  return el("span", { class: "sla-countdown", dataset: { slaContact: contactId } });
}

export async function loadSla(me) {
  window.clearTimeout(timer);
  if (!me) return;
  try {
    const held = await api("GET", `/api/sla/agents/${encodeURIComponent(me)}`);
    views.clear();
    for (const view of held) views.set(view.contact_id, view);
  } catch (error) {
    views.clear(); // no SLA service on this origin, or none applies: no countdowns
  }
  tickSla();
  timer = window.setTimeout(() => loadSla(me), REFRESH_MS);
}

// The nearest open target: [metric, due (Date) or null while paused].
function nearest(view) {
  const open = Object.entries(view.deadlines);
  const running = open.filter(([, due]) => due).map(([metric, due]) => [metric, new Date(due)]);
  running.sort((a, b) => a[1] - b[1]);
  if (running.length) return running[0];
  return open.length ? [open[0][0], null] : null;
}

export function tickSla() {
  for (const node of document.querySelectorAll(".sla-countdown")) {
    const view = views.get(node.dataset.slaContact);
    const next = view ? nearest(view) : null;
    node.classList.remove("urgent", "overdue");
    if (!next) {
      node.textContent = "";
      continue;
    }
    const [metric, due] = next;
    const what = tValue("sla_metric", metric);
    if (due === null) {
      node.textContent = ` · ${t("sla.paused", { metric: what })}`;
      continue;
    }
    const left = Math.round((due - Date.now()) / 1000);
    node.textContent = ` · ${left > 0 ? t("sla.left", { metric: what, time: duration(left) }) : t("sla.overdue", { metric: what, time: duration(Math.max(0, -left)) })}`;
    node.classList.toggle("overdue", left <= 0);
    node.classList.toggle("urgent", left > 0 && left <= 300);
  }
}

window.setInterval(tickSla, 1000);
