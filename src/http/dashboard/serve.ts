import type { Hono } from "hono";
import { APP_JS, INDEX_HTML, STYLE_CSS } from "./page.js";

// Only its own script and style, no inline code, no framing, fetch to this origin alone.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The dashboard's static files: no data in them, so no token is needed to load them. */
export function serveDashboard(app: Hono): void {
  const file = (body: string, type: string) => () =>
    new Response(body, { headers: { "content-type": `${type}; charset=utf-8`, "content-security-policy": CSP, "x-frame-options": "DENY", "cache-control": "no-cache" } });
  app.get("/", file(INDEX_HTML, "text/html"));
  app.get("/dashboard/app.js", file(APP_JS, "text/javascript"));
  app.get("/dashboard/style.css", file(STYLE_CSS, "text/css"));
  // Browsers ask for it on their own, without the token: an empty answer, not a 401.
  app.get("/favicon.ico", () => new Response(null, { status: 204 }));
}
