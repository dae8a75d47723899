// The desk's documents: generate one for the open contact from a document template, and
// "My requests": each document I asked for with its approval's state, who is asked now, the
// PDF, and what I can do next (ask for approval, revise after a rejection, send).
import { api, el, say, show } from "/ui/common.js";
import { t, tValue } from "/ui/i18n.js";
import { currentContact } from "/ui/answers.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 5000; // delegations and climbs are not pushed to the requester: read again meanwhile
let poll = null;

export async function startMyRequests() {
  const templates = await api("GET", "/api/document-templates").catch(() => []);
  $("document-template").replaceChildren(...templates.map((tpl) => el("option", { value: tpl.name }, tpl.name)));
  show($("document-form"), templates.length > 0);
  await refreshMyRequests();
  poll = window.setInterval(refreshMyRequests, POLL_MS);
}

export function stopMyRequests() {
  window.clearInterval(poll);
}

export async function refreshMyRequests() {
  const mine = await api("GET", "/api/documents/mine").catch(() => []);
  show($("no-requests"), mine.length === 0);
  $("my-requests").replaceChildren(...mine.map(item));
}

function stateOf(doc) {
  if (doc.send) return tValue("document_send", doc.send.status);
  if (!doc.approval) return t("documents.draft");
  const state = tValue("document_state", doc.approval.state);
  return doc.approval.approvers.length ? `${state}: ${doc.approval.approvers.join(", ")}` : state;
}

function item(doc) {
  const d = `/api/documents/${doc.document_id}`;
  const state = doc.approval ? doc.approval.state : null;
  const actions = [];
  if (!doc.send && (!state || state === "rejected")) {
    actions.push(el("button", { type: "button", class: "secondary", onclick: () => act(`${d}/submit`, t("documents.submitted")) }, t("documents.submit")));
  }
  if (!doc.send && state === "approved") {
    actions.push(el("button", { type: "button", onclick: () => act(`${d}/send`, t("documents.sending")) }, t("documents.send_it")));
  }
  if (state === "rejected") {
    actions.push(el("button", { type: "button", class: "secondary", onclick: () => revise(doc) }, t("documents.revise")));
  }
  return el(
    "li",
    { class: "document", dataset: { documentId: doc.document_id } },
    el("p", {}, el("strong", {}, doc.title), ` · v${doc.version} · `, el("span", { class: "state" }, stateOf(doc))),
    el("p", {}, el("a", { href: `${d}/versions/${doc.version}.pdf`, target: "_blank", rel: "noopener" }, t("documents.pdf"))),
    ...actions,
  );
}

async function act(path, done, body) {
  try {
    await api("POST", path, body);
    say(done);
    await refreshMyRequests();
  } catch (error) {
    say(t("documents.not_done", { error: error.message }));
  }
}

function revise(doc) {
  const text = window.prompt(t("documents.revise_prompt"), doc.text);
  if (text) act(`/api/documents/${doc.document_id}/revise`, t("documents.revised"), { text, amount: doc.amount });
}

$("document-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const contact = currentContact();
  if (!contact) return;
  const amount = $("document-amount").value;
  const body = { template: $("document-template").value, channel: contact.channel };
  if (amount !== "") body.amount = Number(amount);
  await act(`/api/contacts/${contact.contact_id}/documents`, t("documents.generated"), body);
});
