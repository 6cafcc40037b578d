// megalodon against a Harbour node: detects the server, posts, boosts. Prints JSON.
// Usage: node client.js BASE_URL TOKEN
const { detector, default: generator } = require("megalodon");

async function main() {
  const [url, token] = process.argv.slice(2);
  const sns = await detector(url);
  const client = generator(sns, url, token);
  const posted = (await client.postStatus("Careful: a spoiler-free sensitive post", {
    sensitive: true,
  })).data;
  const boosted = (await client.reblogStatus(posted.id)).data;
  const undone = (await client.unreblogStatus(boosted.id)).data;
  console.log(JSON.stringify({ sns, posted, boosted, undone }));
}

main().catch((error) => {
  console.error(error && error.response ? JSON.stringify(error.response.data) : String(error));
  process.exit(1);
});
