// The agent desk: status, heartbeat, live offers with a countdown and a screen pop, the
// conversations the agent holds (unread counts, the transcript, reply, states, completion).
import { api, connect, currentSession, el, say, secondsLeft, show, signOut, time, wireSignIn } from "/ui/common.js";
import { showConversation, hideConversation } from "/ui/conversation.js";
import { cardOf, customerTools, timeline, timelineItems } from "/ui/customer.js";
import { loadAccounts, onOwnerNotice, ownerTools } from "/ui/accounts.js";
import { callPanel } from "/ui/call.js";
import { loadSla, slaBadge, tickSla } from "/ui/sla.js";
import { requestTypeControl } from "/ui/request-type.js";
import { followUpControl } from "/ui/follow-ups.js";
import { refreshMyRequests, startMyRequests, stopMyRequests } from "/ui/my-requests.js";
import { languageName, number, t, tValue, useLocale } from "/ui/i18n.js";

const HEARTBEAT_MS = 5000;
const $ = (id) => document.getElementById(id);
const state = { me: null, offers: new Map(), contacts: new Map(), current: null };
let source = null;
let beat = null;

async function start(session) {
  state.me = session.user;
  await useLocale(session.locale, session.time_zone);
  $("user-name").textContent = `${session.user} (${tValue("role", session.role)})`;
  show($("sign-in-section"), false);
  show($("who"), true);
  show($("desk"), true);
  source = connect({
    hello: resync,
    offer: onOffer,
    escalation: resync,
    contact: onContactChange,
    message: onMessage,
    status: (data) => ($("status-select").value = data.status),
    wrapup: resync,
    owner: (push) => onOwnerNotice(push, state.me),
    document: (push) => {
      say(push.summary);
      return refreshMyRequests();
    },
  });
  beat = window.setInterval(heartbeat, HEARTBEAT_MS);
  await heartbeat();
  await startMyRequests();
  $("main").focus();
}

function stop() {
  if (source) source.close();
  window.clearInterval(beat);
  stopMyRequests();
  source = null;
  state.me = null;
  show($("who"), false);
  show($("desk"), false);
  show($("sign-in-section"), true);
  $("user").focus();
}

async function heartbeat() {
  if (!state.me) return;
  try {
    await api("POST", `/api/agents/${state.me}/heartbeat`);
  } catch (error) {
    say(t("desk.heartbeat_failed", { error: error.message }));
  }
}

// Everything the page shows comes from REST; pushes only say when to read again.
async function resync() {
  const agents = await api("GET", "/api/agents");
  const mine = agents.find((a) => a.agent_id === state.me);
  if (mine) $("status-select").value = mine.status;
  showWrapUp(mine ? mine.wrap_up_until : null);
  const offers = await api("GET", `/api/agents/${state.me}/offers`);
  state.offers = new Map(offers.map((o) => [o.offer_id, o]));
  await renderOffers();
  await loadContacts();
  await loadAccounts(state.me);
}

async function onOffer(push) {
  if (push.state === "new") say(t("desk.offer_new"));
  else if (push.state === "expired") say(t("desk.offer_expired"));
  else if (push.state === "withdrawn") say(t("desk.offer_withdrawn"));
  await resync();
}

async function onContactChange(push) {
  await loadContacts();
  if (push.contact_id === state.current) await openContact(state.current);
}

// The customer wrote again in a conversation offered to or held by this agent.
async function onMessage(push) {
  if (state.offers.size && [...state.offers.values()].some((o) => o.contact_id === push.contact_id)) {
    say(t("desk.message_on_offer"));
    await resync();
    return;
  }
  if (!push.automatic) {
    say(push.contact_id === state.current ? t("desk.message_new") : t("desk.message_new_about", { summary: push.summary }));
  }
  await loadContacts();
  if (push.contact_id === state.current) await openContact(state.current);
}

// The contacts this agent holds (accepted, not completed).
async function loadContacts() {
  const contacts = await api("GET", `/api/agents/${state.me}/contacts`);
  state.contacts = new Map(contacts.map((c) => [c.contact_id, c]));
  loadSla(state.me);
  renderContacts();
  if (state.current && !state.contacts.has(state.current)) closeWork();
}

async function renderOffers() {
  const list = $("offers");
  const items = [];
  for (const offer of state.offers.values()) items.push(await offerCard(offer));
  // Re-rendering must not throw a keyboard user's focus away.
  const focused = document.activeElement;
  const card = focused && focused.closest ? focused.closest("li[data-offer]") : null;
  list.replaceChildren(...items);
  if (card) {
    const again = list.querySelector(`li[data-offer="${card.dataset.offer}"]`);
    const button = again && [...again.querySelectorAll("button")].find((b) => b.textContent === focused.textContent);
    if (button) button.focus();
  }
  show($("no-offers"), items.length === 0);
  tick();
}

