// A strict, independent ActivityPub peer built with Fedify, for Harbour's interop tests.
// Usage: node peer.mjs PORT [FOLLOW_URI]
// Serves the actor "fedi" at http://127.0.0.1:PORT/users/fedi with an RSA key. Fedify checks
// the HTTP Signature of everything posted to its inboxes. On start it follows FOLLOW_URI if
// given; when someone follows fedi it accepts and sends them a Note. Every event is printed
// to stdout as one JSON line, an inbox POST's with the kind of signature it carried.
// With PEER_SPEC=rfc9421 (Fedify 1.6+) the first Follow is signed RFC 9421 by hand and posted
// once, without double-knocking, so its answer shows whether RFC 9421 alone was accepted.
// fedi also has an Ed25519 key (FEP-521a assertionMethod), so Fedify adds FEP-8b32 integrity
// proofs to what it sends; every POST that carries a proof is checked with Fedify's own
// verifyObject, as sent and with one byte changed, and printed as a "proof" event.
import { createServer } from "node:http";
import {
  Accept, Activity, Create, createFederation, Endpoints, Follow, generateCryptoKeyPair,
  MemoryKvStore, Note, Person, PUBLIC_COLLECTION, signRequest, Undo, verifyObject,
} from "@fedify/fedify";
import { Temporal } from "@js-temporal/polyfill";

const [port, followUri] = process.argv.slice(2);
const origin = `http://127.0.0.1:${port}`;
const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const edKeys = await generateCryptoKeyPair("Ed25519");
const log = (event) => console.log(JSON.stringify(event));
const federation = createFederation({ kv: new MemoryKvStore(), allowPrivateAddress: true });

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "fedi") return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify peer",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      publicKey: pairs[0].cryptographicKey,
      assertionMethods: pairs.map((pair) => pair.multikey),
    });
  })
  .setKeyPairsDispatcher(async () => [keys, edKeys]);
federation.setFollowersDispatcher("/users/{identifier}/followers", async () => ({ items: [] }));

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    const follower = await follow.getActor(ctx);
    log({ event: "follow", actor: follower?.id?.href, id: follow.id?.href });
    await ctx.sendActivity({ identifier: "fedi" }, follower, new Accept({
      id: new URL(`${origin}/accepts/${crypto.randomUUID()}`),
      actor: ctx.getActorUri("fedi"), object: follow,
    }));
    const note = new Note({
      id: new URL(`${origin}/notes/${crypto.randomUUID()}`),
      attribution: ctx.getActorUri("fedi"),
      content: "<p>Hello from Fedify</p>",
      to: follower.id, cc: PUBLIC_COLLECTION, published: Temporal.Now.instant(),
    });
    await ctx.sendActivity({ identifier: "fedi" }, follower, new Create({
      id: new URL(`${note.id.href}/activity`), actor: ctx.getActorUri("fedi"),
      object: note, to: follower.id, cc: PUBLIC_COLLECTION,
    }));
    log({ event: "sent", to: follower?.id?.href });
  })
  .on(Accept, async (ctx, accept) => {
    log({ event: "accept", actor: accept.actorId?.href, id: accept.id?.href });
  })
  .on(Undo, async (ctx, undo) => log({ event: "undo", actor: undo.actorId?.href }))
  .on(Create, async (ctx, create) => {
    const note = await create.getObject(ctx);
    log({ event: "create", actor: create.actorId?.href, content: note?.content?.toString() });
  })
  .onError((ctx, error) => log({ event: "inbox-error", message: String(error) }));

const server = createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = chunks.length ? Buffer.concat(chunks) : undefined;
  const request = new Request(`${origin}${req.url}`, {
    method: req.method,
    headers: Object.entries(req.headers).map(([k, v]) => [k, String(v)]),
    body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
  });
  if (req.method === "POST" && body) await checkProof(body.toString("utf8"));
  const response = await federation.fetch(request, { contextData: undefined });
  const signature = req.headers["signature-input"] ? "rfc9421"
    : req.headers.signature ? "draft-cavage" : "none";
  if (req.method === "POST") {
    log({ event: "inbox-answer", path: req.url, status: response.status, signature });
  }
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});
// Fedify's verifyObject on a posted activity that carries a proof: as sent, and with one
// character of its text changed (which must not verify).
async function checkProof(text) {
  let json;
  try { json = JSON.parse(text); } catch { return; }
  if (json?.proof == null) return;
  const ctx = federation.createContext(new URL(origin), undefined);
  const options = { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader };
  const verify = async (document) => {
    try { return (await verifyObject(Activity, document, options)) != null; }
    catch (error) { log({ event: "proof-error", message: String(error) }); return false; }
  };
  const changed = text.replace(/"published":"(\d)/, (_, d) => `"published":"${(Number(d) + 1) % 10}`);
  log({ event: "proof", id: json.id, verified: await verify(json),
    tampered: changed === text ? null : await verify(JSON.parse(changed)) });
}

server.listen(Number(port), "127.0.0.1", async () => {
  log({ event: "listening", actor: `${origin}/users/fedi` });
  if (followUri) {
    const ctx = federation.createContext(new URL(origin), undefined);
    const target = await ctx.lookupObject(followUri);
    if (!target) { log({ event: "lookup-failed", uri: followUri }); return; }
    const follow = new Follow({
      id: new URL(`${origin}/follows/${crypto.randomUUID()}`),
      actor: ctx.getActorUri("fedi"), object: target.id,
    });
    if (process.env.PEER_SPEC === "rfc9421") {
      const request = await signRequest(new Request(target.inboxId, {
        method: "POST", headers: { "content-type": "application/activity+json" },
        body: JSON.stringify(await follow.toJsonLd()),
      }), keys.privateKey, new URL(`${ctx.getActorUri("fedi").href}#main-key`),
      { spec: "rfc9421" });
      const response = await fetch(request);
      log({ event: "follow-sent", to: target.id.href, spec: "rfc9421", status: response.status,
        answer: await response.text() });
      return;
    }
    await ctx.sendActivity({ identifier: "fedi" }, target, follow);
    log({ event: "follow-sent", to: target.id.href });
  }
});
