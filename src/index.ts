export { GatewayHost } from "./host/host.js";
export type { HostEvents, HostSnapshot } from "./host/host.js";
export { Gateway } from "./gateway/gateway.js";
export type {
  GatewayEvents,
  GatewayExitInfo,
  GatewayLogLine,
  GatewayReadyInfo,
  GatewaySnapshot,
  GatewayState,
  GatewayStateChange,
  GatewayWarning,
  GatewayUnhealthyInfo,
  GatewayBackoffInfo,
  ExitReason,
  OperationOptions,
  RestartOptions,
  SupervisionOptions,
} from "./gateway/gateway.js";
export { DEFAULT_LIVENESS, DEFAULT_RESTART_POLICY, RestartTracker } from "./gateway/policy.js";
export type { Clock, LivenessOptions, RestartDecision, RestartMode, RestartPolicy } from "./gateway/policy.js";
export { classifyExit, EXIT_CONFIG } from "./process/exit.js";
export { ConfigStore } from "./config/store.js";
export type { ConfigChange, ConfigStoreOptions, ConfigUpdate, ConfigUpdateResult, LiveConfigTarget, UpdateConfigOptions } from "./config/store.js";
export type { OpenClawConfig } from "./config/file.js";
export type { ConfigIssue, ConfigValidator } from "./config/schema.js";
export type { ExitFacts } from "./process/exit.js";
export type { ExitInfo } from "./process/spawn.js";
export { InstanceContext, portBlockFor } from "./context/context.js";
export type { InstanceContextInit, PortBlock, PortRange } from "./context/context.js";
export {
  GATEWAY_NAME_PATTERN,
  MAX_BASE_PORT,
  PORT_BLOCK_SPAN,
  PORT_BLOCK_STRIDE,
  validateGatewayName,
} from "./context/schema.js";
export type { GatewaySpec, HostOptions } from "./context/schema.js";
export { ClawhostError, isClawhostError } from "./errors.js";
export type { ClawhostErrorCode, ClawhostErrorInit } from "./errors.js";
export { GatewayConnection, PROTOCOL_VERSION } from "./rpc/connection.js";
export type {
  ConnectOptions,
  GatewayConnectionEvents,
  GatewayErrorShape,
  GatewayEventFrame,
  HelloOk,
  RequestOptions,
} from "./rpc/connection.js";
export { resolveRuntime, satisfiesEngines } from "./process/runtime.js";
export type { ResolvedRuntime, RuntimeQuery } from "./process/runtime.js";
export { LeaseRegistry, defaultLeaseDir } from "./ports/leases.js";
export type { Lease, LeaseGrant } from "./ports/leases.js";
export { findPortHolders } from "./ports/holders.js";
export type { PortHolder } from "./ports/holders.js";
export type { ProcIdentity } from "./process/proc.js";
