import { createHash } from 'node:crypto';
import { ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DEV_API_KEYS } from '@app/config';
import {
  ApiKeyGuard,
  ApiKeyRegistry,
  type AuthenticatedRequest,
  Public,
  Roles,
} from './auth.guard';
import { routeContext } from '../testing/route-access';

describe(ApiKeyRegistry.name, () => {
  const secret = 'x7Gq-2mZ:kP9v_Lr4sT8wY1aB';
  const sut = new ApiKeyRegistry([{ role: 'ingest', name: 'till-7', secret }, ...DEV_API_KEYS]);

  it("names the principal after the key's role and name, nothing derived from the secret", () => {
    const principal = sut.authenticate(`Bearer ${secret}`);
    expect(principal).toEqual({ role: 'ingest', actor: 'ingest:till-7' });
    const digest = createHash('sha256').update(secret).digest('hex');
    expect(JSON.stringify(principal)).not.toContain(digest.slice(0, 8));
  });

  it('knows the dev keys by their role-suffixed names', () => {
    expect(sut.authenticate('Bearer dev-auditor')).toEqual({
      role: 'auditor',
      actor: 'auditor:dev-auditor',
    });
  });

  it.each([
    ['a prefix of a secret', `Bearer ${secret.slice(0, -1)}`],
    ['a secret with one more character', `Bearer ${secret}z`],
    ['a key name', 'Bearer till-7'],
    ['role:name:secret as configured', `Bearer ingest:till-7:${secret}`],
    ['a token over 512 characters', `Bearer ${'a'.repeat(513)}`],
    ['no scheme', secret],
  ])('refuses %s', (_what, header) => {
    expect(() => sut.authenticate(header)).toThrow(UnauthorizedException);
  });
});

@Roles('analyst')
class AnalystRoutes {
  read() {}
  @Roles('auditor')
  audit() {}
  @Public()
  open() {}
}

describe(ApiKeyGuard.name, () => {
  const sut = new ApiKeyGuard(new Reflector(), new ApiKeyRegistry(DEV_API_KEYS));

  /** The guard's view of a request to `route` of AnalystRoutes with the given Authorization header. */
  function call(route: keyof AnalystRoutes, authorization?: string) {
    const request = { headers: { authorization } } as AuthenticatedRequest;
    const context = routeContext(AnalystRoutes, route, request);
    return { allowed: () => sut.canActivate(context), request };
  }

  it("lets a role the controller names through, recording the key's principal on the request", () => {
    const { allowed, request } = call('read', 'Bearer dev-analyst');
    expect(allowed()).toBe(true);
    expect(request.principal).toEqual({ role: 'analyst', actor: 'analyst:dev-analyst' });
  });

  it('refuses another role with 403 and a missing key with 401', () => {
    expect(call('read', 'Bearer dev-ingest').allowed).toThrow(ForbiddenException);
    expect(call('read').allowed).toThrow(UnauthorizedException);
  });

  it('lets admin call every route', () => {
    expect(call('read', 'Bearer dev-admin').allowed()).toBe(true);
    expect(call('audit', 'Bearer dev-admin').allowed()).toBe(true);
  });

  it("takes a route's own roles over its controller's", () => {
    expect(call('audit', 'Bearer dev-auditor').allowed()).toBe(true);
    expect(call('audit', 'Bearer dev-analyst').allowed).toThrow(ForbiddenException);
  });

  it('asks no key on a public route', () => {
    expect(call('open').allowed()).toBe(true);
  });
});
