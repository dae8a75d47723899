// The customer's status page: their request's reference and its stages, the current one
// marked, read with the signed token from the link's fragment (never sent to a server log).
import { api, el, show, time } from "/ui/common.js";
import { t, tValue, useLocale } from "/ui/i18n.js";

const $ = (id) => document.getElementById(id);

async function load() {
  await useLocale(null);
  const token = location.hash.slice(1);
  let status = null;
  try {
    status = token ? await api("GET", `/api/status/${encodeURIComponent(token)}`) : null;
  } catch (error) {
    status = null;
  }
  show($("not-found"), status === null);
  if (status === null) return;
  $("reference").textContent = t("status.reference", { reference: status.reference });
  const reached = status.stages.indexOf(status.stage);
  $("stages").replaceChildren(
    ...status.stages.map((stage, i) =>
      el(
        "li",
        { class: i === reached ? "current" : i < reached ? "done" : "muted", "aria-current": i === reached ? "step" : null },
        tValue("request_stage", stage),
      ),
    ),
  );
  $("since").textContent = status.since ? t("status.since", { time: time(status.since) }) : "";
}

window.addEventListener("hashchange", load);
load();
