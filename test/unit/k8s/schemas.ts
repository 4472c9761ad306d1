// HAND-WRITTEN, MINIMAL JSON schemas of the Kubernetes kinds and custom resources infra/manifests uses.
// They are NOT the Kubernetes OpenAPI schemas nor the operators' CRD schemas: those packages
// (kubernetes-models, @kubernetes-models/keda, @kubernetes-models/prometheus-operator) are not installed
// here, and the Strimzi and Flink operator CRDs are not on any registry this machine reaches. Each schema
// below follows the upstream API reference for the fields these manifests use, is closed
// (additionalProperties: false) where a typo would otherwise pass silently, and requires what the API
// server requires. Replace them with generated validators once the packages are added (see the report).
type Schema = Record<string, unknown>;

const str: Schema = { type: 'string', minLength: 1 };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const strMap: Schema = { type: 'object', additionalProperties: { type: 'string' } };
const dns1123: Schema = {
  type: 'string',
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  maxLength: 253,
};
const portName: Schema = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 15 };
const intOrString: Schema = { anyOf: [{ type: 'integer', minimum: 1, maximum: 65535 }, portName] };
const quantity: Schema = {
  anyOf: [{ type: 'number' }, { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$' }],
};
const closed = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const arrayOf = (items: Schema): Schema => ({ type: 'array', items });

const metadata = closed(
  { name: dns1123, namespace: dns1123, labels: strMap, annotations: strMap, generateName: str },
  ['name'],
);
const labelSelector = closed({
  matchLabels: strMap,
  matchExpressions: arrayOf(
    closed(
      {
        key: str,
        operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
        values: arrayOf({ type: 'string' }),
      },
      ['key', 'operator'],
    ),
  ),
});
const resources = closed({
  requests: { type: 'object', additionalProperties: quantity },
  limits: { type: 'object', additionalProperties: quantity },
});
const keyRef = closed({ name: dns1123, key: str, optional: bool }, ['key']);
const envVar = closed(
  {
    name: { type: 'string', pattern: '^[-._a-zA-Z][-._a-zA-Z0-9]*$' },
    value: { type: 'string' },
    valueFrom: closed({
      secretKeyRef: keyRef,
      configMapKeyRef: keyRef,
      fieldRef: closed({ fieldPath: str }, ['fieldPath']),
    }),
  },
  ['name'],
);
const handler = {
  exec: closed({ command: arrayOf({ type: 'string' }) }, ['command']),
  httpGet: closed({ path: str, port: intOrString, host: str, scheme: { enum: ['HTTP', 'HTTPS'] } }, ['port']),
  tcpSocket: closed({ port: intOrString, host: str }, ['port']),
};
const probe: Schema = {
  ...closed({
    ...handler,
    initialDelaySeconds: int,
    periodSeconds: int,
    timeoutSeconds: int,
    failureThreshold: int,
    successThreshold: int,
  }),
  oneOf: [{ required: ['exec'] }, { required: ['httpGet'] }, { required: ['tcpSocket'] }],
};
const containerSecurity = closed({
  allowPrivilegeEscalation: bool,
  readOnlyRootFilesystem: bool,
  runAsNonRoot: bool,
  runAsUser: int,
  runAsGroup: int,
  capabilities: closed({ drop: arrayOf(str), add: arrayOf(str) }),
});
const container = closed(
  {
    name: portName,
    image: str,
    imagePullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
    command: arrayOf({ type: 'string' }),
    args: arrayOf({ type: 'string' }),
    env: arrayOf(envVar),
    ports: arrayOf(
      closed(
        {
          name: portName,
          containerPort: { type: 'integer', minimum: 1, maximum: 65535 },
          protocol: { enum: ['TCP', 'UDP', 'SCTP'] },
        },
        ['containerPort'],
      ),
    ),
    readinessProbe: probe,
    livenessProbe: probe,
    startupProbe: probe,
    lifecycle: closed({ preStop: closed(handler), postStart: closed(handler) }),
    resources,
    securityContext: containerSecurity,
    volumeMounts: arrayOf(
      closed({ name: str, mountPath: str, readOnly: bool, subPath: str }, ['name', 'mountPath']),
    ),
  },
  ['name', 'image'],
);
const volume = closed(
  {
    name: dns1123,
    emptyDir: closed({ medium: { enum: ['', 'Memory'] }, sizeLimit: quantity }),
    configMap: closed(
      { name: dns1123, defaultMode: int, items: arrayOf(closed({ key: str, path: str }, ['key', 'path'])) },
      ['name'],
    ),
    secret: closed({ secretName: dns1123, defaultMode: int }, ['secretName']),
    persistentVolumeClaim: closed({ claimName: dns1123, readOnly: bool }, ['claimName']),
  },
  ['name'],
);
const podSpec = closed(
  {
    serviceAccountName: dns1123,
    automountServiceAccountToken: bool,
    terminationGracePeriodSeconds: int,
    securityContext: closed({
      runAsNonRoot: bool,
      runAsUser: int,
      runAsGroup: int,
      fsGroup: int,
      seccompProfile: closed({ type: { enum: ['RuntimeDefault', 'Localhost', 'Unconfined'] } }, ['type']),
    }),
    initContainers: arrayOf(container),
    containers: { ...arrayOf(container), minItems: 1 },
    volumes: arrayOf(volume),
  },
  ['containers'],
);
const podTemplate = closed({ metadata: closed({ labels: strMap, annotations: strMap }), spec: podSpec }, [
  'spec',
]);
const pvcSpec = closed(
  {
    accessModes: arrayOf({ enum: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] }),
    storageClassName: str,
    resources: closed({ requests: closed({ storage: quantity }, ['storage']) }, ['requests']),
  },
  ['accessModes', 'resources'],
);

const kind = (
  apiVersion: string,
  kindName: string,
  spec: Schema | undefined,
  extra: Record<string, Schema> = {},
) =>
  closed(
    {
      apiVersion: { const: apiVersion },
      kind: { const: kindName },
      metadata,
      ...(spec ? { spec } : {}),
      ...extra,
    },
    spec ? ['apiVersion', 'kind', 'metadata', 'spec'] : ['apiVersion', 'kind', 'metadata'],
  );

const policyRule = closed(
  {
    apiGroups: arrayOf({ type: 'string' }),
    resources: arrayOf(str),
    verbs: arrayOf({
      enum: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'],
    }),
    resourceNames: arrayOf(str),
  },
  ['verbs'],
);
const netPeer = closed({ podSelector: labelSelector, namespaceSelector: labelSelector });
const netPort = closed({ port: intOrString, protocol: { enum: ['TCP', 'UDP', 'SCTP'] } });

export const CORE_SCHEMAS: Record<string, Schema> = {
  Namespace: kind('v1', 'Namespace', undefined),
  ServiceAccount: kind('v1', 'ServiceAccount', undefined, { automountServiceAccountToken: bool }),
  ConfigMap: kind('v1', 'ConfigMap', undefined, { data: strMap }),
  PersistentVolumeClaim: kind('v1', 'PersistentVolumeClaim', pvcSpec),
  Service: kind(
    'v1',
    'Service',
    closed({
      type: { enum: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] },
      clusterIP: str,
      selector: strMap,
      ports: arrayOf(
        closed(
          {
            name: portName,
            port: { type: 'integer', minimum: 1, maximum: 65535 },
            targetPort: intOrString,
            nodePort: { type: 'integer', minimum: 30000, maximum: 32767 },
            protocol: { enum: ['TCP', 'UDP', 'SCTP'] },
          },
          ['port'],
        ),
      ),
    }),
  ),
  Deployment: kind(
    'apps/v1',
    'Deployment',
    closed(
      {
        replicas: { type: 'integer', minimum: 0 },
        selector: labelSelector,
        strategy: closed({
          type: { enum: ['Recreate', 'RollingUpdate'] },
          rollingUpdate: { type: 'object' },
        }),
        template: podTemplate,
      },
      ['selector', 'template'],
    ),
  ),
  StatefulSet: kind(
    'apps/v1',
    'StatefulSet',
    closed(
      {
        serviceName: dns1123,
        replicas: { type: 'integer', minimum: 0 },
        selector: labelSelector,
        template: podTemplate,
        volumeClaimTemplates: arrayOf(
          closed({ metadata: closed({ name: dns1123 }, ['name']), spec: pvcSpec }, ['metadata', 'spec']),
        ),
      },
      ['selector', 'template'],
    ),
  ),
  Role: kind('rbac.authorization.k8s.io/v1', 'Role', undefined, { rules: arrayOf(policyRule) }),
  RoleBinding: kind('rbac.authorization.k8s.io/v1', 'RoleBinding', undefined, {
    roleRef: closed(
      {
        apiGroup: { const: 'rbac.authorization.k8s.io' },
        kind: { enum: ['Role', 'ClusterRole'] },
        name: str,
      },
      ['apiGroup', 'kind', 'name'],
    ),
    subjects: arrayOf(
      closed(
        { kind: { enum: ['ServiceAccount', 'User', 'Group'] }, name: str, namespace: str, apiGroup: str },
        ['kind', 'name'],
      ),
    ),
  }),
  NetworkPolicy: kind(
    'networking.k8s.io/v1',
    'NetworkPolicy',
    closed(
      {
        podSelector: labelSelector,
        policyTypes: arrayOf({ enum: ['Ingress', 'Egress'] }),
        ingress: arrayOf(closed({ from: arrayOf(netPeer), ports: arrayOf(netPort) })),
        egress: arrayOf(closed({ to: arrayOf(netPeer), ports: arrayOf(netPort) })),
      },
      ['podSelector'],
    ),
  ),
  PodDisruptionBudget: kind(
    'policy/v1',
    'PodDisruptionBudget',
    closed(
      { minAvailable: { anyOf: [int, str] }, maxUnavailable: { anyOf: [int, str] }, selector: labelSelector },
      ['selector'],
    ),
  ),
};