async function offerCard(offer) {
  const customerId = offer.customer_id;
  const [customer, recent] = await Promise.all([readCustomer(customerId), timeline(customerId, 5)]);
  const card = customer ? cardOf(customer) : el("p", { class: "muted" }, t("customer.not_identified"));
  const title = offer.escalation_level > 0 ? t("desk.escalation_level", { level: offer.escalation_level }) : t("desk.offer");
  const contact = await api("GET", `/api/contacts/${offer.contact_id}`).catch(() => null);
  const messages = contact && contact.message_count > 1 ? t("conversation.messages", { count: contact.message_count }) : null;
  const id = `offer-${offer.offer_id}`;
  return el(
    "li",
    { class: "card offer", "aria-labelledby": id, dataset: { offer: offer.offer_id } },
    el("h3", { id }, `${title}: ${offer.channel}`),
    el("p", { class: "summary" }, offer.summary),
    messages ? el("p", { class: "muted" }, messages) : null,
    el("p", { class: "countdown", dataset: { expires: offer.expires_at || "" } }),
    card,
    otherConversations(customer, offer.contact_id),
    recent.length ? el("h4", {}, t("desk.last_interactions")) : null,
    recent.length ? el("ol", { class: "timeline short" }, timelineItems(recent)) : null,
    el(
      "div",
      { class: "actions" },
      el("button", { type: "button", onclick: () => accept(offer) }, t("desk.accept")),
      el("button", { type: "button", class: "secondary", onclick: () => decline(offer) }, t("desk.decline")),
    ),
  );
}

// The screen pop shows what else of this customer's is open, and who has it.
function otherConversations(customer, contactId) {
  const others = customer ? customer.open_conversations.filter((o) => o.contact_id !== contactId) : [];
  if (!others.length) return null;
  return el(
    "div",
    { class: "others" },
    el("h4", {}, t("desk.other_conversations")),
    el(
      "ul",
      { class: "list" },
      others.map((o) =>
        el("li", {}, `${o.channel || "?"} · ${tValue("conversation_state", o.state)}${o.agent_id ? ` · ${o.agent_id}` : ""} · ${t("desk.since", { time: time(o.since) })}`),
      ),
    ),
  );
}

async function readCustomer(customerId) {
  if (!customerId) return null;
  return api("GET", `/api/customers/${customerId}`).catch(() => null);
}

// After-contact work: no new work comes until its time is up or the agent says Ready.
function showWrapUp(until) {
  const left = $("wrap-up-left");
  left.dataset.expires = until || "";
  show($("wrap-up"), Boolean(until));
  tick();
}

async function ready() {
  try {
    await api("POST", `/api/agents/${state.me}/ready`);
    say(t("desk.ready_done"));
  } catch (error) {
    say(t("desk.ready_failed", { error: error.message }));
  }
  await resync();
}

function tick() {
  for (const node of document.querySelectorAll(".countdown")) {
    const left = secondsLeft(node.dataset.expires);
    const label = node.dataset.label;
    if (label) node.textContent = left === null ? "" : t("desk.left", { label: t(label), seconds: left });
    else node.textContent = left === null ? t("desk.no_time_limit") : t("desk.expires_in", { seconds: left });
    node.classList.toggle("urgent", left !== null && left <= 5);
  }
}

async function accept(offer) {
  try {
    const contact = await api("POST", `/api/offers/${offer.offer_id}/accept`);
    say(t("desk.accepted"));
    state.offers.delete(offer.offer_id);
    await renderOffers();
    await loadContacts();
    await openContact(contact.contact_id);
  } catch (error) {
    say(t("desk.accept_failed", { error: error.message }));
    await resync();
  }
}

async function decline(offer) {
  try {
    await api("POST", `/api/offers/${offer.offer_id}/decline`);
    say(t("desk.declined"));
  } catch (error) {
    say(t("desk.decline_failed", { error: error.message }));
  }
  await resync();
}

