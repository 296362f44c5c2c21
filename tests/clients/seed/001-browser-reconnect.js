// The workspace gateway's authentication example (browser form) inside its reconnection
// example (a backoff loop). Verbatim but for the URL and the token (`url`, `ACCESS_TOKEN` from
// the harness); `authenticate`, `subscribe` and `refreshToken` are the application's functions
// the example leaves to the reader: the harness defines them.
function authenticate(ws) {
  ws.send(JSON.stringify({ type: 'auth', token: ACCESS_TOKEN }));
}

let retryDelay = 1000; // Start with 1 second
const maxDelay = 30000; // Max 30 seconds

function connect() {
  const ws = new WebSocket(url);

  ws.onopen = () => {
    retryDelay = 1000; // Reset on successful connection
    authenticate(ws);
    subscribe(ws);
  };

  ws.onclose = (event) => {
    if (event.code === 4001) {
      // Token expired: refresh token first
      refreshToken().then(connect);
      return;
    }

    console.log(`Reconnecting in ${retryDelay}ms...`);
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, maxDelay);
  };
}
