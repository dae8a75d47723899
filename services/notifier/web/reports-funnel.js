// Lead sources: contacts -> answered -> resolved -> converted, one row of bars per source.
import { svgEl } from "/ui/common.js";
import { number, t } from "/ui/i18n.js";

const W = 640;
const ROW = 34;
const LABEL = 150;

export function drawFunnel(node, rows) {
  const shown = rows.slice(0, 10);
  const most = Math.max(1, ...shown.map((r) => r.contacts));
  const scale = (n) => ((W - LABEL - 60) * n) / most;
  const lines = shown.flatMap((r, i) => {
    const y = 8 + i * ROW;
    const rate = r.conversion_rate === null ? "–" : number(r.conversion_rate, { style: "percent" });
    return [
      svgEl("text", { x: 0, y: y + 14 }, (r.source || t("reports.none")).slice(0, 22)),
      svgEl("rect", { class: "bar-contacts", x: LABEL, y, width: scale(r.contacts), height: 8 }),
      svgEl("rect", { class: "bar-answered", x: LABEL, y: y + 9, width: scale(r.resolved), height: 8 }),
      svgEl("rect", { class: "bar-converted", x: LABEL, y: y + 18, width: scale(r.converted), height: 8 }),
      svgEl("text", { x: LABEL + scale(r.contacts) + 6, y: y + 14 }, `${r.contacts} · ${rate}`),
    ];
  });
  node.replaceChildren(
    svgEl(
      "svg",
      { viewBox: `0 0 ${W} ${Math.max(ROW, shown.length * ROW + 8)}`, role: "img", "aria-label": t("reports.funnel_label", { count: shown.length }) },
      lines,
    ),
  );
}
