import * as z from "zod";

// Host options and spec fields are the SDK's: it checks them (fleet.ts restates its errors), the file only its shape.
const specSchema = z.record(z.string(), z.unknown()).describe("A gateway spec, as host.add() takes it, without `name` (the key is the name).");

/** The shape of a fleet file: host options at the top, `gateways: { name: spec }`. */
export const fleetSchema = z
  .object({
    $schema: z.string().optional().describe("This schema, for editors: node_modules/clawhost/dist/fleet.schema.json."),
    root: z.string().min(1).optional().describe("The fleet's root directory (relative to the file); default .clawhost beside the file."),
    gateways: z.record(z.string(), specSchema.nullable()).describe("The gateways by name."),
  })
  .catchall(z.unknown())
  .describe("A clawhost fleet file: host options (root, ports, openclaw, restart, ...) and gateways.");
