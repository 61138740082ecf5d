// Documents shared with the organization: a thumbnail preview where the DMS (or the gateway)
// has one, else the format's icon name; downloads of the latest version. Thumbnails and files
// are signed links fetched with the bearer token.

import { download, fileUrl } from "../api.js";
import { h } from "../dom.js";
import { date } from "../locale.js";
import { pager } from "../paging.js";

const DOCUMENTS = `query Documents($filter: DocumentFilterInput, $after: String) {
  documents(filter: $filter, first: 24, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id title documentType mimeType size updatedAt
      latestVersion { versionLabel filename downloadUrl }
      renditions { kind status url fallbackIcon }
    } }
  }
}`;

export async function show(main, { query }) {
  const search = query.get("q") ?? "";
  const list = h("ul", { class: "documents", id: "document-list" });
  const { more, notices, load } = pager({
    query: DOCUMENTS,
    variables: { filter: search ? { search } : null },
    field: "documents",
    list,
    row: item,
  });

  const form = h("form", { class: "filters search-only card", role: "search" },
    h("div", {}, h("label", { for: "doc-q" }, "Search documents"),
      h("input", { id: "doc-q", name: "q", type: "search", value: search })),
    h("button", { type: "submit" }, "Search"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = new FormData(form).get("q");
    location.hash = q ? `/documents?${new URLSearchParams({ q })}` : "/documents";
  });
  main.replaceChildren(h("h1", {}, "Documents"), form, notices, list, h("div", { class: "actions" }, more));
  await load();
}

function item(document) {
  const thumbnail = document.renditions.find((r) => r.kind === "THUMBNAIL") ?? document.renditions[0];
  const preview = h("div", { class: "thumb", "aria-hidden": "true" }, thumbnail?.fallbackIcon ?? "file");
  if (thumbnail?.status === "READY" && thumbnail.url) {
    fileUrl(thumbnail.url).then((src) => {
      preview.replaceWith(h("img", { class: "thumb", src, alt: `Preview of ${document.title}` }));
    }, () => undefined);  // the icon stays: a preview is a nicety
  }
  const version = document.latestVersion;
  return h("li", { class: "card" },
    preview,
    h("strong", {}, document.title),
    h("span", { class: "muted" }, `${document.documentType.replace("_", " ").toLowerCase()} · v${version.versionLabel} · ${date(document.updatedAt)}`),
    h("button", {
      type: "button",
      class: "secondary",
      "aria-label": `Download ${document.title}`,
      onclick: () => download(version.downloadUrl, version.filename),
    }, "Download"));
}
