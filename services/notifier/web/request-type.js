// What the contact is about (routing.request_types): shown on the held contact, and the
// holder may change it. Hidden when no types are configured.
import { api, el, say, show } from "/ui/common.js";
import { t } from "/ui/i18n.js";

let types = null; // read once per page: the configuration does not change while it runs

export function requestTypeControl(contact, me, done) {
  const form = el("form", { class: "inline request-type", hidden: true });
  if (contact.status !== "accepted" || contact.agent_id !== me) return form;
  fill(form, contact, done).catch(() => null);
  return form;
}

async function fill(form, contact, done) {
  if (types === null) types = await api("GET", "/api/request-types");
  if (!types.length) return;
  const select = el(
    "select",
    { id: "request-type", name: "request_type" },
    el("option", { value: "" }, t("request_type.none")),
    types.map((name) => el("option", { value: name, selected: name === contact.request_type }, name)),
  );
  form.replaceChildren(
    el("label", { for: "request-type" }, t("request_type.label")),
    select,
    el("button", { type: "submit", class: "secondary" }, t("request_type.change")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", `/api/contacts/${contact.contact_id}/request-type`, { request_type: select.value || null });
      say(t("request_type.changed"));
    } catch (error) {
      say(t("request_type.failed", { error: error.message }));
    }
    await done();
  });
  show(form, true);
}
