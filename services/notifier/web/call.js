// The call panel of a voice contact on the desk: its state (ringing you, connected, on hold,
// recording), a timer since it connected, and hold/resume, transfer (cold to an agent or a
// queue; warm: talk to the colleague first) and end. The bridge keeps the call's state, so
// the panel reads it every 2 s while it is open.
import { api, el, say } from "/ui/common.js";

const CALLS = "/channels/twilio/voice/calls";
let poll = null;
let ticking = null;

// Returns the panel for `contactId`; replaces (and stops) any panel shown before.
export function callPanel(contactId) {
  stopCallPanel();
  const state = el("p", { class: "call-state" }, "Call: connecting…");
  const clock = el("p", { class: "call-timer muted", "aria-live": "off" });
  const hold = el("button", { type: "button", class: "secondary" }, "Hold");
  const end = el("button", { type: "button", class: "danger" }, "End call");
  const target = el("input", {
    id: "call-target",
    name: "target",
    required: true,
    placeholder: "agent id, or queue name",
  });
  const kind = el(
    "select",
    { id: "call-transfer-kind", name: "kind" },
    el("option", { value: "cold" }, "Cold transfer"),
    el("option", { value: "warm" }, "Talk to them first (warm)"),
    el("option", { value: "queue" }, "To a queue"),
  );
  const transfer = el(
    "form",
    { class: "inline", onsubmit: (event) => onTransfer(event, contactId, kind.value, target) },
    el("label", { for: "call-transfer-kind" }, "Transfer"),
    kind,
    el("label", { for: "call-target" }, "to"),
    target,
    el("button", { type: "submit" }, "Transfer"),
  );
  const panel = el(
    "section",
    { class: "card call", "aria-labelledby": "call-title", dataset: { contact: contactId } },
    el("h3", { id: "call-title" }, "Call"),
    state,
    clock,
    el("p", { class: "actions" }, hold, end),
    transfer,
  );
  let current = null;
  hold.addEventListener("click", async () => {
    const verb = current && current.on_hold ? "resume" : "hold";
    current = await act(contactId, verb, verb === "hold" ? "Customer on hold" : "Call resumed");
    render();
  });
  end.addEventListener("click", async () => {
    current = await act(contactId, "hangup", "Call ended; complete the contact");
    render();
  });

  function render() {
    if (!current) return;
    const recording = current.recording ? " · recording" : "";
    state.textContent = `Call: ${current.state}${recording}`;
    hold.textContent = current.on_hold ? "Resume" : "Hold";
    hold.disabled = !["connected", "on hold"].includes(current.state);
    end.disabled = current.state === "ended";
    tick();
  }

  function tick() {
    if (!current || !current.connected_at || current.state === "ended") {
      clock.textContent = "";
      return;
    }
    const seconds = Math.max(0, Math.round((Date.now() - Date.parse(current.connected_at)) / 1000));
    const mm = String(Math.floor(seconds / 60)).padStart(2, "0");
    clock.textContent = `${mm}:${String(seconds % 60).padStart(2, "0")}`;
  }

  async function refresh() {
    if (!panel.isConnected && current) return stopCallPanel();
    try {
      current = await api("GET", `${CALLS}/${contactId}`);
      render();
    } catch (error) {
      if (error.status === 404) state.textContent = "Call: not connected through Switchboard";
    }
  }

  refresh();
  poll = window.setInterval(refresh, 2000);
  ticking = window.setInterval(tick, 1000);
  return panel;
}

export function stopCallPanel() {
  window.clearInterval(poll);
  window.clearInterval(ticking);
  poll = ticking = null;
}

async function act(contactId, verb, done) {
  try {
    const view = await api("POST", `${CALLS}/${contactId}/${verb}`);
    say(done);
    return view;
  } catch (error) {
    say(`Could not ${verb}: ${error.message}`);
    return null;
  }
}

// Cold: routing hands the contact on (the customer waits on hold in the call). Warm: the
// colleague's phone is dialled in first; transferring to them afterwards hands it over.
async function onTransfer(event, contactId, kind, input) {
  event.preventDefault();
  const target = input.value.trim();
  if (!target) return;
  try {
    if (kind === "warm") {
      await api("POST", `${CALLS}/${contactId}/consult`, { agent_id: target });
      say(`Calling ${target}; the customer is on hold. Transfer (cold) to hand over.`);
      return;
    }
    const body = kind === "queue" ? { queue: target } : { agent_id: target };
    await api("POST", `/api/contacts/${contactId}/transfer`, body);
    say(`Transferred to ${target}`);
  } catch (error) {
    say(`Transfer failed: ${error.message}`);
  }
}
