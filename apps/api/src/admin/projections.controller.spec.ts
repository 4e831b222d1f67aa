import { ConflictException, NotFoundException } from '@nestjs/common';
import { RebuildRunningError, UnknownProjectionError } from '@app/read-models';
import { FakeBus } from '../testing/fake-bus';
import { routeAccess, waitsForMinPosition } from '../testing/route-access';
import { RebuildProjectionCommand } from './commands/rebuild-projection.command';
import { ProjectionsController } from './projections.controller';
import { GetProjectionsQuery } from './queries/get-projections.query';

describe(ProjectionsController.name, () => {
  let queries: FakeBus;
  let commands: FakeBus;
  let sut: ProjectionsController;

  beforeEach(() => {
    queries = new FakeBus();
    commands = new FakeBus();
    sut = new ProjectionsController(queries.asQueryBus(), commands.asCommandBus());
  });

  it('lists the projections with their lag counted in events', async () => {
    const view = { head: '10', projections: [], readModels: [] };
    queries.answer = () => view;
    expect(await sut.list()).toBe(view);
    expect(queries.only(GetProjectionsQuery).countEvents).toBe(true);
  });

  it('starts a rebuild of the read model named and answers its handle', async () => {
    const handle = { projection: 'profiles', version: 2, checkpoint: 'profiles__v2', status: 'x' };
    commands.answer = () => handle;
    expect(await sut.rebuild('profiles')).toBe(handle);
    expect(commands.only(RebuildProjectionCommand).name).toBe('profiles');
  });

  it.each([
    ['an unknown read model', new UnknownProjectionError('nope', ['profiles']), NotFoundException],
    [
      'a read model already being rebuilt',
      new RebuildRunningError('profiles', 'profiles__v3'),
      ConflictException,
    ],
  ])('answers %s with %p, keeping the message', async (_what, error, status) => {
    commands.answer = () => {
      throw error;
    };
    const attempt = sut.rebuild('profiles');
    await expect(attempt).rejects.toThrow(status);
    await expect(attempt).rejects.toThrow(error.message);
  });

  it('lets any other failure through as it is', async () => {
    const failure = new Error('mongo went away');
    commands.answer = () => {
      throw failure;
    };
    await expect(sut.rebuild('profiles')).rejects.toBe(failure);
  });

  it('is for admins only; the list waits for minPosition, a rebuild does not', () => {
    expect(routeAccess(ProjectionsController, 'list')).toEqual(['admin']);
    expect(routeAccess(ProjectionsController, 'rebuild')).toEqual(['admin']);
    expect(waitsForMinPosition(ProjectionsController, 'list')).toBe(true);
    expect(waitsForMinPosition(ProjectionsController, 'rebuild')).toBe(false);
  });
});
