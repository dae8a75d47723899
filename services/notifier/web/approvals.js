// The console's "Needs my approval": documents whose current step asks me, with their text
// and PDF; approve (a comment optional), reject (the comment says why: required), or hand it
// to someone else while away (delegate).
import { api, el, say, show } from "/ui/common.js";
import { number, t } from "/ui/i18n.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 30000; // pushes say when to re-read; this catches a push lost to a reconnect
let poll = null;

export async function startApprovals() {
  await refreshApprovals();
  poll = window.setInterval(refreshApprovals, POLL_MS);
}

export function stopApprovals() {
  window.clearInterval(poll);
}

export async function refreshApprovals() {
  const waiting = await api("GET", "/api/approvals/waiting").catch(() => []);
  show($("no-approvals"), waiting.length === 0);
  $("approvals").replaceChildren(...waiting.map(card));
}

function card(doc) {
  const d = `/api/documents/${doc.document_id}`;
  const comment = el("input", { name: "comment", "aria-label": t("approvals.comment"), placeholder: t("approvals.comment") });
  const amount = doc.amount === null ? "" : ` · ${number(doc.amount)}`;
  const step = t("approvals.step", { step: doc.approval.step + 1, steps: doc.approval.steps });
  return el(
    "li",
    { class: "card approval", dataset: { documentId: doc.document_id } },
    el("p", {}, el("strong", {}, doc.title), ` · v${doc.version}${amount} · ${t("approvals.from", { person: doc.requester })} · ${step}`),
    el("p", { class: "text" }, doc.text),
    el("p", {}, el("a", { href: `${d}/versions/${doc.version}.pdf`, target: "_blank", rel: "noopener" }, t("documents.pdf"))),
    comment,
    " ",
    el("button", { type: "button", onclick: () => decide(`${d}/approve`, { comment: comment.value || null }, t("approvals.approved")) }, t("approvals.approve")),
    " ",
    el(
      "button",
      {
        type: "button",
        class: "secondary",
        onclick: () => {
          if (!comment.value.trim()) {
            say(t("approvals.comment_required"));
            comment.focus();
            return;
          }
          decide(`${d}/reject`, { comment: comment.value }, t("approvals.rejected"));
        },
      },
      t("approvals.reject"),
    ),
    " ",
    delegation(d),
  );
}

function delegation(d) {
  const to = el("input", { name: "to", size: 10, "aria-label": t("approvals.delegate_to"), placeholder: t("approvals.delegate_to") });
  const button = el("button", { type: "button", class: "secondary", onclick: () => to.value.trim() && decide(`${d}/delegate`, { to: to.value.trim() }, t("approvals.delegated", { person: to.value.trim() })) }, t("approvals.delegate"));
  return el("span", { class: "delegation" }, to, " ", button);
}

async function decide(path, body, done) {
  try {
    await api("POST", path, body);
    say(done);
    await refreshApprovals();
  } catch (error) {
    say(t("documents.not_done", { error: error.message }));
  }
}
