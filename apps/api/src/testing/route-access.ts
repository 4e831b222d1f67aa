import type { ExecutionContext } from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { DEV_API_KEYS, type Role } from '@app/config';
import { ApiKeyGuard, type AuthenticatedRequest, ApiKeyRegistry } from '../http/auth.guard';
import { MinPositionInterceptor } from '../http/min-position';

const ROLES: readonly Role[] = ['ingest', 'analyst', 'auditor', 'admin'];

type Route<T> = { [K in keyof T]: T[K] extends (...args: never[]) => unknown ? K : never }[keyof T];

/**
 * Who may call a route, as the real guard decides from the controller's metadata (read with a real Reflector):
 * `public` when it asks no key, otherwise the roles whose dev key it lets through.
 */
export function routeAccess<T>(
  controller: abstract new (...args: never[]) => T,
  route: Route<T>,
): 'public' | Role[] {
  const guard = new ApiKeyGuard(new Reflector(), new ApiKeyRegistry(DEV_API_KEYS));
  const allows = (authorization?: string): boolean => {
    const request = { headers: { authorization } } as AuthenticatedRequest;
    try {
      return guard.canActivate(routeContext(controller, route, request));
    } catch {
      return false;
    }
  };
  if (allows(undefined)) return 'public';
  return ROLES.filter((role) => allows(`Bearer dev-${role}`));
}

/** The execution context Nest gives guards and interceptors for a call of `route` with `request`. */
export function routeContext<T>(
  controller: abstract new (...args: never[]) => T,
  route: Route<T>,
  request: object,
): ExecutionContext {
  return {
    getHandler: () => controller.prototype[route],
    getClass: () => controller,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

/** An authenticated request of the given role, as the guard leaves it for a controller. */
export function requestAs(role: Role, headers: Record<string, string> = {}): AuthenticatedRequest {
  return { headers, principal: { role, actor: `${role}:dev-${role}` } } as AuthenticatedRequest;
}

/** Whether a route waits for `?minPosition=` (its class or itself is bound to the MinPositionInterceptor). */
export function waitsForMinPosition<T>(
  controller: abstract new (...args: never[]) => T,
  route: Route<T>,
): boolean {
  const reflector = new Reflector();
  const handler = controller.prototype[route] as object;
  const bound = [
    ...(reflector.get<unknown[]>(INTERCEPTORS_METADATA, controller) ?? []),
    ...(reflector.get<unknown[]>(INTERCEPTORS_METADATA, handler as never) ?? []),
  ];
  return bound.includes(MinPositionInterceptor);
}
