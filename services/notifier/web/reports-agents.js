// Per agent: time in each status in the window, and offers they let lapse.
import { el } from "/ui/common.js";
import { duration, number, t, tValue } from "/ui/i18n.js";

const STATUSES = ["available", "busy", "wrap_up", "away", "offline", "not_responding"];

export function agentTable(node, rows) {
  const head = el(
    "tr",
    {},
    el("th", { scope: "col" }, t("report_col.agent")),
    STATUSES.map((s) => el("th", { scope: "col", class: "num" }, tValue("report_status", s))),
    el("th", { scope: "col", class: "num" }, t("report_col.missed")),
  );
  const body = rows.map((r) =>
    el(
      "tr",
      {},
      el("td", {}, r.agent),
      STATUSES.map((s) => el("td", { class: "num" }, duration(Math.round(r.seconds[s] || 0)))),
      el("td", { class: "num" }, number(r.not_responding)),
    ),
  );
  node.replaceChildren(el("thead", {}, head), el("tbody", {}, body));
}
