import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { type ApiKey, MAX_SECRET_LENGTH, type Role } from '@app/config';

const ROLES_KEY = 'crm:roles';
const PUBLIC_KEY = 'crm:public';

/**
 * Roles that may call a route (`admin` may call everything), documented in OpenAPI with the bearer key and the
 * answers without one (401) and for another role (403).
 */
export const Roles =
  (...roles: Role[]): ClassDecorator & MethodDecorator =>
  (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    applyDecorators(
      SetMetadata(ROLES_KEY, roles),
      ApiUnauthorizedResponse({
        description: 'No Authorization: Bearer <api key>, or not a valid key',
      }),
      ApiForbiddenResponse({
        description: `Only for the roles ${[...new Set(['admin', ...roles])].join(', ')}`,
      }),
      // On a route of a controller that has roles, the bearer key is documented already: OpenAPI would list it twice.
      ...(descriptor ? [] : [ApiBearerAuth()]),
    )(target, key, descriptor);
  };
/** Routes for operations (health, docs) that need no key. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export interface Principal {
  role: Role;
  /** `role:name` of the key (`ingest:till-7`): recorded as the actor on events; nothing of the secret. */
  actor: string;
}

export type AuthenticatedRequest = Request & { principal?: Principal };

const BEARER = new RegExp(`^Bearer\\s+(\\S{1,${MAX_SECRET_LENGTH}})\\s*$`, 'i');

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The configured keys; answers who a presented key belongs to. */
export class ApiKeyRegistry {
  private readonly keys: Array<{ digest: Buffer; principal: Principal }>;

  constructor(apiKeys: readonly ApiKey[]) {
    this.keys = apiKeys.map(({ role, name, secret }) => ({
      digest: digest(secret),
      principal: { role, actor: `${role}:${name}` },
    }));
  }

  authenticate(header: string | undefined): Principal {
    const match = BEARER.exec(header ?? '');
    if (!match)
      throw new UnauthorizedException('An Authorization: Bearer <api key> header is required');
    // Digests have one length whatever was presented; every key is compared in constant time, none skipped, so
    // timing reveals neither how much of a secret matched nor which key did.
    const presented = digest(match[1]);
    let found: Principal | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(key.digest, presented)) found = key.principal;
    }
    if (!found) throw new UnauthorizedException('The API key is not valid');
    return found;
  }
}

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly registry: ApiKeyRegistry,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal =
      request.principal ?? this.registry.authenticate(request.headers.authorization);
    request.principal = principal;
    const allowed = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? [];
    if (principal.role !== 'admin' && !allowed.includes(principal.role)) {
      throw new ForbiddenException(
        `The ${principal.role} role may not call this route (allowed: ${['admin', ...allowed].join(', ')})`,
      );
    }
    return true;
  }
}
