// The supervisor console: live queue board, agents, escalations with accept / reassign /
// requeue, failed notifications, routing explanations and customer search.
import { ago, api, connect, currentSession, el, say, show, signOut, time, wireSignIn } from "/ui/common.js";
import { cardOf, customerCard, timeline, timelineItems } from "/ui/customer.js";
import { callCell, showVoiceTrouble } from "/ui/monitor.js";
import { refreshSlaBoard } from "/ui/sla-board.js";
import { number, t, tValue, useLocale } from "/ui/i18n.js";
import { refreshAnswerTemplates } from "/ui/answer-templates.js";
import { refreshApprovals, startApprovals, stopApprovals } from "/ui/approvals.js";

const AGENTS_POLL_MS = 5000; // agent status changes and merge suggestions are not pushed
const $ = (id) => document.getElementById(id);
const state = { me: null, agents: [], refreshing: null };
let source = null;
let poll = null;

async function start(session) {
  state.me = session.user;
  await useLocale(session.locale, session.time_zone);
  $("user-name").textContent = `${session.user} (${tValue("role", session.role)})`;
  show($("sign-in-section"), false);
  show($("who"), true);
  show($("console"), true);
  source = connect({
    hello: refresh,
    board: refreshSoon,
    offer: refreshEscalations,
    escalation: async (data) => {
      say(t("console.escalation_pushed", { channel: data.channel, reason: data.reason }));
      await refreshEscalations();
    },
    document: async (data) => {
      say(data.summary);
      await refreshApprovals();
    },
    flag: async (data) => {
      say(t("console.flag_pushed", { agent: data.agent_id, channel: data.channel }));
      await refreshSoon();
    },
  });
  poll = window.setInterval(
    () => Promise.all([refreshAgents(), refreshSuggestions(), refreshSlaBoard()]),
    AGENTS_POLL_MS,
  );
  await startApprovals();
  const wanted = new URLSearchParams(location.search).get("contact");
  if (wanted) {
    $("routing-contact").value = wanted;
    await explain(wanted);
  }
  $("main").focus();
}

function stop() {
  if (source) source.close();
  window.clearInterval(poll);
  stopApprovals();
  source = null;
  state.me = null;
  show($("who"), false);
  show($("console"), false);
  show($("sign-in-section"), true);
  $("user").focus();
}

async function refresh() {
  await Promise.all([
    refreshEscalations(),
    refreshBoard(),
    refreshSlaBoard(),
    refreshAgents(),
    refreshFailures(),
    refreshSuggestions(),
    refreshAnswerTemplates(),
  ]);
}

// Pushes come in bursts (one contact moves several times in a second): read once per burst.
function refreshSoon() {
  if (!state.refreshing) {
    state.refreshing = new Promise((resolve) =>
      window.setTimeout(async () => {
        state.refreshing = null;
        await Promise.all([refreshBoard(), refreshSlaBoard(), refreshAgents(), refreshFailures()]);
        resolve();
      }, 250),
    );
  }
  return state.refreshing;
}

async function queues() {
  return (await api("GET", "/api/queues")).map((q) => q.name);
}

async function refreshBoard() {
  const names = await queues();
  const stats = await Promise.all(names.map((q) => api("GET", `/api/queues/${encodeURIComponent(q)}/stats`)));
  $("board").replaceChildren(...stats.map(queueCard));
}

function queueCard(s) {
  const sla = s.service_level === null ? "–" : number(s.service_level, { style: "percent" });
  const statuses = Object.entries(s.agents_by_status)
    .sort()
    .map(([k, v]) => `${tValue("agent_status", k)} ${number(v)}`)
    .join(", ");
  const fact = (label, value, cls) => [el("dt", {}, label), el("dd", { class: cls }, value)];
  return el(
    "article",
    { class: "queue", "aria-label": t("console.queue", { queue: s.queue }) },
    el("h3", {}, s.queue),
    el(
      "dl",
      { class: "stats" },
      fact(t("console.waiting"), number(s.waiting), "waiting"),
      fact(t("console.longest_wait"), ago(s.longest_waiting_seconds), "longest"),
      fact(t("console.service_level", { seconds: s.sla_seconds }), sla, "sla"),
      fact(t("console.agents"), statuses || t("console.none"), "agents-by-status"),
      fact(t("console.busy"), number(s.agents_busy)),
      fact(t("console.offered_accepted"), `${number(s.offered)} / ${number(s.accepted)}`),
      fact(t("console.expired_escalated"), `${number(s.expired)} / ${number(s.escalated)}`),
      fact(t("console.abandoned"), number(s.abandoned)),
    ),
  );
}

