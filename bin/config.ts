/**
 * Environment → typed configuration (SPEC §11). The only place that reads process.env for Threds' own settings;
 * fails fast with the name of the bad variable.
 */
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { projectRoot } from './stack';

const ConfigSchema = Type.Object({
  temporalAddress: Type.String({ minLength: 1 }),
  temporalNamespace: Type.String({ minLength: 1 }),
  /** mTLS to Temporal (SPEC §13): PEM file paths; cert and key go together, the CA alone pins the server's issuer. */
  temporalTlsCert: Type.Optional(Type.String({ minLength: 1 })),
  temporalTlsKey: Type.Optional(Type.String({ minLength: 1 })),
  temporalTlsCa: Type.Optional(Type.String({ minLength: 1 })),
  /** Temporal Cloud API key (implies TLS). */
  temporalApiKey: Type.Optional(Type.String({ minLength: 1 })),
  /** How long ended threds are kept, like 30d (store and, by `threds setup`, Temporal); 0 keeps them forever. */
  retention: Type.Optional(Type.String({ pattern: '^(0|[0-9]+(ms|s|m|h|d))$' })),
  mongoUrl: Type.String({ pattern: '^mongodb(\\+srv)?://' }),
  mongoDb: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  jwtSecret: Type.String({ minLength: 16 }),
  configDir: Type.Optional(Type.String()),
  logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
  adminPassword: Type.Optional(Type.String({ minLength: 1 })),
  dataDir: Type.String(),
  taskQueue: Type.String({ minLength: 1 }),
  /** Base URL thred workers use to push messages to this gateway (when they run on other hosts). */
  publicUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** POST /events requests per minute per principal (429 beyond). */
  ratePerMinute: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Largest accepted request body / event (413 beyond). */
  maxBodyBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
});
export type Config = Static<typeof ConfigSchema>;

const ENV_NAMES: Record<keyof Config, string> = {
  temporalAddress: 'TEMPORAL_ADDRESS',
  temporalNamespace: 'TEMPORAL_NAMESPACE',
  temporalTlsCert: 'TEMPORAL_TLS_CERT',
  temporalTlsKey: 'TEMPORAL_TLS_KEY',
  temporalTlsCa: 'TEMPORAL_TLS_CA',
  temporalApiKey: 'TEMPORAL_API_KEY',
  retention: 'THREDS_RETENTION',
  mongoUrl: 'MONGO_URL',
  mongoDb: 'MONGO_DB',
  port: 'THREDS_PORT',
  jwtSecret: 'THREDS_JWT_SECRET',
  configDir: 'THREDS_CONFIG_DIR',
  logLevel: 'LOG_LEVEL',
  adminPassword: 'THREDS_ADMIN_PASSWORD',
  dataDir: 'THREDS_DATA_DIR',
  taskQueue: 'THREDS_TASK_QUEUE',
  publicUrl: 'THREDS_PUBLIC_URL',
  ratePerMinute: 'THREDS_RATE_LIMIT',
  maxBodyBytes: 'THREDS_MAX_BODY_BYTES',
};

export const defaultDataDir = join(projectRoot, '.data');

/**
 * The JWT secret when THREDS_JWT_SECRET is unset: generated once and kept under .data/, so the gateway and the CLI
 * (`threds token`) agree across restarts.
 */
function persistedJwtSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = env.THREDS_DATA_DIR || defaultDataDir;
  const raw = {
    temporalAddress: env.TEMPORAL_ADDRESS || 'localhost:7233',
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    temporalTlsCert: env.TEMPORAL_TLS_CERT || undefined,
    temporalTlsKey: env.TEMPORAL_TLS_KEY || undefined,
    temporalTlsCa: env.TEMPORAL_TLS_CA || undefined,
    temporalApiKey: env.TEMPORAL_API_KEY || undefined,
    retention: env.THREDS_RETENTION || undefined,
    mongoUrl: env.MONGO_URL || 'mongodb://localhost:27017',
    mongoDb: env.MONGO_DB || 'threds',
    port: env.THREDS_PORT === undefined ? 3000 : Number(env.THREDS_PORT),
    jwtSecret: env.THREDS_JWT_SECRET || persistedJwtSecret(dataDir),
    configDir: env.THREDS_CONFIG_DIR || undefined,
    logLevel: env.LOG_LEVEL || 'info',
    adminPassword: env.THREDS_ADMIN_PASSWORD || undefined,
    dataDir,
    taskQueue: env.THREDS_TASK_QUEUE || 'threds',
    publicUrl: env.THREDS_PUBLIC_URL || undefined,
    ratePerMinute: env.THREDS_RATE_LIMIT ? Number(env.THREDS_RATE_LIMIT) : undefined,
    maxBodyBytes: env.THREDS_MAX_BODY_BYTES ? Number(env.THREDS_MAX_BODY_BYTES) : undefined,
  };
  const errors = [...Value.Errors(ConfigSchema, raw)];
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const key = e.instancePath.replace(/^\//, '') as keyof Config;
      return `  ${ENV_NAMES[key] ?? key}: ${e.message}`;
    });
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return raw as Config;
}