function renderContacts() {
  const items = [...state.contacts.values()].map((c) =>
    el(
      "li",
      {},
      el(
        "button",
        {
          type: "button",
          class: "link",
          "aria-current": c.contact_id === state.current ? "true" : null,
          onclick: () => openContact(c.contact_id),
        },
        `${c.channel}: ${c.summary || c.contact_id}`,
        c.conversation && c.conversation !== "open" ? el("span", { class: "muted" }, ` (${tValue("conversation_state", c.conversation)})`) : null,
        c.unread > 0 && c.contact_id !== state.current
          ? el("span", { class: "badge", "aria-label": t("desk.unread", { count: c.unread }) }, String(c.unread))
          : null,
      ),
      slaBadge(c.contact_id),
    ),
  );
  $("contacts").replaceChildren(...items);
  show($("no-contacts"), items.length === 0);
  tickSla();
}

async function openContact(contactId) {
  state.current = contactId;
  const contact = await api("GET", `/api/contacts/${contactId}`);
  const customerId = contact.customer_id;
  const [customer, entries] = await Promise.all([readCustomer(customerId), timeline(customerId, 50)]);
  $("work-title").textContent = t("desk.contact_on", { channel: contact.channel });
  const parts = [
    el("p", { class: "summary" }, contact.summary || ""),
    el("p", { class: "muted" }, t("desk.contact_status", { status: tValue("contact_status", contact.status) })),
    contact.language ? el("p", { class: "muted language" }, languageLine(contact)) : null,
    contact.channel === "voice" ? callPanel(contactId) : null,
    customer ? cardOf(customer) : el("p", { class: "muted" }, t("customer.not_identified")),
    otherConversations(customer, contactId),
    customer ? customerTools(customerId, customer, () => openContact(contactId)) : null,
    ownerTools(contact, customer, state.me, resync),
    requestTypeControl(contact, state.me, () => openContact(contactId)),
    followUpControl(contact, state.me),
  ];
  // replaceChildren would write a null as the text "null".
  $("work-card").replaceChildren(...parts.filter(Boolean));
  $("timeline").replaceChildren(...timelineItems(entries));
  show($("work"), true);
  await showConversation(contact, async () => {
    await loadContacts();
  });
  if (state.contacts.has(contactId)) state.contacts.set(contactId, { ...contact, unread: 0 });
  renderContacts();
}

// The language routing matched the contact on, and whether it was a guess.
function languageLine(contact) {
  const language = languageName(contact.language);
  if (contact.language_confidence === null || contact.language_confidence === undefined) return t("desk.language", { language });
  const confidence = number(contact.language_confidence, { style: "percent" });
  return t("desk.language_detected", { language, confidence });
}

function closeWork() {
  state.current = null;
  hideConversation();
  show($("work"), false);
}

$("reply").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("reply-text").value.trim();
  if (!text || !state.current) return;
  try {
    await api("POST", `/api/contacts/${state.current}/replies`, { text });
    $("reply-text").value = "";
    say(t("desk.reply_sent"));
    // The transcript shows the reply at once and its delivery status a bit later; the
    // customer timeline once history recorded it.
    for (const ms of [1000, 3000, 7000]) {
      window.setTimeout(() => state.current && openContact(state.current), ms);
    }
  } catch (error) {
    say(t("desk.reply_failed", { error: error.message }));
  }
});

$("complete").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!state.current) return;
  try {
    await api("POST", `/api/contacts/${state.current}/complete`, {
      disposition: $("disposition").value,
    });
    say(t("desk.completed"));
    closeWork();
    await resync(); // shows the wrap-up, if the queue has one
    $("offers-title").focus();
  } catch (error) {
    say(t("desk.complete_failed", { error: error.message }));
  }
});

$("status-select").addEventListener("change", async (event) => {
  try {
    const agent = await api("POST", `/api/agents/${state.me}/status`, { status: event.target.value });
    say(t("desk.you_are", { status: tValue("agent_status", agent.status) }));
  } catch (error) {
    say(t("desk.status_failed", { error: error.message }));
  }
  await resync();
});

$("ready").addEventListener("click", ready);

$("sign-out").addEventListener("click", async () => {
  await api("POST", `/api/agents/${state.me}/status`, { status: "offline" }).catch(() => null);
  await signOut();
  stop();
});

// Closing the page takes the agent offline at once (routing re-queues their offers); the
// missed heartbeats would do it too, only later.
window.addEventListener("pagehide", () => {
  if (!state.me) return;
  fetch(`/api/agents/${state.me}/status`, {
    method: "POST",
    keepalive: true,
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ status: "offline" }),
  }).catch(() => null);
});

window.setInterval(tick, 1000);
wireSignIn($("sign-in"), start);
$("offers-title").tabIndex = -1;
// The browser's language until someone signs in; then theirs (start).
useLocale(null).then(currentSession).then((session) => (session ? start(session) : stop()));
