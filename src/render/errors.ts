import { ClawhostError } from "../errors.js";

/** A gateway of the fleet that the target cannot carry as it runs here (`CLAWHOST_RENDER_UNSUPPORTED`). */
export function renderUnsupported(target: string, gateway: string | undefined, message: string, value: unknown, fix: string): ClawhostError {
  return new ClawhostError("CLAWHOST_RENDER_UNSUPPORTED", `${target}: ${message}`, { gateway, value, fix, details: { target } });
}