async function refreshAgents() {
  if (!state.me) return;
  state.agents = await api("GET", "/api/agents");
  const rows = state.agents.map((a) =>
    el(
      "tr",
      { dataset: { agent: a.agent_id } },
      el("th", { scope: "row" }, `${a.name} (${a.agent_id})`),
      el("td", { class: `status status-${a.status}` }, tValue("agent_status", a.status)),
      el("td", {}, number(a.pending_offers)),
      el("td", {}, a.wrap_up_until ? t("console.in_wrap_up", { count: a.active_contacts }) : number(a.active_contacts)),
      callCell(a),
    ),
  );
  $("agents").replaceChildren(...rows);
  showVoiceTrouble($("voice-trouble"));
}

async function refreshEscalations() {
  const offers = await api("GET", `/api/agents/${state.me}/offers`);
  const cards = await Promise.all(offers.map(escalationCard));
  $("escalations").replaceChildren(...cards);
  show($("no-escalations"), cards.length === 0);
}

async function escalationCard(offer) {
  const id = `esc-${offer.offer_id}`;
  const agents = state.agents.filter((a) => a.role === "agent");
  const pick = el(
    "select",
    { id: `${id}-agent` },
    agents.map((a) => el("option", { value: a.agent_id }, `${a.name} (${tValue("agent_status", a.status)})`)),
  );
  const customerId = offer.customer_id;
  const recent = await timeline(customerId, 5);
  return el(
    "li",
    { class: "card escalation", "aria-labelledby": id, dataset: { offer: offer.offer_id } },
    el("h3", { id }, t("console.escalation_title", { level: offer.escalation_level, channel: offer.channel })),
    el("p", { class: "summary" }, offer.summary),
    el("p", { class: "muted" }, t("console.offered_at", { time: time(offer.offered_at), contact: offer.contact_id })),
    await customerCard(customerId),
    recent.length ? el("ol", { class: "timeline short" }, timelineItems(recent)) : null,
    el(
      "div",
      { class: "actions" },
      el("button", { type: "button", onclick: () => act("accept", offer) }, t("desk.accept")),
      el("label", { for: `${id}-agent` }, t("console.reassign_to")),
      pick,
      el("button", { type: "button", class: "secondary", onclick: () => act("assign", offer, pick.value) }, t("console.reassign")),
      el("button", { type: "button", class: "secondary", onclick: () => act("requeue", offer) }, t("console.requeue")),
      el("button", { type: "button", class: "link", onclick: () => explain(offer.contact_id) }, t("console.why")),
    ),
  );
}

async function act(what, offer, agentId) {
  try {
    if (what === "accept") {
      await api("POST", `/api/offers/${offer.offer_id}/accept`);
      say(t("console.accepted"));
    } else if (what === "assign") {
      await api("POST", `/api/contacts/${offer.contact_id}/assign`, { agent_id: agentId });
      say(t("console.handed_to", { agent: agentId }));
    } else {
      await api("POST", `/api/contacts/${offer.contact_id}/requeue`);
      say(t("console.requeued"));
    }
  } catch (error) {
    say(t("console.act_failed", { error: error.message }));
  }
  await refresh();
}

async function refreshFailures() {
  const failed = await api("GET", "/api/notifications?status=failed&limit=20");
  $("failures").replaceChildren(
    ...failed.map((n) =>
      el(
        "li",
        { class: "failure" },
        el("strong", {}, t("console.failure_to", { channel: n.channel, recipient: n.recipient, address: n.address })),
        ` ${t("console.failure_after", { count: n.attempts, time: time(n.updated_at) })} `,
        el("span", { class: "reason" }, n.last_error || ""),
      ),
    ),
  );
  show($("no-failures"), failed.length === 0);
}

// Decided here: the list is a projection and may still show them as pending for a while,
// and a decision is final (a suggestion is never pending again).
const decidedSuggestions = new Set();
let suggestionsAsked = 0;

