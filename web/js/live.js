// Subscriptions over one WebSocket with the graphql-transport-ws protocol. Browsers cannot
// set headers on a WebSocket, so the bearer token and the chosen language travel in the
// `connection_init` payload.
// When the connection drops, it is opened again (a few times, waiting longer each time) and
// every subscription resumes after the last event it received (`extensions.cursor`).

import { accessToken } from "./auth.js";
import { acceptLanguage } from "./locale.js";

const PROTOCOL = "graphql-transport-ws";
const RETRIES_MS = [500, 1000, 2000, 5000, 10000];

export class Live {
  constructor(onState = () => {}) {
    this.subscriptions = new Map();
    this.nextId = 1;
    this.socket = null;
    this.connecting = false;
    this.ready = false;
    this.retry = 0;
    this.closed = false;
    this.onState = onState;
  }

  /** Start `query`; `onData(data)` gets each event's data. Answers a function that stops it. */
  subscribe(query, variables, onData) {
    const id = String(this.nextId++);
    const subscription = { query, variables, onData, cursor: null };
    this.subscriptions.set(id, subscription);
    if (this.ready) this.send(id, subscription);
    else this.connect();
    return () => {
      this.subscriptions.delete(id);
      if (this.ready) this.socket.send(JSON.stringify({ id, type: "complete" }));
    };
  }

  /** Stop every subscription and the connection (when leaving the view). */
  close() {
    this.closed = true;
    this.subscriptions.clear();
    this.socket?.close(1000, "done");
  }

  async connect() {
    if (this.connecting || this.socket || this.closed) return;
    this.connecting = true;
    const token = await accessToken().finally(() => {
      this.connecting = false;
    });
    const url = new URL("/graphql", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url, PROTOCOL);
    this.socket = socket;
    socket.addEventListener("open", () => {
      const payload = { Authorization: `Bearer ${token}`, "Accept-Language": acceptLanguage() };
      socket.send(JSON.stringify({ type: "connection_init", payload }));
    });
    socket.addEventListener("message", (event) => this.receive(JSON.parse(event.data)));
    socket.addEventListener("close", () => this.dropped());
  }

  receive(message) {
    const subscription = this.subscriptions.get(message.id);
    switch (message.type) {
      case "connection_ack":
        this.ready = true;
        this.retry = 0;
        this.onState("live");
        for (const [id, each] of this.subscriptions) this.send(id, each);
        break;
      case "ping":
        this.socket.send(JSON.stringify({ type: "pong" }));
        break;
      case "next":
        if (!subscription) return;
        subscription.cursor = message.payload.extensions?.cursor ?? subscription.cursor;
        if (message.payload.data) subscription.onData(message.payload.data);
        break;
      case "error":
        this.subscriptions.delete(message.id);
        this.onState("error", message.payload);
        break;
      default:
        break;
    }
  }

  send(id, { query, variables, cursor }) {
    const resumed = cursor ? { ...variables, after: cursor } : variables;
    this.socket.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables: resumed } }));
  }

  dropped() {
    this.socket = null;
    this.ready = false;
    if (this.closed) return;
    if (this.retry >= RETRIES_MS.length) {
      this.onState("offline");
      return;
    }
    this.onState("reconnecting");
    setTimeout(() => this.connect(), RETRIES_MS[this.retry++]);
  }
}
