// GET the URL given as the argument with Node's fetch, left at its defaults: it trusts its own roots
// plus NODE_EXTRA_CA_CERTS (tls_client_app.py). Prints {"status", "body"} or {"error"} as JSON.
fetch(process.argv[2]).then(
  async (r) => {
    process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() }));
  },
  (e) => {
    const cause = e.cause ? `${e.cause.code || ""} ${e.cause.message || ""}` : "";
    process.stdout.write(JSON.stringify({ error: `${e.name}: ${e.message} (${cause.trim()})` }));
  },
);
