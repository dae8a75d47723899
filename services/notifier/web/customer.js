// The customer card and their timeline, shared by the desk (screen pop) and the console.
import { api, el, time } from "/ui/common.js";

export async function customerCard(customerId) {
  if (!customerId) return el("p", { class: "muted" }, "Customer not identified yet.");
  try {
    const customer = await api("GET", `/api/customers/${customerId}`);
    return el(
      "dl",
      { class: "card-facts", "aria-label": "Customer" },
      el("dt", {}, "Customer"),
      el("dd", { class: "customer-name" }, customer.name || "(no name given)"),
      el("dt", {}, "Reached us as"),
      el("dd", {}, (customer.identities || []).join(", ")),
      customer.tier ? [el("dt", {}, "Tier"), el("dd", {}, customer.tier)] : null,
      customer.tags && customer.tags.length
        ? [el("dt", {}, "Tags"), el("dd", {}, customer.tags.join(", "))]
        : null,
    );
  } catch (error) {
    return el("p", { class: "error" }, `Customer card: ${error.message}`);
  }
}

export function timelineItems(entries) {
  return entries.map((entry) =>
    el(
      "li",
      { class: `entry kind-${entry.kind}` },
      el("time", { datetime: entry.at }, time(entry.at)),
      " ",
      el("span", { class: "kind" }, entry.kind),
      entry.channel ? el("span", { class: "channel" }, ` · ${entry.channel}`) : null,
      el("div", { class: "entry-summary" }, entry.summary),
    ),
  );
}

export async function timeline(customerId, limit) {
  if (!customerId) return [];
  try {
    return await api("GET", `/api/customers/${customerId}/timeline?limit=${limit}`);
  } catch (error) {
    return [];
  }
}

