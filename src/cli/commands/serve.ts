import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import type { Command } from "commander";
import { ClawhostError } from "../../index.js";
import { createHttpHandler } from "../../http/index.js";
import type { HttpHandler } from "../../http/index.js";
import { runForeground } from "./foreground.js";

interface ServeOptions {
  port: number;
  host: string;
  tokenFile?: string;
  allowHost: string[];
  waitTimeout: number;
}

function listenError(host: string, port: number, err: NodeJS.ErrnoException): ClawhostError {
  return new ClawhostError(err.code === "EADDRINUSE" ? "CLAWHOST_PORT_IN_USE" : "CLAWHOST_INVALID_ARGUMENT", `cannot listen on ${host}:${port} (${err.code ?? err.message}).`, {
    value: port,
    fix: err.code === "EADDRINUSE" ? "pass another --port, or stop what listens there." : "check --host and --port.",
    cause: err,
  });
}

/** `clawhost serve`: the fleet in the foreground, with the HTTP API (clawhost/http) and the dashboard. */
export function serveCommand(program: Command): void {
  program
    .command("serve")
    .description("run the fleet in the foreground with an HTTP API and a dashboard (bearer token from a 0600 file)")
    .argument("[names...]", "gateways to start (default: all)")
    .option("--port <n>", "the port to listen on (0: any free one)", (v) => Number(v), 7070)
    .option("--host <address>", "the address to listen on (a non-loopback one also needs --allow-host)", "127.0.0.1")
    .option("--token-file <path>", "where the API token is kept (created 0600 on first run; default <root>/.http/token)")
    .option("--allow-host <name>", "a Host header to accept besides 127.0.0.1/localhost/[::1] (name or name:port; repeatable)", (v: string, all: string[]) => [...all, v], [] as string[])
    .option("--wait-timeout <ms>", "how long to wait for each gateway to be ready", (v) => Number(v), 90_000)
    .addHelpText("after", "\nExamples:\n  clawhost serve                         http://127.0.0.1:7070/, token in <root>/.http/token\n  clawhost serve --port 8080 --token-file ./api.token\n\nCtrl-C or SIGTERM stops the fleet and the server; a second Ctrl-C forces.")
    .action(async (names: string[], opts: ServeOptions, cmd: Command) => {
      if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
        process.stderr.write(`clawhost: --port ${String(opts.port)} is no port (0-65535).\n`);
        process.exitCode = 2;
        return;
      }
      process.exitCode = await runForeground(cmd, names, opts.waitTimeout, {
        keepRunning: true,
        attach: async (s, say) => {
          let handler: HttpHandler | undefined;
          const server = createAdaptorServer({ fetch: (req: Request) => handler!(req) });
          await new Promise<void>((resolve, reject) => {
            server.once("error", (err: NodeJS.ErrnoException) => reject(listenError(opts.host, opts.port, err)));
            server.listen(opts.port, opts.host, () => resolve());
          });
          const port = (server.address() as AddressInfo).port;
          // The Host check needs the bound port: the handler is made once it is known. A
          // handler that cannot be made (a token file others can read, a bad --allow-host)
          // leaves no listening socket behind.
          try {
            handler = createHttpHandler(s.host, { port, dashboard: true, allowedHosts: opts.allowHost, ...(opts.tokenFile ? { tokenFile: opts.tokenFile } : {}) });
          } catch (err) {
            await new Promise<void>((resolve) => server.close(() => resolve()));
            throw err;
          }
          const shown = opts.host.includes(":") ? `[${opts.host}]` : opts.host === "0.0.0.0" ? "127.0.0.1" : opts.host;
          say(`serving http://${shown}:${port}/ (API and dashboard); token in ${handler.tokenFile}`);
          return async () => {
            handler?.close();
            await new Promise<void>((resolve) => {
              server.close(() => resolve());
              (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
            });
          };
        },
      });
    });
}
