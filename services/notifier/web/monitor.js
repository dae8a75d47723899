// The console's call controls for supervisors: on an agent's phone call, listen in (your
// phone joins muted) or coach (only the agent hears you). Switchboard dials the `phone` on
// your [[people]] entry into the call's conference.
import { api, el, say } from "/ui/common.js";

// A table cell, filled once the agent's contacts are read: a Listen and a Coach button for
// each phone call they hold.
export function callCell(agent) {
  const cell = el("td", { class: "calls" });
  if (agent.active_contacts > 0) fill(cell, agent).catch(() => null);
  return cell;
}

async function fill(cell, agent) {
  const contacts = await api("GET", `/api/agents/${agent.agent_id}/contacts`);
  const calls = contacts.filter((c) => c.channel === "voice" && c.status === "accepted");
  cell.replaceChildren(
    ...calls.flatMap((c) => [
      button(`Listen to ${agent.name}`, "Listen", c.contact_id, "listen"),
      " ",
      button(`Coach ${agent.name}`, "Coach", c.contact_id, "coach"),
    ]),
  );
}

function button(label, text, contactId, mode) {
  return el(
    "button",
    { type: "button", class: "secondary", "aria-label": label, onclick: () => monitor(contactId, mode) },
    text,
  );
}

async function monitor(contactId, mode) {
  try {
    await api("POST", `/channels/twilio/voice/calls/${contactId}/monitor`, { mode });
    say(mode === "listen" ? "Calling your phone: you listen muted" : "Calling your phone: you coach");
  } catch (error) {
    say(`Could not join the call: ${error.message}`);
  }
}

// Twilio failing (the voice bridge says so on /healthz): calls are being offered again
// rather than connected, which a supervisor should know.
export async function showVoiceTrouble(node) {
  const health = await fetch("/healthz", { credentials: "same-origin" })
    .then((r) => r.json())
    .catch(() => null);
  const checks = health && health.checks ? Object.values(health.checks) : [];
  const trouble = checks.map(String).find((c) => c.includes("voice bridge:"));
  const text = trouble ? `Phone calls: ${trouble.replace(/^ok \(|\)$/g, "")}` : "";
  if (node.textContent !== text) node.textContent = text; // an alert says it once
  node.hidden = !trouble;
}
