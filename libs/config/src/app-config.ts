import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  isFQDN,
  isIP,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateBy,
  validateSync,
} from 'class-validator';
import { type ApiKey, DEV_API_KEYS, parseApiKeys } from './api-keys';
import { DEFAULT_RULES, loadRulesFile, type Rules } from './rules';

/** The environment as the service reads it; validated once at boot. */
class Environment {
  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({ message: 'PORT must be an integer' })
  @Min(0, { message: 'PORT must be between 0 and 65535' })
  @Max(65535, { message: 'PORT must be between 0 and 65535' })
  PORT?: number;

  @IsOptional()
  @ValidateBy({
    name: 'isHost',
    validator: {
      validate: (value) =>
        typeof value === 'string' && (isIP(value) || isFQDN(value, { require_tld: false })),
      defaultMessage: () =>
        'HOST must be an IP address or a host name (0.0.0.0 for every interface)',
    },
  })
  HOST?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  CRM_DATA_DIR?: string;

  // @eventstore/db-client 6.2.1 parses only these two schemes; the KurrentDB client's kurrentdb:// and kdb:// make
  // it throw a parse error naming a character position, so they are refused here with the reason.
  @IsOptional()
  @Matches(/^esdb(\+discover)?:\/\/.+/, {
    message:
      'EVENTSTORE_URL must be an esdb:// or esdb+discover:// connection string (the event store client 6.2.1 reads no other scheme)',
  })
  EVENTSTORE_URL?: string;

  @IsOptional()
  @Matches(/^mongodb(\+srv)?:\/\/.+/, {
    message: 'MONGODB_URL must be a mongodb:// connection string',
  })
  MONGODB_URL?: string;

  @IsOptional()
  @Matches(/^[^/\\. "$*<>:|?]{1,63}$/, {
    message: 'MONGODB_DB must be a valid MongoDB database name',
  })
  MONGODB_DB?: string;

  @IsOptional()
  @IsString()
  CRM_API_KEYS?: string;

  @IsOptional()
  @IsString()
  CRM_RULES_FILE?: string;

  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({
    message:
      'CRM_REVIEW_INTERVAL_MINUTES must be a whole number of minutes (0 turns the scheduler off)',
  })
  @Min(0, { message: 'CRM_REVIEW_INTERVAL_MINUTES must not be negative' })
  CRM_REVIEW_INTERVAL_MINUTES?: number;

  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({ message: 'PROJECTOR_BATCH_SIZE must be a whole number of events' })
  @Min(1, { message: 'PROJECTOR_BATCH_SIZE must be between 1 and 10000' })
  @Max(10_000, { message: 'PROJECTOR_BATCH_SIZE must be between 1 and 10000' })
  PROJECTOR_BATCH_SIZE?: number;

  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({ message: 'PROJECTOR_BATCH_MS must be a whole number of milliseconds' })
  @Min(1, { message: 'PROJECTOR_BATCH_MS must be between 1 and 60000' })
  @Max(60_000, { message: 'PROJECTOR_BATCH_MS must be between 1 and 60000' })
  PROJECTOR_BATCH_MS?: number;

  @IsOptional()
  @IsIn(['park', 'stop'], { message: 'PROJECTOR_ON_ERROR must be park or stop' })
  PROJECTOR_ON_ERROR?: 'park' | 'stop';

  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({ message: 'PROJECTOR_LEASE_MS must be a whole number of milliseconds' })
  @Min(300, { message: 'PROJECTOR_LEASE_MS must be at least 300' })
  PROJECTOR_LEASE_MS?: number;

  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({ message: 'CRM_MIN_POSITION_WAIT_MS must be a whole number of milliseconds' })
  @Min(0, { message: 'CRM_MIN_POSITION_WAIT_MS must be between 0 and 60000' })
  @Max(60_000, { message: 'CRM_MIN_POSITION_WAIT_MS must be between 0 and 60000' })
  CRM_MIN_POSITION_WAIT_MS?: number;

  @IsOptional()
  @IsIn(['development', 'production', 'test'], {
    message: 'NODE_ENV must be development, production or test',
  })
  NODE_ENV?: string;
}

export interface AppConfig {
  port: number;
  /** Interface the API listens on; 127.0.0.1 unless HOST says otherwise. */
  host: string;
  dataDir: string;
  eventStoreUrl: string | undefined;
  mongoUrl: string | undefined;
  mongoDb: string;
  apiKeys: readonly ApiKey[];
  usingDevKeys: boolean;
  production: boolean;
  rules: Rules;
  /** The projector's batching, error policy and lease (PROJECTOR_*). */
  projector: ProjectorConfig;
  /** How long a query with `minPosition` waits for the read models before answering 503. */
  minPositionWaitMs: number;
  /** How often the API runs the lifecycle, tier and segment review; 0: never (only through the admin route). */
  reviewIntervalMinutes: number;
}

export interface ProjectorConfig {
  batchSize: number;
  batchMs: number;
  onError: 'park' | 'stop';
  leaseMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The only reader of process.env: fails with every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = plainToInstance(Environment, pickKnown(env));
  const problems = validateSync(parsed, { forbidUnknownValues: false }).flatMap((error) =>
    Object.values(error.constraints ?? {}),
  );
  const production = parsed.NODE_ENV === 'production';

  const apiKeys = parseApiKeys(parsed.CRM_API_KEYS, production, problems);
  if (production && apiKeys === undefined) {
    problems.push(
      'CRM_API_KEYS is required when NODE_ENV=production (comma-separated role:name:secret entries); the development keys are refused',
    );
  }

  let rules: Rules = DEFAULT_RULES;
  if (parsed.CRM_RULES_FILE) {
    try {
      rules = loadRulesFile(parsed.CRM_RULES_FILE);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port: parsed.PORT ?? 3000,
    host: parsed.HOST ?? '127.0.0.1',
    dataDir: parsed.CRM_DATA_DIR ?? './data',
    eventStoreUrl: parsed.EVENTSTORE_URL,
    mongoUrl: parsed.MONGODB_URL,
    mongoDb: parsed.MONGODB_DB ?? 'crm',
    apiKeys: apiKeys ?? DEV_API_KEYS,
    usingDevKeys: apiKeys === undefined,
    production,
    rules,
    projector: {
      batchSize: parsed.PROJECTOR_BATCH_SIZE ?? 2000,
      batchMs: parsed.PROJECTOR_BATCH_MS ?? 100,
      onError: parsed.PROJECTOR_ON_ERROR ?? 'park',
      leaseMs: parsed.PROJECTOR_LEASE_MS ?? 10_000,
    },
    minPositionWaitMs: parsed.CRM_MIN_POSITION_WAIT_MS ?? 5000,
    reviewIntervalMinutes: parsed.CRM_REVIEW_INTERVAL_MINUTES ?? 24 * 60,
  };
}

function pickKnown(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const names = [
    'PORT',
    'HOST',
    'CRM_DATA_DIR',
    'EVENTSTORE_URL',
    'MONGODB_URL',
    'MONGODB_DB',
    'CRM_API_KEYS',
    'CRM_RULES_FILE',
    'PROJECTOR_BATCH_SIZE',
    'PROJECTOR_BATCH_MS',
    'PROJECTOR_ON_ERROR',
    'PROJECTOR_LEASE_MS',
    'CRM_MIN_POSITION_WAIT_MS',
    'CRM_REVIEW_INTERVAL_MINUTES',
    'NODE_ENV',
  ];
  return Object.fromEntries(names.map((name) => [name, env[name]]));
}
