// A connection shown page by page: "Show more" asks for the page after the last cursor and
// appends its rows; the errors of a partial page show in `notices`.

import { graphql } from "./api.js";
import { h, problemNotice } from "./dom.js";

export function pager({ query, variables, field, list, row, onPage = () => {} }) {
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Show more");
  const notices = h("div");
  let after = null;

  async function load() {
    more.disabled = true;
    const { data, errors } = await graphql(query, { ...variables, after });
    notices.replaceChildren(problemNotice(errors));
    const connection = data?.[field];
    if (!connection) return;
    list.append(...connection.edges.map(({ node }) => row(node)));
    onPage(connection);
    after = connection.pageInfo.endCursor;
    more.hidden = !connection.pageInfo.hasNextPage;
    more.disabled = false;
  }

  more.addEventListener("click", load);
  return { more, notices, load };
}
