// The customer card, their timeline, and notes and tags on them: shared by the desk (the
// screen pop and the contact being worked) and the console (search, merge suggestions).
import { api, el, say, time } from "/ui/common.js";
import { date, t, tValue } from "/ui/i18n.js";

export async function customerCard(customerId) {
  if (!customerId) return el("p", { class: "muted" }, t("customer.not_identified"));
  try {
    return cardOf(await api("GET", `/api/customers/${customerId}`));
  } catch (error) {
    return el("p", { class: "error" }, t("customer.card_failed", { error: error.message }));
  }
}

export function cardOf(customer) {
  const fact = (label, value, cls) =>
    value ? [el("dt", {}, label), el("dd", { class: cls }, value)] : null;
  const last = (customer.last_contacts || [])
    .slice(0, 3)
    .map((c) => `${c.agent_id} (${date(c.at)})`)
    .join(", ");
  return el(
    "dl",
    { class: "card-facts", "aria-label": t("customer.customer") },
    fact(t("customer.customer"), customer.name || t("customer.no_name"), "customer-name"),
    fact(t("customer.identities"), identitiesOf(customer), "identities"),
    fact(t("customer.organization"), customer.organization && customer.organization.name),
    fact(t("customer.reason"), customer.reason),
    fact(t("customer.tier"), customer.tier, "tier"),
    fact(t("customer.owner"), ownerOf(customer), "owner"),
    fact(t("customer.tags"), (customer.tags || []).join(", "), "tags"),
    fact(t("customer.served_by"), last),
    fact(t("customer.notes"), notesOf(customer), "notes"),
  );
}

// Each identity with how a channel vouched for it: an unverified one (typed into a form,
// an unattested caller ID) may belong to someone else.
function identitiesOf(customer) {
  const identities = customer.identities || [];
  if (!identities.length) return null;
  const how = customer.verified_by || {};
  return el(
    "ul",
    { class: "identity-list" },
    identities.map((i) => {
      const verified = how[i] && how[i] !== "unverified";
      const label = verified ? t("customer.verified_by", { how: tValue("verification", how[i]) }) : t("customer.unverified");
      return el("li", { class: verified ? "verified" : "unverified" }, `${i} `, el("span", { class: "muted" }, `(${label})`));
    }),
  );
}

// An owner inherited from the customer's organization says so.
function ownerOf(customer) {
  if (!customer.owner_id) return null;
  return customer.owner_via === "organization" ? t("customer.owner_via_organization", { owner: customer.owner_id }) : customer.owner_id;
}

function notesOf(customer) {
  const notes = customer.notes || [];
  if (!notes.length) return null;
  return el(
    "ul",
    { class: "note-list" },
    notes.map((n) => el("li", {}, el("span", { class: "muted" }, `${n.by}, ${time(n.at)}: `), n.text)),
  );
}

// Forms to add a note or a tag and to remove a tag; `changed` re-renders after each.
export function customerTools(customerId, customer, changed) {
  const note = el("textarea", { id: "note-text", rows: 2, maxlength: 4000, required: true });
  const tagInput = el("input", { id: "tag-text", pattern: "[a-z0-9][a-z0-9_\\-]{0,31}", required: true, size: 14 });
  const act = async (what, call) => {
    try {
      await call();
      say(t(what));
      await changed();
    } catch (error) {
      say(t("customer.failed", { what: t(what), error: error.message }));
    }
  };
  return el(
    "div",
    { class: "customer-tools" },
    el(
      "form",
      {
        class: "note-form",
        onsubmit: (event) => {
          event.preventDefault();
          act("customer.note_added", () => api("POST", `/api/customers/${customerId}/notes`, { text: note.value.trim() }));
        },
      },
      el("label", { for: "note-text" }, t("customer.note_label")),
      note,
      el("button", { type: "submit", class: "secondary" }, t("customer.add_note")),
    ),
    el(
      "form",
      {
        class: "inline tag-form",
        onsubmit: (event) => {
          event.preventDefault();
          act("customer.tag_added", () => api("POST", `/api/customers/${customerId}/tags`, { tag: tagInput.value.trim() }));
        },
      },
      el("label", { for: "tag-text" }, t("customer.tag_label")),
      tagInput,
      el("button", { type: "submit", class: "secondary" }, t("customer.add_tag")),
      (customer.tags || []).map((tag) =>
        el(
          "button",
          {
            type: "button",
            class: "link",
            "aria-label": t("customer.remove_tag", { tag }),
            onclick: () =>
              act("customer.tag_removed", () => api("DELETE", `/api/customers/${customerId}/tags/${encodeURIComponent(tag)}`)),
          },
          `× ${tag}`,
        ),
      ),
    ),
  );
}

export function timelineItems(entries) {
  return entries.map((entry) =>
    el(
      "li",
      { class: `entry kind-${entry.kind}` },
      el("time", { datetime: entry.at }, time(entry.at)),
      " ",
      el("span", { class: "kind" }, tValue("kind", entry.kind)),
      entry.channel ? el("span", { class: "channel" }, ` · ${entry.channel}`) : null,
      el("div", { class: "entry-summary" }, entry.summary),
      recordingLink(entry),
    ),
  );
}

// A call's recording: served to signed-in staff by Switchboard (never Twilio's own URL).
function recordingLink(entry) {
  const link = entry.kind === "CallRecorded" && entry.data ? String(entry.data.link || "") : "";
  if (!link.startsWith("/channels/twilio/voice/recordings/")) return null;
  const seconds = entry.data.duration_seconds;
  return el("a", { href: link }, `Recording${seconds ? ` (${seconds} s)` : ""}`);
}

export async function timeline(customerId, limit) {
  if (!customerId) return [];
  try {
    return await api("GET", `/api/customers/${customerId}/timeline?limit=${limit}`);
  } catch (error) {
    return [];
  }
}
