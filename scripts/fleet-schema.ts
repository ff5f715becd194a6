// Build-time only (tsup.config.ts): the fleet file's JSON Schema from the SDK's own zod
// schemas, so editors complete and check host options and specs as host.add() does.
import { z } from "zod";
import { gatewaySpecSchema, hostOptionsSchema } from "../src/context/schema.js";

export function fleetJsonSchema(): Record<string, unknown> {
  const spec = gatewaySpecSchema.describe("A gateway spec, as host.add() takes it, without `name` (the key is the name).");
  const fleet = hostOptionsSchema
    .extend({
      $schema: z.string().optional().describe("This schema, for editors: node_modules/clawhost/dist/fleet.schema.json."),
      root: z.string().min(1).optional().describe("The fleet's root directory (relative to the file); default .clawhost beside the file."),
      gateways: z.record(z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$/), spec.nullable()).describe("The gateways by name."),
    })
    .describe("A clawhost fleet file: host options and gateways: { name: spec }.");
  const json = z.toJSONSchema(fleet, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  // The spec schema has refinements (zod cannot omit from it): drop `name` here instead.
  const specJson = (json as { properties: { gateways: { additionalProperties: { anyOf: Array<{ properties?: Record<string, unknown>; required?: string[] }> } } } }).properties.gateways.additionalProperties.anyOf[0]!;
  delete specJson.properties?.name;
  specJson.required = specJson.required?.filter((k) => k !== "name");
  return json;
}
