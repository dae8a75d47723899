// A follow-up on the held contact: the holder promises a call back or a write back at a
// wall-clock time in the customer's time zone (POST /api/contacts/{id}/follow-ups). The
// zone starts as the desk's own; the agent sets the customer's.
import { api, el, say } from "/ui/common.js";
import { t } from "/ui/i18n.js";

export function followUpControl(contact, me) {
  const form = el("form", { class: "inline follow-up" });
  if (contact.status !== "accepted" || contact.agent_id !== me) {
    form.hidden = true;
    return form;
  }
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
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { kind: kind.value, local_time: when.value, time_zone: zone.value.trim(), note: note.value };
    try {
      await api("POST", `/api/contacts/${contact.contact_id}/follow-ups`, body);
      say(t("follow_up.scheduled"));
      form.reset();
    } catch (error) {
      say(t("follow_up.failed", { error: error.message }));
    }
  });
  return form;
}
