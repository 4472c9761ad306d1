// Validation of manifests against the real schemas:
//
// - built-in kinds: kubernetes-models' validators (types, required fields, formats), and the Kubernetes
//   OpenAPI v3 documents of the release the tests' kube-apiserver is built from, closed, so that an unknown
//   field fails as it does under `kubectl apply` (strict field validation);
// - KEDA (ScaledObject, TriggerAuthentication) and prometheus-operator (PodMonitor, ServiceMonitor):
//   @kubernetes-models/keda and @kubernetes-models/prometheus-operator;
// - Strimzi (Kafka, KafkaNodePool, KafkaTopic) and the Flink operator (FlinkDeployment): the
//   openAPIV3Schema of their CRDs, closed wherever the schema does not preserve unknown fields (as the API
//   server's strict field validation does).
//
// The OpenAPI documents and the CRDs are installed by `node bin/dp.js install --kubernetes` (infra/local/
// install-kube.ts: from the k8s.io/kubernetes module and the operators' Maven jars); npm test runs it first.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { APIService } from 'kubernetes-models/apiregistration.k8s.io/v1/APIService';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { KubeObject } from '../../../infra/k8s/kustomize';
import { parseYaml } from '../../../infra/k8s/yaml';
import { kubeToolPaths, OPENAPI_GROUPS } from '../../../infra/local/install-kube';
import { loadConfig } from '../../../lib/config';

/** What the models have in common (their base class's types do not resolve under this project's settings). */
interface Model {
  validate(): void;
}
type ModelClass = new (data: never) => object;

/** The model class of each built-in or add-on kind, by `apiVersion/kind`. */
const MODELS: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'apiregistration.k8s.io/v1/APIService': APIService,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

/** Which OpenAPI document describes an apiVersion, and the name of a kind's schema in it. */
function openApiTarget(apiVersion: string, kind: string): { group: string; ref: string } | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion];
  const doc = group === 'core' ? `api__${version}` : `apis__${group}__${version}`;
  if (!OPENAPI_GROUPS.includes(doc)) return undefined;
  const prefix =
    group === 'core'
      ? 'io.k8s.api.core'
      : `io.k8s.api.${group.replace(/\.k8s\.io$/, '').replace(/\.authorization$/, '')}`;
  return { group: doc, ref: `${prefix}.${version}.${kind}` };
}

/** The kinds whose CRD schema is installed, with the apiVersion it serves. */
export const CRD_KINDS = ['Kafka', 'KafkaNodePool', 'KafkaTopic', 'FlinkDeployment'];

type Schema = { [key: string]: unknown };

/**
 * Makes an OpenAPI/CRD schema reject unknown fields: every object schema that lists its properties and
 * neither allows additional ones nor preserves unknown fields gets `additionalProperties: false`.
 */
export function closeSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const s = schema as Schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    // `properties` maps field names to schemas: recurse into the schemas, not the map itself.
    out[k] =
      k === 'properties' && typeof v === 'object' && v !== null
        ? Object.fromEntries(Object.entries(v as Schema).map(([name, sub]) => [name, closeSchema(sub)]))
        : closeSchema(v);
  }
  if (
    s.properties !== undefined &&
    s.additionalProperties === undefined &&
    s['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

function schemasDir(): { crds: string; openapi: string } {
  const p = kubeToolPaths(loadConfig().cacheDir);
  for (const dir of [p.crds, p.openapi]) {
    if (!fs.existsSync(dir)) {
      throw new Error(
        `The Kubernetes schemas are not installed (${dir} is missing): run \`node bin/dp.js install --kubernetes\` ` +
          '(npm test does).',
      );
    }
  }
  return p;
}

interface Crd {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; schema?: { openAPIV3Schema: Schema } }[];
  };
}

/** The installed CRD of a kind, as YAML parsed. */
export function readCrd(kind: string): Crd {
  return parseYaml(fs.readFileSync(path.join(schemasDir().crds, `${kind}.yaml`), 'utf8')) as Crd;
}

// OpenAPI and CRD schemas use formats (int32, int-or-string, ...) and x-kubernetes-* keywords that are not
// JSON Schema: formats are not checked here (kubernetes-models checks them), unknown keywords are ignored.
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const openApiLoaded = new Set<string>();
const crdValidators = new Map<string, ValidateFunction>();

function openApiValidator(group: string, ref: string): ValidateFunction | undefined {
  const id = `k8s-openapi-${group}`;
  if (!openApiLoaded.has(group)) {
    const doc = JSON.parse(fs.readFileSync(path.join(schemasDir().openapi, `${group}.json`), 'utf8')) as {
      components: { schemas: Schema };
    };
    // Each document is self-contained: its $refs point into its own components.
    ajv.addSchema({ $id: id, components: { schemas: closeSchema(doc.components.schemas) } });
    openApiLoaded.add(group);
  }
  return ajv.getSchema(`${id}#/components/schemas/${ref}`);
}

function crdValidator(o: KubeObject): ValidateFunction | string {
  const key = `${o.apiVersion}/${o.kind}`;
  let validate = crdValidators.get(key);
  if (!validate) {
    const crd = readCrd(o.kind);
    const [group, version] = o.apiVersion.split('/');
    if (crd.spec.group !== group) return `the ${o.kind} CRD is of group ${crd.spec.group}, not ${group}`;
    const served = crd.spec.versions.find((v) => v.name === version);
    if (!served?.schema) return `the ${o.kind} CRD does not serve ${o.apiVersion}`;
    // The API server adds apiVersion, kind and metadata to every CRD's root schema; some CRDs leave them out.
    const root = served.schema.openAPIV3Schema;
    const properties = {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      ...(root.properties as Schema),
    };
    validate = ajv.compile(closeSchema({ ...root, properties }) as Schema);
    crdValidators.set(key, validate);
  }
  return validate;
}

function describe(o: KubeObject, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map(
    (e) => `${o.kind}/${o.metadata.name}${e.instancePath}: ${e.message} ${JSON.stringify(e.params)}`,
  );
}

/** Problems of one object against the schemas of its kind; a kind without a schema is a problem too. */
export function validateObject(o: KubeObject): string[] {
  const name = `${o.kind}/${o.metadata?.name}`;
  if (CRD_KINDS.includes(o.kind)) {
    const validate = crdValidator(o);
    if (typeof validate === 'string') return [`${name}: ${validate}`];
    return validate(o) ? [] : describe(o, validate.errors);
  }
  const key = `${o.apiVersion}/${o.kind}`;
  const model = MODELS[key];
  if (!model) return [`${name}: no schema for ${key}`];
  const problems: string[] = [];
  try {
    (new model(o as never) as Model).validate();
  } catch (err) {
    problems.push(`${name}: ${(err as Error).message}`);
  }
  const target = openApiTarget(o.apiVersion, o.kind);
  if (target) {
    const validate = openApiValidator(target.group, target.ref);
    if (!validate) problems.push(`${name}: no OpenAPI schema ${target.ref} in ${target.group}`);
    else if (!validate(o)) problems.push(...describe(o, validate.errors));
  }
  return problems;
}
