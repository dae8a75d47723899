// A follow-up on the held contact: the holder promises a call back or a write back at a
// wall-clock time in the customer's time zone (POST /api/contacts/{id}/follow-ups). The
// zone starts as the desk's own; the agent sets the customer's.
import { api, el, say } from "/ui/common.js";
import { dateTime, t, tValue } from "/ui/i18n.js";

const OPEN = new Set(["scheduled", "due", "queued"]);

export function followUpControl(contact, me) {
  const form = el("form", { class: "inline follow-up" });
  if (contact.status !== "accepted" || contact.agent_id !== me) {
    form.hidden = true;
    return form;
  }
  const list = el("ul", { class: "follow-ups", "aria-label": t("follow_up.mine") });
  const refresh = () => listMine(list, me).catch(() => null);
  const kind = el(
    "select",
    { id: "follow-up-kind", name: "kind" },
    el("option", { value: "call" }, t("follow_up.call")),
    el("option", { value: "write" }, t("follow_up.write")),
  );
  const when = el("input", { id: "follow-up-when", name: "local_time", type: "datetime-local", required: true });
  const zone = el("input", {
    id: "follow-up-zone",
    name: "time_zone",
    value: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
    size: 16,
    required: true,
  });
  const note = el("input", { id: "follow-up-note", name: "note", maxlength: 500 });
  form.replaceChildren(
    el("label", { for: "follow-up-kind" }, t("follow_up.label")),
    kind,
    el("label", { for: "follow-up-when" }, t("follow_up.when")),
    when,
    el("label", { for: "follow-up-zone" }, t("follow_up.zone")),
    zone,
    el("label", { for: "follow-up-note" }, t("follow_up.note")),
    note,
    el("button", { type: "submit", class: "secondary" }, t("follow_up.schedule")),
    list,
  );
  refresh();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { kind: kind.value, local_time: when.value, time_zone: zone.value.trim(), note: note.value };
    try {
      await api("POST", `/api/contacts/${contact.contact_id}/follow-ups`, body);
      say(t("follow_up.scheduled"));
      note.value = "";
      await refresh();
    } catch (error) {
      say(t("follow_up.failed", { error: error.message }));
    }
  });
  return form;
}

// The agent's own follow-ups, soonest first: what became of each; open ones may be cancelled.
async function listMine(list, me) {
  const mine = await api("GET", `/api/agents/${encodeURIComponent(me)}/follow-ups`);
  list.replaceChildren(
    ...mine.map((f) =>
      el(
        "li",
        { class: "follow-up-item" },
        `${dateTime(f.due_at)} · ${tValue("follow_up", f.kind)} · ${tValue("follow_up.status", f.status)}`,
        f.note ? ` · ${f.note}` : "",
        OPEN.has(f.status)
          ? el(
              "button",
              {
                type: "button",
                class: "secondary",
                onclick: async () => {
                  try {
                    await api("DELETE", `/api/follow-ups/${f.follow_up_id}`);
                    say(t("follow_up.cancelled"));
                  } catch (error) {
                    say(t("follow_up.failed", { error: error.message }));
                  }
                  await listMine(list, me);
                },
              },
              t("follow_up.cancel"),
            )
          : null,
      ),
    ),
  );
}
