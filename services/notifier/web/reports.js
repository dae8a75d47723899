// The reports page: filters, then each panel (its own module) draws from /api/reports.
// Agents see their own figures, supervisors their team's, admins everyone's: the API
// scopes, the page shows what it gets.
import { api, currentSession, say, show, signOut, wireSignIn } from "/ui/common.js";
import { t, tValue, useLocale } from "/ui/i18n.js";
import { agentTable } from "/ui/reports-agents.js";
import { drawChart } from "/ui/reports-chart.js";
import { drawFunnel } from "/ui/reports-funnel.js";
import { showSubscriptions, wireSubscribe } from "/ui/reports-subscriptions.js";
import { metricsTable } from "/ui/reports-table.js";

const $ = (id) => document.getElementById(id);

function defaults() {
  const end = new Date();
  const start = new Date(end.getTime() - 6 * 86400 * 1000);
  const day = (d) => d.toISOString().slice(0, 10);
  $("f-start").value = day(start);
  $("f-end").value = day(new Date(end.getTime() + 86400 * 1000));
  $("f-tz").value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

// The form as query parameters: empty fields are left out.
function query() {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData($("filters"))) {
    if (String(value).trim()) params.set(name, String(value).trim());
  }
  return params;
}

async function refresh() {
  const params = query();
  $("report-error").textContent = "";
  $("export-metrics").href = `/api/reports/metrics.csv?${params}`;
  $("export-contacts").href = `/api/reports/contacts.csv?${params}`;
  const groupBy = params.get("group_by") || "";
  try {
    const [metrics, funnel, agents] = await Promise.all([
      api("GET", `/api/reports/metrics?${params}`),
      api("GET", `/api/reports/funnel?${params}`),
      api("GET", `/api/reports/agents?${params}`),
    ]);
    drawChart($("chart"), metrics.rows);
    drawFunnel($("funnel"), funnel.rows);
    metricsTable($("metrics"), metrics.rows, groupBy ? [groupBy] : []);
    agentTable($("agent-time"), agents.rows);
    say(t("reports.shown", { count: metrics.rows.length }));
  } catch (error) {
    $("report-error").textContent = t("reports.failed", { error: error.message });
  }
}

async function start(session) {
  await useLocale(session.locale, session.time_zone);
  $("user-name").textContent = `${session.user} (${tValue("role", session.role)})`;
  show($("sign-in-section"), false);
  show($("who"), true);
  show($("reports"), true);
  if (session.time_zone) $("f-tz").value = session.time_zone;
  wireSubscribe(session, () => $("f-tz").value || "UTC");
  await Promise.all([refresh(), showSubscriptions(session)]);
}

$("filters").addEventListener("submit", async (event) => {
  event.preventDefault();
  await refresh();
});
$("sign-out").addEventListener("click", async () => {
  await signOut();
  location.reload();
});
wireSignIn($("sign-in"), start);
defaults();
currentSession().then(async (session) => {
  if (session) await start(session);
  else {
    await useLocale(null);
    show($("sign-in-section"), true);
  }
});
