import { clearScreenDown, cursorTo, moveCursor } from "node:readline";
import type { WriteStream } from "node:tty";
import type { GatewayHost } from "../index.js";
import { formatDuration, renderTable } from "./output.js";

/**
 * The foreground `up`'s view on a terminal: a table of every gateway (state, port, time to
 * ready, restarts, uptime) kept at the bottom and redrawn in place, the event lines above it.
 */
export class LiveView {
  readonly #out: WriteStream;
  readonly #host: GatewayHost;
  #drawn = 0;
  #footer = "Ctrl-C stops every gateway; a second Ctrl-C forces.";

  constructor(out: WriteStream, host: GatewayHost) {
    this.#out = out;
    this.#host = host;
  }

  /** Print a line above the table, then redraw it. */
  line(text: string): void {
    this.#erase();
    this.#out.write(`${text}\n`);
    this.#draw();
  }

  /** Redraw the table (after a state change, or a tick for uptimes). */
  refresh(footer?: string): void {
    if (footer !== undefined) this.#footer = footer;
    this.#erase();
    this.#draw();
  }

  #erase(): void {
    if (this.#drawn === 0) return;
    moveCursor(this.#out, 0, -this.#drawn);
    cursorTo(this.#out, 0);
    clearScreenDown(this.#out);
    this.#drawn = 0;
  }

  #draw(): void {
    const rows = this.#host.list().map((g) => {
      const s = g.snapshot();
      return [g.name, s.state, String(g.context.ports.gateway), s.pid === undefined ? "-" : String(s.pid), s.readyMs === undefined ? "-" : `${(s.readyMs / 1000).toFixed(1)}s`, String(s.restartsTotal), formatDuration(s.uptimeMs)];
    });
    const table = renderTable(
      [{ title: "NAME", keep: true }, { title: "STATE", keep: true }, { title: "PORT" }, { title: "PID" }, { title: "READY IN" }, { title: "RESTARTS" }, { title: "UPTIME" }],
      rows,
      this.#out.columns ?? 80,
    );
    const text = `${table}\n${this.#footer}\n`;
    this.#out.write(text);
    this.#drawn = text.split("\n").length - 1;
  }
}
