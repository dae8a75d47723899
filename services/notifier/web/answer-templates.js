// The console's standard answers: each shortcut's variants (channel, language), how often
// agents used them; supervisors add, edit and retire them. The server checks the template
// text (a syntax error names its line) and renders it in a sandbox.
import { api, el, say, show } from "/ui/common.js";
import { number, t } from "/ui/i18n.js";

const $ = (id) => document.getElementById(id);

export async function refreshAnswerTemplates() {
  const list = await api("GET", "/api/answer-templates").catch(() => []);
  show($("no-answer-templates"), list.length === 0);
  $("answer-templates").replaceChildren(...list.map(row));
}

function row(tpl) {
  const where = `${tpl.channel === "*" ? t("answers.any_channel") : tpl.channel} · ${tpl.language === "*" ? t("answers.any_language") : tpl.language}`;
  return el(
    "tr",
    { dataset: { shortcut: tpl.shortcut } },
    el("td", {}, `/${tpl.shortcut}`),
    el("td", {}, where),
    el("td", {}, tpl.title),
    el("td", { class: "number" }, number(tpl.uses)),
    el(
      "td",
      {},
      el("button", { type: "button", class: "secondary", onclick: () => edit(tpl) }, t("answers.edit")),
      " ",
      el("button", { type: "button", class: "secondary", onclick: () => retire(tpl) }, t("answers.retire")),
    ),
  );
}

function edit(tpl) {
  const form = $("answer-template-form");
  form.dataset.templateId = tpl.template_id;
  for (const name of ["shortcut", "channel", "language", "title", "body"]) form.elements[name].value = tpl[name];
  for (const name of ["shortcut", "channel", "language"]) form.elements[name].disabled = true;
  form.elements.body.focus();
}

function reset() {
  const form = $("answer-template-form");
  form.reset();
  delete form.dataset.templateId;
  for (const name of ["shortcut", "channel", "language"]) form.elements[name].disabled = false;
}

async function retire(tpl) {
  try {
    await api("DELETE", `/api/answer-templates/${tpl.template_id}`);
    say(t("answers.retired", { shortcut: tpl.shortcut }));
    await refreshAnswerTemplates();
  } catch (error) {
    say(t("answers.not_saved", { error: error.message }));
  }
}

$("answer-template-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const value = (name) => form.elements[name].value;
  try {
    if (form.dataset.templateId) {
      await api("PUT", `/api/answer-templates/${form.dataset.templateId}`, { title: value("title"), body: value("body") });
    } else {
      await api("POST", "/api/answer-templates", {
        shortcut: value("shortcut"),
        channel: value("channel") || "*",
        language: value("language") || "*",
        title: value("title"),
        body: value("body"),
      });
    }
    say(t("answers.saved", { shortcut: value("shortcut") }));
    reset();
    await refreshAnswerTemplates();
  } catch (error) {
    say(t("answers.not_saved", { error: error.message }));
  }
});
$("answer-template-cancel").addEventListener("click", reset);
