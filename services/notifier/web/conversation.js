// The conversation panel of the desk: the transcript of the contact the agent works on (both
// ways, in order, with channel, time, delivery status and attachments), earlier messages on
// demand, and the conversation's states (pending on the customer, snoozed, open again).
import { api, el, say, show, time } from "/ui/common.js";
import { dateTime, instantOf, t, tValue } from "/ui/i18n.js";
import { answersFor } from "/ui/answers.js";

const PAGE = 30;
const $ = (id) => document.getElementById(id);
const panel = { contact: null, messages: [], changed: async () => {} };

// Shows `contact` (a ContactView); `changed` runs after the agent changed its state.
export async function showConversation(contact, changed) {
  const same = panel.contact && panel.contact.contact_id === contact.contact_id;
  panel.contact = contact;
  panel.changed = changed;
  answersFor(contact);
  const latest = await api("GET", `/api/contacts/${contact.contact_id}/messages?limit=${PAGE}`);
  // Closed (the agent completed it) or redrawn while its messages came: drawing this one now
  // would reopen a closed panel, or read a contact no longer there (CI saw that TypeError).
  if (panel.contact !== contact) return;
  // Keep earlier pages the agent already opened when the same conversation is redrawn.
  const older = same ? panel.messages.filter((m) => latest.length && m.seq < latest[0].seq) : [];
  panel.messages = [...older, ...latest];
  render(latest.length === PAGE);
  renderState();
  // Only a held contact is read: one completed or offered again since answers 409, which the
  // browser logs as an error (CI saw one under load in test_an_sms_conversation_on_the_desk).
  if (contact.unread > 0 && contact.status === "accepted") {
    await api("POST", `/api/contacts/${contact.contact_id}/read`).catch(() => null);
  }
}

export function hideConversation() {
  panel.contact = null;
  panel.messages = [];
  answersFor(null);
}

async function earlier() {
  if (!panel.contact || !panel.messages.length) return;
  const before = panel.messages[0].seq;
  const page = await api("GET", `/api/contacts/${panel.contact.contact_id}/messages?before=${before}&limit=${PAGE}`);
  panel.messages = [...page, ...panel.messages];
  render(page.length === PAGE);
  const first = $("transcript").querySelector("li");
  if (first) first.focus();
}

function render(mayHaveMore) {
  const items = panel.messages.map(messageItem);
  $("transcript").replaceChildren(...items);
  show($("earlier"), mayHaveMore);
  // The newest message in view, without moving the page around it.
  const list = $("transcript");
  list.scrollTop = list.scrollHeight;
}

function messageItem(m) {
  const who = m.direction === "in" ? t("conversation.customer") : m.agent_id || t("conversation.agent");
  const status = m.direction === "out" ? ` · ${tValue("message_status", m.status)}` : "";
  const automatic = m.automatic ? ` · ${t("conversation.automatic")}` : "";
  return el(
    "li",
    { class: `message ${m.direction}${m.status === "failed" ? " failed" : ""}`, tabindex: "-1", dataset: { seq: m.seq } },
    el("p", { class: "meta" }, `${who} · ${m.channel} · ${time(m.at)}${status}${automatic}`),
    m.subject ? el("p", { class: "subject" }, m.subject) : null,
    el("p", { class: "text" }, m.text),
    m.attachments.length
      ? el(
          "ul",
          { class: "attachments" },
          m.attachments.map((a) =>
            el("li", {}, a.url ? el("a", { href: a.url, rel: "noopener noreferrer", target: "_blank" }, a.name || a.content_type) : a.name || a.content_type),
          ),
        )
      : null,
  );
}

function renderState() {
  const c = panel.contact;
  const held = c.status === "accepted";
  const label = {
    open: t("conversation.open"),
    pending: c.resolve_at
      ? t("conversation.pending_until", { time: time(c.resolve_at) })
      : t("conversation.pending"),
    snoozed: t("conversation.snoozed_until", { time: time(c.snoozed_until) }),
  }[c.conversation];
  const count = t("conversation.messages", { count: c.message_count });
  $("conversation-state").textContent = `${label || tValue("contact_status", c.status)} · ${count}`;
  show($("set-pending"), held && c.conversation === "open");
  show($("snooze"), held && c.conversation !== "snoozed");
  show($("resume"), held && (c.conversation === "pending" || c.conversation === "snoozed"));
}

async function act(path, body, done) {
  if (!panel.contact) return;
  try {
    panel.contact = await api("POST", `/api/contacts/${panel.contact.contact_id}/${path}`, body);
    say(done);
    renderState();
    await panel.changed();
  } catch (error) {
    say(t("conversation.not_done", { error: error.message }));
  }
}

$("earlier").addEventListener("click", earlier);
$("set-pending").addEventListener("click", () => act("pending", undefined, t("conversation.pending_done")));
$("resume").addEventListener("click", () => act("resume", undefined, t("conversation.resumed")));
$("snooze").addEventListener("submit", (event) => {
  event.preventDefault();
  const local = $("snooze-until").value;
  if (!local) return;
  // The input is the agent's wall time (in their time zone); the API wants an instant.
  const until = instantOf(local);
  act("snooze", { until: until.toISOString() }, t("conversation.snoozed_until", { time: dateTime(until) }));
});
