// Preferences. The language is this browser's choice, sent as Accept-Language (the graph's
// status labels and QR-bills follow it). Where the graph offers stored preferences
// (`viewer.preferences`, `updatePreferences`, domain.md §5, kept in the identity provider),
// the page also shows and saves the language and time zone there; a graph without them
// answers the first query with a validation error, and the page keeps to the language switch.

import { graphql } from "../api.js";
import { errorNotice, h, userErrorList } from "../dom.js";
import { LOCALES, chooseLocale, chosenLocale } from "../locale.js";

const STORED = `query Preferences { viewer { preferences { locale timezone } } }`;
const UPDATE = `mutation UpdatePreferences($input: UpdatePreferencesInput!) {
  updatePreferences(input: $input) { preferences { locale timezone } userErrors { field code message } }
}`;

export async function show(main) {
  const { data } = await graphql(STORED);
  const stored = data?.viewer?.preferences ?? null;
  const feedback = h("div", { role: "status" });
  const locale = h("select", { id: "locale", name: "locale" },
    h("option", { value: "" }, "As my browser"),
    LOCALES.map(([value, label]) => h("option", { value, selected: value === (chosenLocale() ?? stored?.locale) }, label)));
  const timezone = stored && h("input", { id: "timezone", name: "timezone", value: stored.timezone ?? "", autocomplete: "off" });
  const form = h("form", { class: "card" },
    h("label", { for: "locale" }, "Language"), locale,
    timezone && [h("label", { for: "timezone" }, "Time zone"), timezone],
    feedback,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Save")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    chooseLocale(locale.value);
    if (!stored) {
      feedback.replaceChildren(h("p", {}, "Saved in this browser."));
      return;
    }
    try {
      const input = { ...(locale.value && { locale: locale.value }), timezone: timezone.value };
      const { data: saved, errors } = await graphql(UPDATE, { input });
      if (errors.length) throw new Error(errors[0].message);
      feedback.replaceChildren(userErrorList(saved.updatePreferences.userErrors) || h("p", {}, "Saved."));
    } catch (error) {
      feedback.replaceChildren(errorNotice(error));
    }
  });
  main.replaceChildren(h("h1", {}, "Preferences"), form);
}
