// The workspace gateway's authentication example, Node.js form. Verbatim but for the URL and
// the token, which the harness provides as `url` and `ACCESS_TOKEN`.
// Node.js (via headers)
const ws = new WebSocket(url, {
  headers: { Authorization: `Bearer ${ACCESS_TOKEN}` }
});
