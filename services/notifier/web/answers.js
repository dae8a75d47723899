// Standard answers in the desk's composer: typing "/" lists the answers whose shortcut
// matches; Tab, Enter or a click fills the chosen one for this contact (the server renders
// it from the customer's card) in place of the "/shortcut" for the agent to read and send.
import { api, el, say, show } from "/ui/common.js";
import { t } from "/ui/i18n.js";

const $ = (id) => document.getElementById(id);
const state = { contact: null, templates: null };
const SLASH = /^\/([a-z0-9_-]*)$/;

// The conversation the composer answers (a ContactView), or null.
export function answersFor(contact) {
  state.contact = contact;
  show($("answer-suggestions"), false);
}

async function templates() {
  if (state.templates === null) state.templates = await api("GET", "/api/answer-templates").catch(() => []);
  return state.templates;
}

function matching(all, typed) {
  const channel = state.contact ? state.contact.channel : null;
  const seen = new Map();
  for (const tpl of all) {
    if (!tpl.shortcut.startsWith(typed)) continue;
    if (tpl.channel !== "*" && tpl.channel !== channel) continue;
    if (!seen.has(tpl.shortcut)) seen.set(tpl.shortcut, tpl);
  }
  return [...seen.values()].slice(0, 8);
}

async function suggest() {
  const box = $("answer-suggestions");
  const found = SLASH.exec($("reply-text").value);
  if (!found || !state.contact) {
    show(box, false);
    return;
  }
  const list = matching(await templates(), found[1]);
  box.replaceChildren(
    ...list.map((tpl) =>
      el("li", {}, el("button", { type: "button", class: "link", dataset: { shortcut: tpl.shortcut }, onclick: () => fill(tpl.shortcut) }, `/${tpl.shortcut}`, " — ", tpl.title)),
    ),
  );
  show(box, list.length > 0);
}

async function fill(shortcut) {
  const contact = state.contact;
  if (!contact) return;
  try {
    const answer = await api("POST", `/api/contacts/${contact.contact_id}/answers`, {
      shortcut,
      channel: contact.channel,
      language: contact.language || undefined,
    });
    $("reply-text").value = answer.text;
    state.templates = null; // its use count changed
    show($("answer-suggestions"), false);
    $("reply-text").focus();
  } catch (error) {
    say(t("answers.not_filled", { shortcut, error: error.message }));
  }
}

$("reply-text").addEventListener("input", suggest);
$("reply-text").addEventListener("keydown", (event) => {
  if (event.key !== "Tab" && event.key !== "Enter") return;
  const found = SLASH.exec($("reply-text").value);
  if (!found || !found[1]) return;
  event.preventDefault();
  const [first] = matching(state.templates || [], found[1]);
  fill(first ? first.shortcut : found[1]);
});

// The conversation the composer answers now (for the document form on the same panel).
export function currentContact() {
  return state.contact;
}