const secretKeySelector = closed({ name: dns1123, key: str }, ['name', 'key']);
const hpaPolicy = closed({ type: { enum: ['Pods', 'Percent'] }, value: int, periodSeconds: int }, [
  'type',
  'value',
  'periodSeconds',
]);
const hpaRules = closed({
  stabilizationWindowSeconds: int,
  selectPolicy: { enum: ['Max', 'Min', 'Disabled'] },
  policies: arrayOf(hpaPolicy),
});
const kafkaStorageVolume = closed(
  {
    id: int,
    type: { enum: ['persistent-claim', 'ephemeral'] },
    size: str,
    class: str,
    deleteClaim: bool,
    kraftMetadata: { const: 'shared' },
  },
  ['type'],
);
const strimziResources = resources;

export const CRD_SCHEMAS: Record<string, Schema> = {
  // keda.sh/v1alpha1 ScaledObject (KEDA 2.x reference: "ScaledObject specification").
  ScaledObject: kind(
    'keda.sh/v1alpha1',
    'ScaledObject',
    closed(
      {
        scaleTargetRef: closed({ apiVersion: str, kind: str, name: dns1123, envSourceContainerName: str }, [
          'name',
        ]),
        minReplicaCount: { type: 'integer', minimum: 0 },
        maxReplicaCount: { type: 'integer', minimum: 1 },
        idleReplicaCount: int,
        pollingInterval: int,
        cooldownPeriod: int,
        fallback: closed({ failureThreshold: int, replicas: int }, ['failureThreshold', 'replicas']),
        advanced: closed({
          restoreToOriginalReplicaCount: bool,
          horizontalPodAutoscalerConfig: closed({
            name: str,
            behavior: closed({ scaleUp: hpaRules, scaleDown: hpaRules }),
          }),
        }),
        triggers: {
          ...arrayOf(
            closed(
              {
                type: str,
                name: str,
                metadata: strMap,
                metricType: { enum: ['AverageValue', 'Value', 'Utilization'] },
                authenticationRef: closed({ name: str, kind: str }, ['name']),
              },
              ['type', 'metadata'],
            ),
          ),
          minItems: 1,
        },
      },
      ['scaleTargetRef', 'triggers'],
    ),
  ),
  // monitoring.coreos.com/v1 PodMonitor (prometheus-operator API reference).
  PodMonitor: kind(
    'monitoring.coreos.com/v1',
    'PodMonitor',
    closed(
      {
        selector: labelSelector,
        namespaceSelector: closed({ any: bool, matchNames: arrayOf(str) }),
        podTargetLabels: arrayOf(str),
        jobLabel: str,
        podMetricsEndpoints: {
          ...arrayOf(
            closed({
              port: str,
              portNumber: int,
              path: str,
              scheme: { enum: ['http', 'https'] },
              interval: {
                type: 'string',
                pattern: '^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$',
              },
              scrapeTimeout: str,
              basicAuth: closed({ username: secretKeySelector, password: secretKeySelector }),
            }),
          ),
          minItems: 1,
        },
      },
      ['selector', 'podMetricsEndpoints'],
    ),
  ),
  // kafka.strimzi.io/v1beta2 (Strimzi API reference: KafkaNodePoolSpec, KafkaSpec, KafkaTopicSpec).
  KafkaNodePool: kind(
    'kafka.strimzi.io/v1beta2',
    'KafkaNodePool',
    closed(
      {
        replicas: { type: 'integer', minimum: 0 },
        roles: { ...arrayOf({ enum: ['controller', 'broker'] }), minItems: 1 },
        storage: closed(
          {
            type: { enum: ['jbod', 'persistent-claim', 'ephemeral'] },
            volumes: arrayOf(kafkaStorageVolume),
            size: str,
          },
          ['type'],
        ),
        resources: strimziResources,
        jvmOptions: { type: 'object' },
      },
      ['replicas', 'roles', 'storage'],
    ),
  ),
  Kafka: kind(
    'kafka.strimzi.io/v1beta2',
    'Kafka',
    closed(
      {
        kafka: closed(
          {
            version: { type: 'string', pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+$' },
            metadataVersion: str,
            listeners: {
              ...arrayOf(
                closed(
                  {
                    name: { type: 'string', pattern: '^[a-z0-9]{1,11}$' },
                    port: { type: 'integer', minimum: 9092 },
                    type: {
                      enum: ['internal', 'route', 'loadbalancer', 'nodeport', 'ingress', 'cluster-ip'],
                    },
                    tls: bool,
                  },
                  ['name', 'port', 'type', 'tls'],
                ),
              ),
              minItems: 1,
            },
            config: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
          },
          ['listeners'],
        ),
        entityOperator: closed({
          topicOperator: closed({ resources: strimziResources }),
          userOperator: closed({ resources: strimziResources }),
        }),
      },
      ['kafka'],
    ),
  ),
  KafkaTopic: kind(
    'kafka.strimzi.io/v1beta2',
    'KafkaTopic',
    closed({
      topicName: str,
      partitions: { type: 'integer', minimum: 1 },
      replicas: { type: 'integer', minimum: 1, maximum: 32767 },
      config: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
    }),
  ),
  // flink.apache.org/v1beta1 FlinkDeployment (Flink Kubernetes Operator reference: FlinkDeploymentSpec).
  FlinkDeployment: kind(
    'flink.apache.org/v1beta1',
    'FlinkDeployment',
    closed(
      {
        image: str,
        imagePullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
        flinkVersion: { enum: ['v1_17', 'v1_18', 'v1_19', 'v1_20', 'v2_0', 'v2_1'] },
        serviceAccount: dns1123,
        flinkConfiguration: strMap,
        podTemplate: closed({
          metadata: closed({ labels: strMap, annotations: strMap }),
          spec: closed({
            securityContext: { type: 'object' },
            containers: arrayOf({ type: 'object', required: ['name'] }),
            volumes: arrayOf(volume),
          }),
        }),
        jobManager: closed({
          replicas: int,
          resource: closed({ cpu: { type: 'number' }, memory: str }, ['cpu', 'memory']),
        }),
        taskManager: closed({
          replicas: int,
          resource: closed({ cpu: { type: 'number' }, memory: str }, ['cpu', 'memory']),
        }),
        job: closed(
          {
            jarURI: { type: 'string', pattern: '^(local|https?|s3)://' },
            entryClass: str,
            args: arrayOf({ type: 'string' }),
            parallelism: { type: 'integer', minimum: 1 },
            upgradeMode: { enum: ['stateless', 'savepoint', 'last-state'] },
            state: { enum: ['running', 'suspended'] },
          },
          ['jarURI', 'upgradeMode'],
        ),
      },
      ['image', 'flinkVersion', 'serviceAccount', 'jobManager', 'taskManager'],
    ),
  ),
};

export const ALL_SCHEMAS: Record<string, Schema> = { ...CORE_SCHEMAS, ...CRD_SCHEMAS };
