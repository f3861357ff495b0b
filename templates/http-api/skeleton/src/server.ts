import { createServer } from "node:http";
import { handler, type State } from "./app.ts";
import { log } from "./log.ts";

const port = Number(process.env.PORT ?? 8080);
const state: State = { ready: false };
const server = createServer(handler(state));

server.listen(port, () => {
  state.ready = true;
  log("info", "listening", { port });
});

// Kubernetes sends SIGTERM and removes the pod from the Service at the same time: stop being
// ready, let the endpoints update, then finish the requests in flight.
process.on("SIGTERM", () => {
  state.ready = false;
  log("info", "shutting down");
  setTimeout(() => server.close(() => process.exit(0)), 5000).unref();
});
