// The owners' book on the desk: the customers this agent owns and their open conversations
// (the owner may take one over), a notice when someone else takes one of their contacts,
// and, on a contact of someone else's customer, a button to hand it to its account owner.
// Both go by the transfer-to-agent path.
import { api, el, say, show, time } from "/ui/common.js";
import { t, tValue } from "/ui/i18n.js";

const $ = (id) => document.getElementById(id);

export async function loadAccounts(me) {
  const panel = $("accounts-panel");
  if (!panel || !me) return;
  let book = [];
  try {
    book = await api("GET", `/api/agents/${me}/accounts`);
  } catch (error) {
    book = [];
  }
  $("accounts").replaceChildren(...book.map((customer) => accountItem(customer, me)));
  show(panel, book.length > 0);
}

function accountItem(customer, me) {
  const open = customer.open_conversations || [];
  return el(
    "li",
    { class: "account", dataset: { customer: customer.customer_id } },
    el("strong", {}, customer.name || customer.identities[0] || customer.customer_id),
    customer.tier ? el("span", { class: "muted" }, ` · ${customer.tier}`) : null,
    open.length
      ? el(
          "ul",
          { class: "list" },
          open.map((o) => {
            const elsewhere = o.agent_id && o.agent_id !== me && o.state !== "offered";
            return el(
              "li",
              { class: elsewhere ? "elsewhere" : null },
              `${o.channel || "?"} · ${tValue("conversation_state", o.state)}${o.agent_id ? ` · ${o.agent_id}` : ""} · ${t("desk.since", { time: time(o.since) })} `,
              elsewhere
                ? el("button", { type: "button", class: "link", onclick: () => takeOver(o, me) }, t("accounts.take_over"))
                : null,
            );
          }),
        )
      : el("p", { class: "muted" }, t("accounts.nothing_open")),
  );
}

// The owner takes a conversation of their customer over: transferred to themselves (they
// need to be available with room; the offer then comes to their desk as any other).
async function takeOver(conversation, me) {
  try {
    await api("POST", `/api/contacts/${conversation.contact_id}/transfer`, {
      agent_id: me,
      reason: "taken over by the account owner",
    });
    say(t("accounts.taken_over", { agent: conversation.agent_id }));
  } catch (error) {
    say(t("accounts.take_over_failed", { error: error.message }));
  }
  await loadAccounts(me);
}

// Pushed when someone else took a contact of this agent's customer.
export async function onOwnerNotice(push, me) {
  say(t("accounts.notice", { agent: push.agent_id, channel: push.channel, summary: push.summary }));
  await loadAccounts(me);
  // History records the acceptance a moment after routing told us: read the book again.
  for (const ms of [1000, 3000]) window.setTimeout(() => loadAccounts(me), ms);
}

// On a contact held by someone who is not the customer's owner: hand it to the owner.
export function ownerTools(contact, customer, me, done) {
  const owner = customer && customer.owner_id;
  if (!owner || owner === me || contact.agent_id !== me || contact.status !== "accepted") return null;
  const transfer = async () => {
    try {
      await api("POST", `/api/contacts/${contact.contact_id}/transfer`, {
        agent_id: owner,
        reason: "to the account owner",
      });
      say(t("accounts.transferred", { owner }));
    } catch (error) {
      say(t("accounts.transfer_failed", { owner, error: error.message }));
    }
    await done();
  };
  return el(
    "div",
    { class: "actions owner-tools" },
    el("button", { type: "button", class: "secondary", onclick: transfer }, t("accounts.transfer", { owner })),
  );
}
