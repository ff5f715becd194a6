// The Kubernetes object classes (kubernetes-models: typed, with the API's own schemas),
// loaded by renderKubernetes on first use: their validators are ~0.7 MB of code.
export { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
export { ConfigMap } from "kubernetes-models/v1/ConfigMap";
export { Secret } from "kubernetes-models/v1/Secret";
export { Service } from "kubernetes-models/v1/Service";
