// SnackBase's realtime example. Verbatim but for the URL and the token: `token` comes from the
// harness's ACCESS_TOKEN and the host from its `base`.
const token = ACCESS_TOKEN;
const ws = new WebSocket(`ws://${base}/api/v1/realtime/ws?token=${token}`);
ws.onopen = () => {
// Subscribe to posts collection
ws.send(JSON.stringify({
action: "subscribe",
collection: "posts",
operations: ["create", "update", "delete"]
}));
};
ws.onmessage = (event) => {
const message = JSON.parse(event.data);
if (message.type === "posts.create") {
console.log("New post created:", message.data);
}
if (message.type === "heartbeat") {
console.log("Heartbeat received");
}
};
ws.onerror = (error) => {
console.error("WebSocket error:", error);
};
ws.onclose = () => {
console.log("WebSocket connection closed");
};
