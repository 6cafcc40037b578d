// Looks up a Harbour node the way a Fedify server would, with Fedify's strict parsers, and
// prints what Fedify understood as one JSON object. Usage: node lookup.mjs BASE_URL USERNAME
import { getDocumentLoader, getNodeInfo, lookupObject } from "@fedify/fedify";

const [base, username] = process.argv.slice(2);
const documentLoader = getDocumentLoader({ allowPrivateAddress: true });
const result = {};

const actor = await lookupObject(`${base}/users/${username}`, {
  documentLoader,
  contextLoader: documentLoader,
});
if (actor == null) throw new Error("Fedify could not look the actor up");
result.actor = {
  type: actor.constructor.name,
  id: actor.id?.href,
  preferredUsername: actor.preferredUsername?.toString(),
  inbox: actor.inboxId?.href,
  outbox: actor.outboxId?.href,
  sharedInbox: actor.endpoints?.sharedInbox?.href,
  followers: actor.followersId?.href,
  manuallyApprovesFollowers: actor.manuallyApprovesFollowers,
};
const key = await actor.getPublicKey({ documentLoader, contextLoader: documentLoader });
result.publicKey = { id: key?.id?.href, owner: key?.ownerId?.href, algorithm: key?.publicKey?.algorithm?.name };

const outbox = await actor.getOutbox({ documentLoader, contextLoader: documentLoader });
result.outbox = { totalItems: outbox?.totalItems, contents: [] };
const first = await outbox?.getFirst({ documentLoader, contextLoader: documentLoader });
for await (const activity of first?.getItems({ documentLoader, contextLoader: documentLoader }) ?? []) {
  const note = await activity.getObject({ documentLoader, contextLoader: documentLoader });
  result.outbox.contents.push(note?.content?.toString());
}

const nodeInfo = await getNodeInfo(base, { parse: "strict" });
result.nodeInfo = {
  software: nodeInfo?.software?.name,
  protocols: nodeInfo?.protocols,
  openRegistrations: nodeInfo?.openRegistrations,
  users: nodeInfo?.usage?.users?.total,
};
console.log(JSON.stringify(result));
