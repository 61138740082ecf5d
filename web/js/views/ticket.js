// A ticket with its SLA and messages. Writing posts a message (postMessage); messages the
// provider writes meanwhile arrive over a subscription (messageAdded).

import { graphqlData } from "../api.js";
import { badge, errorNotice, h, link, userErrorList } from "../dom.js";
import { Live } from "../live.js";
import { dateTime } from "../locale.js";

const MESSAGE = "id authorName authorIsProvider body createdAt writtenByViewer";
const TICKET = `query Ticket($id: ID!) {
  ticket(id: $id) {
    id number subject description status statusLabel priority category
    sla { status percentElapsed resolutionDueAt }
    thread { totalCount messages { ${MESSAGE} } }
  }
}`;
const POST = `mutation Post($input: PostMessageInput!) {
  postMessage(input: $input) { message { ${MESSAGE} } userErrors { field code message } }
}`;
const ADDED = `subscription Messages($subjectId: ID, $after: String) {
  messageAdded(subjectId: $subjectId, after: $after) { ${MESSAGE} }
}`;

export async function show(main, { params: [id], viewer }) {
  const { ticket } = await graphqlData(TICKET, { id });
  if (!ticket) {
    main.replaceChildren(h("h1", {}, "Ticket not found"), link("/cases?type=TICKET", "All tickets"));
    return undefined;
  }
  const messages = h("ol", { class: "messages", id: "messages", "aria-live": "polite" });
  const add = (message) => {
    if (!messages.querySelector(`[data-id="${CSS.escape(message.id)}"]`)) messages.append(messageItem(message));
  };
  (ticket.thread?.messages ?? []).forEach(add);
  main.replaceChildren(
    h("h1", {}, `Ticket ${ticket.number}`),
    h("section", { class: "card" },
      h("p", {}, h("strong", {}, ticket.subject), " ", badge(ticket.statusLabel, ticket.status)),
      h("p", {}, ticket.description),
      h("p", { class: "muted" },
        `Priority ${ticket.priority.toLowerCase()} · SLA `, badge(ticket.sla.status.replace("_", " ").toLowerCase(), ticket.sla.status),
        ` · resolution due ${dateTime(ticket.sla.resolutionDueAt)}`)),
    h("section", { class: "card", "aria-labelledby": "conversation" },
      h("h2", { id: "conversation" }, "Messages"),
      messages,
      viewer.permissions.includes("tickets:write") ? composer(ticket.id, add) : null),
  );
  const live = new Live();
  live.subscribe(ADDED, { subjectId: ticket.id }, ({ messageAdded }) => add(messageAdded));
  return () => live.close();
}

function messageItem(message) {
  const body = h("div", { class: "body" });
  // The gateway sanitizes message bodies to a small allow-list of HTML (paragraphs, emphasis,
  // lists, links); they are the one piece of markup this page takes from the graph.
  body.innerHTML = message.body;
  const kind = message.writtenByViewer ? "mine" : message.authorIsProvider ? "provider" : "";
  return h("li", { class: `message ${kind}`, "data-id": message.id },
    h("p", { class: "muted" }, `${message.authorName} · ${dateTime(message.createdAt)}`),
    body);
}

function composer(subjectId, add) {
  const feedback = h("div");
  const text = h("textarea", { id: "message-body", name: "body", required: true, maxlength: "10000" });
  const send = h("button", { type: "submit" }, "Send message");
  const form = h("form", {},
    h("label", { for: "message-body" }, "Your message"), text,
    feedback, h("div", { class: "actions" }, send));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    send.disabled = true;
    try {
      const { postMessage: result } = await graphqlData(POST, { input: { subjectId, body: text.value } });
      feedback.replaceChildren(userErrorList(result.userErrors));
      if (result.message) {
        add(result.message);
        text.value = "";
      }
    } catch (error) {
      feedback.replaceChildren(errorNotice(error));
    } finally {
      send.disabled = false;
    }
  });
  return form;
}
