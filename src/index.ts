/**
 * `clawhost`: run many isolated OpenClaw gateways on one host from a Node program.
 *
 * @packageDocumentation
 * @module clawhost
 */
// The public API: what users of clawhost need, named one by one. Internals (the lease
// registry, the tracker, exit classification, runtime discovery, constructors of the
// classes the host creates) stay inside.
export { GatewayHost } from "./host/host.js";
export type { HostEvents, HostSnapshot } from "./host/host.js";
export type { Gateway } from "./gateway/gateway.js";
export type {
  GatewayEvents,
  GatewayExitInfo,
  GatewayLogLine,
  GatewayReadyInfo,
  GatewayResources,
  GatewaySnapshot,
  GatewayState,
  GatewayStateChange,
  GatewayWarning,
  GatewayUnhealthyInfo,
  GatewayBackoffInfo,
  OperationOptions,
  RestartOptions,
  SupervisionOptions,
  DisposeOptions,
  DisposeProblem,
  DisposeReport,
  EventDataMap,
  GatewayDiagnostics,
  EventRecord,
  EventType,
  HostWarning,
} from "./gateway/types.js";
export type { EventsOptions, GapData, StreamRecord } from "./observe/types.js";
export type { LogGap, LogLevel, LogRecord, LogSource, LogsQuery } from "./observe/logs/types.js";
export { redactConfig } from "./observe/diagnostics.js";
export type { TreeProcess } from "./observe/diagnostics.js";
export { METRICS_CONTENT_TYPE } from "./observe/metrics.js";
export type { ExitReason } from "./process/exit.js";
export type { ExitInfo } from "./process/spawn.js";
export type { Survivor } from "./process/tree.js";
export { DEFAULT_LIVENESS, DEFAULT_RESTART_POLICY } from "./context/supervision.js";
export type { LivenessOptions, RestartMode, RestartPolicy } from "./context/supervision.js";
export { ConfigStore } from "./config/store.js";
export type { HealthResult } from "./gateway/liveness.js";
export type { ConfigChange, ConfigWriteCounts, ConfigStoreOptions, ConfigUpdate, ConfigUpdateResult, LiveConfigTarget, UpdateConfigOptions } from "./config/store.js";
export type { OpenClawConfig } from "./config/file.js";
export type { ConfigIssue, ConfigValidator } from "./config/schema.js";
export type { InstanceContext } from "./context/context.js";
export type { PortBlock, PortRange } from "./ports/block.js";
export { MAX_BASE_PORT, PORT_BLOCK_SPAN, PORT_BLOCK_STRIDE } from "./ports/block.js";
export { GATEWAY_NAME_PATTERN } from "./context/schema.js";
export type { GatewaySpec, HostOptions, LogsSettings } from "./context/schema.js";
export { ClawhostError, isClawhostError } from "./errors.js";
export type { ClawhostErrorCode, ClawhostErrorInit } from "./errors.js";
export type { GatewayErrorShape, GatewayEventFrame, HelloOk } from "./rpc/connection.js";
export { SUPPORTED_OPENCLAW } from "./process/runtime.js";
export { renderSystemd } from "./render/systemd.js";
export { renderKubernetes } from "./render/kubernetes.js";
export { writeRenderedFiles } from "./render/write.js";
export type { WrittenFile } from "./render/write.js";
export type { KubernetesRenderOptions, RenderedFile, RenderFleet, SystemdRenderOptions } from "./render/options.js";
export type { ResolvedRuntime } from "./process/runtime.js";
