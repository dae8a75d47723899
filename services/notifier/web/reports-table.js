// The figures per bucket and group; each count opens the contacts behind it (drill-down).
import { api, el, show } from "/ui/common.js";
import { number, t, tValue } from "/ui/i18n.js";

const COLUMNS = [
  ["contacts", "count"],
  ["answered", "count"],
  ["abandonment_rate", "rate"],
  ["service_level", "rate"],
  ["average_speed_of_answer_seconds", "seconds"],
  ["first_response_p90_seconds", "seconds"],
  ["average_handle_time_seconds", "seconds"],
  ["resolved", "count"],
  ["conversion_rate", "rate"],
];

function shown(value, kind) {
  if (value === null || value === undefined) return "–";
  if (kind === "rate") return number(value, { style: "percent", maximumFractionDigits: 1 });
  if (kind === "seconds") return number(value, { maximumFractionDigits: 1 });
  return number(value);
}

export function metricsTable(node, rows, groupBy) {
  const head = el(
    "tr",
    {},
    el("th", { scope: "col" }, t("report_col.bucket")),
    groupBy.map((g) => el("th", { scope: "col" }, tValue("report_group", g))),
    COLUMNS.map(([name]) => el("th", { scope: "col", class: "num" }, tValue("report_col", name))),
  );
  const body = rows.map((r) =>
    el(
      "tr",
      {},
      el("td", {}, r.bucket.slice(0, 16).replace("T", " ")),
      groupBy.map((g) => el("td", {}, r[g] ?? t("reports.none"))),
      COLUMNS.map(([name, kind]) =>
        el(
          "td",
          { class: "num" },
          kind === "count"
            ? el("button", { type: "button", class: "link", onclick: () => drill(r.contacts_url) }, shown(r[name], kind))
            : shown(r[name], kind),
        ),
      ),
    ),
  );
  node.replaceChildren(el("thead", {}, head), el("tbody", {}, body));
}

const DRILL = ["opened_at", "channel", "source", "campaign", "queue", "last_agent", "wait_seconds", "disposition"];

async function drill(url, after = null, append = false) {
  const table = document.getElementById("drill");
  const more = document.getElementById("drill-more");
  const page = await api("GET", after ? `${url}&after=${encodeURIComponent(after)}` : url);
  const rows = page.rows.map((r) => el("tr", {}, DRILL.map((c) => el("td", {}, r[c] ?? "–"))));
  if (append) table.tBodies[0].append(...rows);
  else {
    const head = el("tr", {}, DRILL.map((c) => el("th", { scope: "col" }, tValue("report_col", c))));
    table.replaceChildren(el("thead", {}, head), el("tbody", {}, rows));
  }
  show(document.getElementById("drill-section"), true);
  show(more, Boolean(page.next));
  more.onclick = () => drill(url, page.next, true);
  document.getElementById("drill-title").scrollIntoView();
}
