// Supervisors subscribe to a daily or weekly e-mailed report (at a time in their zone),
// see their subscriptions and cancel them.
import { api, el, say, show } from "/ui/common.js";
import { t, tValue } from "/ui/i18n.js";

const $ = (id) => document.getElementById(id);

export async function showSubscriptions(session) {
  const may = session.role === "supervisor" || session.role === "admin";
  show($("subscribe-section"), may);
  if (!may) return;
  const mine = await api("GET", "/api/reports/subscriptions");
  $("subscriptions").replaceChildren(
    ...mine.map((s) =>
      el(
        "li",
        { class: "failure" },
        t("reports.subscription", { cadence: tValue("reports.cadence", s.cadence), at: s.at.slice(0, 5), zone: s.time_zone }),
        " ",
        el("button", { type: "button", class: "link", onclick: () => cancel(session, s.subscription_id) }, t("reports.unsubscribe")),
      ),
    ),
  );
}

async function cancel(session, id) {
  await api("DELETE", `/api/reports/subscriptions/${id}`);
  await showSubscriptions(session);
}

export function wireSubscribe(session, timeZone) {
  $("subscribe").onsubmit = async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      await api("POST", "/api/reports/subscriptions", {
        cadence: form.elements.cadence.value,
        at: form.elements.at.value,
        time_zone: timeZone(),
      });
      say(t("reports.subscribed"));
      await showSubscriptions(session);
    } catch (error) {
      say(t("reports.failed", { error: error.message }));
    }
  };
}
