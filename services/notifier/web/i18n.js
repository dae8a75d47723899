// The pages' language: message catalogs (i18n-<locale>.json, served beside the pages, no
// build step), the person's locale from their session (else the browser's languages), and
// dates, times and numbers through the browser's Intl in the person's time zone.
//
// In HTML, `data-i18n="key"` sets an element's text, `data-i18n-attr="aria-label:key"` an
// attribute. In scripts, t("key", {name: value}) with `{name}` placeholders; a value given
// as {one, few, many, other} is chosen by Intl.PluralRules for params.count.

export const LOCALES = ["en", "ru", "tr"];
const FALLBACK = "en";
const catalogs = new Map();
const current = { locale: FALLBACK, timeZone: undefined, messages: {}, fallback: {} };

async function load(locale) {
  if (!catalogs.has(locale)) {
    const response = await fetch(`/ui/i18n-${locale}.json`, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`catalog ${locale}: ${response.status}`);
    catalogs.set(locale, await response.json());
  }
  return catalogs.get(locale);
}

// The first of the wanted tags we have a catalog for, by language ("ru-RU" -> "ru").
export function pickLocale(wanted) {
  for (const tag of wanted) {
    if (!tag) continue;
    const base = String(tag).toLowerCase().split("-")[0];
    if (LOCALES.includes(base)) return base;
  }
  return FALLBACK;
}

function validZone(zone) {
  if (!zone) return undefined;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone;
  } catch (error) {
    return undefined; // an unknown zone must not break the page: the browser's own then
  }
}

// Switches the page to `preferred` (the person's locale) or the browser's languages.
export async function useLocale(preferred, timeZone) {
  const locale = pickLocale([preferred, ...(navigator.languages || []), navigator.language]);
  current.fallback = await load(FALLBACK);
  current.messages = await load(locale);
  current.locale = locale;
  current.timeZone = validZone(timeZone);
  document.documentElement.lang = locale;
  translatePage(document);
  return locale;
}

export function locale() {
  return current.locale;
}

export function t(key, params = {}) {
  let text = current.messages[key] ?? current.fallback[key];
  if (text === undefined) {
    console.error(`i18n: no message ${key}`);
    return "…";
  }
  if (typeof text === "object") {
    const category = new Intl.PluralRules(current.locale).select(Number(params.count ?? 0));
    text = text[category] ?? text.other;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? format(params[name]) : whole));
}

// A value named by data (a status, a state): its message when the catalog has one.
export function tValue(prefix, value) {
  const key = `${prefix}.${value}`;
  return key in current.messages || key in current.fallback ? t(key) : String(value ?? "");
}

function format(value) {
  return typeof value === "number" ? number(value) : String(value);
}

export function translatePage(root) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of node.dataset.i18nAttr.split(",")) {
      const [attr, key] = pair.split(":");
      node.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}

function dateFormat(options) {
  return new Intl.DateTimeFormat(current.locale, { ...options, timeZone: current.timeZone });
}

export function time(iso) {
  return iso ? dateFormat({ timeStyle: "medium" }).format(new Date(iso)) : "";
}

export function date(iso) {
  return iso ? dateFormat({ dateStyle: "medium" }).format(new Date(iso)) : "";
}

export function dateTime(value) {
  return value ? dateFormat({ dateStyle: "medium", timeStyle: "short" }).format(new Date(value)) : "";
}

// "русский" for "ru" in a Russian page; the code itself where the browser has no name.
export function languageName(code) {
  try {
    return new Intl.DisplayNames([current.locale], { type: "language" }).of(code) || code;
  } catch (error) {
    return code;
  }
}

// What a <input type="datetime-local"> value ("2026-01-01T12:00") means as an instant: that
// wall time in the person's time zone (the one the page shows times in), not the browser's.
export function instantOf(local) {
  if (!current.timeZone) return new Date(local);
  const asUtc = new Date(`${local}Z`);
  let instant = new Date(asUtc - zoneOffset(asUtc));
  const again = zoneOffset(instant); // across a DST change the offset at the answer decides
  if (again !== zoneOffset(asUtc)) instant = new Date(asUtc - again);
  return instant;
}

function zoneOffset(date) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: current.timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return wall - Math.floor(date.getTime() / 1000) * 1000;
}

export function number(value, options = {}) {
  return new Intl.NumberFormat(current.locale, options).format(value);
}

// "5 s", "2 min 5 s" in the page's language.
export function duration(seconds) {
  const unit = (value, name) => number(value, { style: "unit", unit: name, unitDisplay: "short" });
  const s = Math.round(seconds);
  return s < 60 ? unit(s, "second") : `${unit(Math.floor(s / 60), "minute")} ${unit(s % 60, "second")}`;
}
