// The supervisor console: live queue board, agents, escalations with accept / reassign /
// requeue, failed notifications, routing explanations and customer search.
import { ago, api, connect, currentSession, el, say, show, signOut, time, wireSignIn } from "/ui/common.js";
import { cardOf, customerCard, timeline, timelineItems } from "/ui/customer.js";
import { callCell, showVoiceTrouble } from "/ui/monitor.js";

const AGENTS_POLL_MS = 5000; // agent status changes and merge suggestions are not pushed
const $ = (id) => document.getElementById(id);
const state = { me: null, agents: [], refreshing: null };
let source = null;
let poll = null;

async function start(session) {
  state.me = session.user;
  $("user-name").textContent = `${session.user} (${session.role})`;
  show($("sign-in-section"), false);
  show($("who"), true);
  show($("console"), true);
  source = connect({
    hello: refresh,
    board: refreshSoon,
    offer: refreshEscalations,
    escalation: async (data) => {
      say(`Escalation: ${data.channel} contact (${data.reason})`);
      await refreshEscalations();
    },
    flag: async (data) => {
      say(`${data.agent_id} cannot be reached: ${data.channel} contact`);
      await refreshSoon();
    },
  });
  poll = window.setInterval(() => Promise.all([refreshAgents(), refreshSuggestions()]), AGENTS_POLL_MS);
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
    refreshAgents(),
    refreshFailures(),
    refreshSuggestions(),
  ]);
}

// Pushes come in bursts (one contact moves several times in a second): read once per burst.
function refreshSoon() {
  if (!state.refreshing) {
    state.refreshing = new Promise((resolve) =>
      window.setTimeout(async () => {
        state.refreshing = null;
        await Promise.all([refreshBoard(), refreshAgents(), refreshFailures()]);
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
  const sla = s.service_level === null ? "–" : `${Math.round(s.service_level * 100)} %`;
  const statuses = Object.entries(s.agents_by_status).sort().map(([k, v]) => `${k} ${v}`).join(", ");
  const fact = (label, value, cls) => [el("dt", {}, label), el("dd", { class: cls }, value)];
  return el(
    "article",
    { class: "queue", "aria-label": `Queue ${s.queue}` },
    el("h3", {}, s.queue),
    el(
      "dl",
      { class: "stats" },
      fact("Waiting", s.waiting, "waiting"),
      fact("Longest wait", ago(s.longest_waiting_seconds), "longest"),
      fact(`Service level (${s.sla_seconds} s)`, sla, "sla"),
      fact("Agents", statuses || "none", "agents-by-status"),
      fact("Busy", s.agents_busy),
      fact("Offered / accepted", `${s.offered} / ${s.accepted}`),
      fact("Expired / escalated", `${s.expired} / ${s.escalated}`),
      fact("Abandoned", s.abandoned),
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
      el("td", { class: `status status-${a.status}` }, a.status),
      el("td", {}, a.pending_offers),
      el("td", {}, a.wrap_up_until ? `${a.active_contacts} (in wrap-up)` : a.active_contacts),
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
    agents.map((a) => el("option", { value: a.agent_id }, `${a.name} (${a.status})`)),
  );
  const customerId = offer.customer_id;
  const recent = await timeline(customerId, 5);
  return el(
    "li",
    { class: "card escalation", "aria-labelledby": id, dataset: { offer: offer.offer_id } },
    el("h3", { id }, `Level ${offer.escalation_level}: ${offer.channel} contact`),
    el("p", { class: "summary" }, offer.summary),
    el("p", { class: "muted" }, `Offered ${time(offer.offered_at)} · contact ${offer.contact_id}`),
    await customerCard(customerId),
    recent.length ? el("ol", { class: "timeline short" }, timelineItems(recent)) : null,
    el(
      "div",
      { class: "actions" },
      el("button", { type: "button", onclick: () => act("accept", offer) }, "Accept"),
      el("label", { for: `${id}-agent` }, "Reassign to"),
      pick,
      el("button", { type: "button", class: "secondary", onclick: () => act("assign", offer, pick.value) }, "Reassign"),
      el("button", { type: "button", class: "secondary", onclick: () => act("requeue", offer) }, "Back to queue"),
      el("button", { type: "button", class: "link", onclick: () => explain(offer.contact_id) }, "Why?"),
    ),
  );
}

async function act(what, offer, agentId) {
  try {
    if (what === "accept") {
      await api("POST", `/api/offers/${offer.offer_id}/accept`);
      say("Accepted: it is on your desk");
    } else if (what === "assign") {
      await api("POST", `/api/contacts/${offer.contact_id}/assign`, { agent_id: agentId });
      say(`Handed to ${agentId}`);
    } else {
      await api("POST", `/api/contacts/${offer.contact_id}/requeue`);
      say("Back in the queue");
    }
  } catch (error) {
    say(`Could not ${what}: ${error.message}`);
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
        el("strong", {}, `${n.channel} to ${n.recipient} (${n.address})`),
        ` after ${n.attempts} attempt(s), ${time(n.updated_at)}: `,
        el("span", { class: "reason" }, n.last_error || ""),
      ),
    ),
  );
  show($("no-failures"), failed.length === 0);
}

async function refreshSuggestions() {
  if (!state.me) return;
  const pending = await api("GET", "/api/customers/merge-suggestions?status=pending");
  const items = [];
  for (const s of pending) {
    const [a, b] = await Promise.all([customerCard(s.a), customerCard(s.b)]);
    const id = `suggestion-${s.suggestion_id}`;
    items.push(
      el(
        "li",
        { class: "card suggestion", "aria-labelledby": id, dataset: { suggestion: s.suggestion_id } },
        el("h3", { id }, "Are these the same customer?"),
        a,
        b,
        el("p", { class: "muted evidence" }, `Evidence: ${JSON.stringify(s.evidence)}`),
        el(
          "div",
          { class: "actions" },
          el("button", { type: "button", onclick: () => decide(s, "confirm") }, "Confirm merge"),
          el("button", { type: "button", class: "secondary", onclick: () => decide(s, "reject") }, "Not the same"),
        ),
      ),
    );
  }
  $("suggestions").replaceChildren(...items);
  show($("no-suggestions"), items.length === 0);
}

async function decide(suggestion, what) {
  try {
    await api("POST", `/api/customers/merge-suggestions/${suggestion.suggestion_id}/${what}`);
    say(what === "confirm" ? "Merged" : "Kept apart");
  } catch (error) {
    say(`Could not ${what}: ${error.message}`);
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
            ? el("button", { type: "button", class: "secondary", onclick: () => unmerge(customer) }, "Undo the last merge")
            : null,
          el("ol", { class: "timeline short" }, timelineItems(await timeline(customer.customer_id, 10))),
        ),
      );
    }
    results.replaceChildren(...(blocks.length ? blocks : [el("p", { class: "muted" }, "Nobody found.")]));
  } catch (error) {
    results.replaceChildren(el("p", { class: "error" }, error.message));
  }
});

async function unmerge(customer) {
  try {
    await api("POST", `/api/customers/${customer.customer_id}/unmerge`, { reason: "undone from the console" });
    say("Unmerged");
    $("search-form").requestSubmit();
  } catch (error) {
    say(`Could not unmerge: ${error.message}`);
  }
}

$("sign-out").addEventListener("click", async () => {
  await signOut();
  stop();
});

wireSignIn($("sign-in"), start);
currentSession().then((session) => (session ? start(session) : stop()));
