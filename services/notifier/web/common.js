// Shared by the desk and the console: calls to the API, safe DOM building (text only, never
// innerHTML with data), sign-in, the live event stream and small formatting.
import { duration, t } from "/ui/i18n.js";

// Times are the person's (language and time zone): i18n.js formats them.
export { time } from "/ui/i18n.js";

const MARK = "sb_signed_in"; // only tells the page to ask who is signed in (the cookie is HttpOnly)

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(method, path, body, options = {}) {
  const init = { method, credentials: "same-origin", headers: {}, ...options };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const reason = data && data.error ? data.error : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, reason);
  }
  return data;
}

// el("li", {class: "x", onclick: f}, "text", child) — strings become text nodes.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function show(node, visible) {
  node.hidden = !visible;
}

export function say(text) {
  const status = document.getElementById("status-message");
  status.textContent = "";
  // A fresh text node makes screen readers announce the same message twice in a row.
  window.setTimeout(() => (status.textContent = text), 30);
}

export function secondsLeft(iso) {
  return iso ? Math.max(0, Math.round((new Date(iso) - Date.now()) / 1000)) : null;
}

export function ago(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  return duration(seconds);
}

// Who is signed in, or null; asks the server only when this browser signed in before.
export async function currentSession() {
  if (!localStorage.getItem(MARK)) return null;
  try {
    return await api("GET", "/api/session");
  } catch (error) {
    localStorage.removeItem(MARK);
    return null;
  }
}

export function wireSignIn(form, onSignedIn) {
  const error = form.querySelector("[role=alert]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const user = form.elements.user.value.trim();
    const password = form.elements.password.value;
    try {
      const session = await api("POST", "/api/session", { user, password });
      localStorage.setItem(MARK, "1");
      form.reset();
      await onSignedIn(session);
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
}

export async function signOut() {
  localStorage.removeItem(MARK);
  await api("DELETE", "/api/session");
}

// The live stream: `hello` on every (re)connect means "re-read your state".
export function connect(handlers) {
  const source = new EventSource("/api/desk/events");
  for (const [kind, handle] of Object.entries(handlers)) {
    source.addEventListener(kind, (event) => handle(JSON.parse(event.data)));
  }
  const live = document.getElementById("live");
  source.addEventListener("open", () => (live.textContent = t("common.live")));
  source.addEventListener("error", () => (live.textContent = t("common.reconnecting")));
  return source;
}

// svgEl("rect", {x: 1, ...}, child): SVG built like el(), so charts need no library.
export function svgEl(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
