// The viewer's language: chosen on the preferences page (kept in this browser), else the
// browser's own. The gateway gets it as Accept-Language and answers status labels and
// QR-bills in it; dates and amounts are formatted with Intl in the same language.

const KEY = "portal.locale";
export const LOCALES = [
  ["de-CH", "Deutsch (Schweiz)"],
  ["fr-CH", "Français (Suisse)"],
  ["it-CH", "Italiano (Svizzera)"],
  ["en", "English"],
  ["de-DE", "Deutsch (Deutschland)"],
];

export function chosenLocale() {
  return localStorage.getItem(KEY);
}

export function chooseLocale(locale) {
  if (locale) localStorage.setItem(KEY, locale);
  else localStorage.removeItem(KEY);
}

/** The Accept-Language header: the chosen locale first, then the browser's languages. */
export function acceptLanguage() {
  const languages = [chosenLocale(), ...navigator.languages].filter(Boolean);
  return [...new Set(languages)].join(", ");
}

function formatLocale() {
  return chosenLocale() || navigator.language || "en";
}

export function money(value) {
  if (!value) return "–";
  return new Intl.NumberFormat(formatLocale(), { style: "currency", currency: value.currencyCode })
    .format(Number(value.amount));
}

export function date(value) {
  if (!value) return "–";
  const options = value.length === 10 ? { dateStyle: "medium", timeZone: "UTC" } : { dateStyle: "medium" };
  return new Intl.DateTimeFormat(formatLocale(), options).format(new Date(value));
}

export function dateTime(value) {
  if (!value) return "–";
  return new Intl.DateTimeFormat(formatLocale(), { dateStyle: "medium", timeStyle: "short" })
    .format(new Date(value));
}