async function refreshSuggestions() {
  if (!state.me) return;
  // The poll and a decision may refresh at once: only the latest asked is shown, or an
  // answer from before the decision could put its suggestion back until the next poll.
  const asked = ++suggestionsAsked;
  const listed = await api("GET", "/api/customers/merge-suggestions?status=pending");
  const pending = listed.filter((s) => !decidedSuggestions.has(s.suggestion_id));
  const items = [];
  for (const s of pending) {
    const [a, b] = await Promise.all([customerCard(s.a), customerCard(s.b)]);
    const id = `suggestion-${s.suggestion_id}`;
    items.push(
      el(
        "li",
        { class: "card suggestion", "aria-labelledby": id, dataset: { suggestion: s.suggestion_id } },
        el("h3", { id }, t("console.same_customer")),
        a,
        b,
        el("p", { class: "muted evidence" }, t("console.evidence", { evidence: JSON.stringify(s.evidence) })),
        el(
          "div",
          { class: "actions" },
          el("button", { type: "button", onclick: () => decide(s, "confirm") }, t("console.confirm_merge")),
          el("button", { type: "button", class: "secondary", onclick: () => decide(s, "reject") }, t("console.not_same")),
        ),
      ),
    );
  }
  if (asked !== suggestionsAsked) return;
  $("suggestions").replaceChildren(...items);
  show($("no-suggestions"), items.length === 0);
}

async function decide(suggestion, what) {
  try {
    await api("POST", `/api/customers/merge-suggestions/${suggestion.suggestion_id}/${what}`);
    decidedSuggestions.add(suggestion.suggestion_id);
    say(what === "confirm" ? t("console.merged") : t("console.kept_apart"));
  } catch (error) {
    say(t("console.act_failed", { error: error.message }));
  }
  await refreshSuggestions();
}

async function explain(contactId) {
  $("routing-contact").value = contactId;
  try {
    const decisions = await api("GET", `/api/contacts/${contactId}/routing`);
    $("routing").replaceChildren(
      ...decisions.map((d) =>
        el(
          "li",
          {},
          el("time", { datetime: d.at }, time(d.at)),
          ` ${d.step}${d.target ? ` → ${d.target}` : ""}: ${d.reason}`,
          d.candidates.length
            ? el("ul", {}, d.candidates.map((c) => el("li", {}, `${c.agent_id}: ${c.verdict}`)))
            : null,
        ),
      ),
    );
  } catch (error) {
    $("routing").replaceChildren(el("li", { class: "error" }, error.message));
  }
}

$("routing-form").addEventListener("submit", (event) => {
  event.preventDefault();
  explain($("routing-contact").value.trim());
});

$("search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const params = new URLSearchParams({ [$("search-kind").value]: $("search-value").value.trim() });
  const results = $("search-results");
  try {
    const found = await api("GET", `/api/customers?${params}`);
    const blocks = [];
    for (const customer of found) {
      const merged = (customer.merged_from || []).length > 0;
      blocks.push(
        el(
          "article",
          { class: "card found", dataset: { customer: customer.customer_id } },
          cardOf(customer),
          merged
            ? el("button", { type: "button", class: "secondary", onclick: () => unmerge(customer) }, t("console.undo_merge"))
            : null,
          el("ol", { class: "timeline short" }, timelineItems(await timeline(customer.customer_id, 10))),
        ),
      );
    }
    results.replaceChildren(...(blocks.length ? blocks : [el("p", { class: "muted" }, t("console.nobody_found"))]));
  } catch (error) {
    results.replaceChildren(el("p", { class: "error" }, error.message));
  }
});

async function unmerge(customer) {
  try {
    await api("POST", `/api/customers/${customer.customer_id}/unmerge`, { reason: "undone from the console" }); // kept in English: the record's reason
    say(t("console.unmerged"));
    $("search-form").requestSubmit();
  } catch (error) {
    say(t("console.unmerge_failed", { error: error.message }));
  }
}

$("sign-out").addEventListener("click", async () => {
  await signOut();
  stop();
});

wireSignIn($("sign-in"), start);
// The browser's language until someone signs in; then theirs (start).
useLocale(null).then(currentSession).then((session) => (session ? start(session) : stop()));
