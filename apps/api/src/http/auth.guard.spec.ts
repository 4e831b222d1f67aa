import { createHash } from 'node:crypto';
import { UnauthorizedException } from '@nestjs/common';
import { DEV_API_KEYS } from '@app/config';
import { ApiKeyRegistry } from './auth.guard';

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
