// Contacts and answered per bucket, as SVG bars drawn here (no library, nothing fetched).
import { svgEl } from "/ui/common.js";
import { t } from "/ui/i18n.js";

const W = 640;
const H = 220;
const PAD = 28;

// Groups of one bucket add up: the chart shows the whole per bucket.
function perBucket(rows) {
  const totals = new Map();
  for (const r of rows) {
    const b = totals.get(r.bucket) || { contacts: 0, answered: 0, converted: 0 };
    b.contacts += r.contacts;
    b.answered += r.answered;
    b.converted += r.converted;
    totals.set(r.bucket, b);
  }
  return [...totals.entries()];
}

export function drawChart(node, rows) {
  const buckets = perBucket(rows);
  const most = Math.max(1, ...buckets.map(([, b]) => b.contacts));
  const slot = (W - PAD * 2) / Math.max(1, buckets.length);
  const y = (n) => H - PAD - ((H - PAD * 2) * n) / most;
  const bars = buckets.flatMap(([bucket, b], i) => {
    const x = PAD + i * slot;
    const width = Math.min(40, Math.max(2, slot * 0.4));
    const label = `${bucket.slice(0, 16)}: ${b.contacts} / ${b.answered}`;
    return [
      svgEl("rect", { class: "bar-contacts", x, y: y(b.contacts), width, height: H - PAD - y(b.contacts) }, svgEl("title", {}, label)),
      svgEl("rect", { class: "bar-answered", x: x + width, y: y(b.answered), width, height: H - PAD - y(b.answered) }, svgEl("title", {}, label)),
      buckets.length <= 12 ? svgEl("text", { x, y: H - PAD + 14 }, bucket.slice(5, 10)) : null,
    ];
  });
  node.replaceChildren(
    svgEl(
      "svg",
      { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": t("reports.chart_label", { count: buckets.length }) },
      svgEl("line", { class: "axis", x1: PAD, y1: H - PAD, x2: W - PAD, y2: H - PAD }),
      svgEl("text", { x: 2, y: PAD }, String(most)),
      bars,
      svgEl("rect", { class: "bar-contacts", x: W - 190, y: 4, width: 10, height: 10 }),
      svgEl("text", { x: W - 176, y: 13 }, t("report_col.contacts")),
      svgEl("rect", { class: "bar-answered", x: W - 100, y: 4, width: 10, height: 10 }),
      svgEl("text", { x: W - 86, y: 13 }, t("report_col.answered")),
    ),
  );
}
