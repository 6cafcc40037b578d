// masto.js streams one stream of a Harbour node over WebSocket and prints each event as a
// JSON line, until the node closes the stream. The test nodes' names (node-b.test) resolve
// to loopback here, as the nodes resolve each other's.
// Usage: node stream.mjs LOOPBACK_URL TOKEN STREAM [LIST_ID]
import { createRestAPIClient, createStreamingAPIClient } from "masto";
import WebSocket from "ws";

class OnLoopback extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols, {
      lookup: (_host, options, done) =>
        options && options.all ? done(null, [{ address: "127.0.0.1", family: 4 }]) : done(null, "127.0.0.1", 4),
    });
  }
}

const [url, accessToken, stream, listId] = process.argv.slice(2);
const rest = createRestAPIClient({ url, accessToken });
const instance = await rest.v2.instance.fetch();
const streaming = createStreamingAPIClient({
  streamingApiUrl: instance.configuration.urls.streaming,
  accessToken,
  implementation: OnLoopback,
  retry: false,
});
const subscription =
  stream === "list" ? streaming.list.subscribe({ list: listId }) : streaming[stream].subscribe();
for await (const event of subscription) {
  console.log(JSON.stringify({ event: event.event, stream: event.stream, payload: event.payload }));
}
console.log(JSON.stringify({ closed: true }));
