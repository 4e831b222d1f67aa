import { Inject } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { CUSTOMER_STREAM_PREFIX } from '@app/domain';
import { type EventStoreDBClient, headOfStreams } from '@app/event-store';
import { type MongoConnection, projectionStatus, type ProjectionStatus } from '@app/read-models';
import { EVENT_STORE, MONGO } from '../../infrastructure/tokens';
import { escapeLabel, HttpMetrics } from '../http-metrics';

export class GetMetricsQuery extends Query<string> {}

type Figure = [
  name: string,
  type: 'counter' | 'gauge',
  help: string,
  value: (p: ProjectionStatus) => number | null,
];

const PROJECTION_FIGURES: Figure[] = [
  [
    'crm_projection_events_projected_total',
    'counter',
    'Events applied to the read model.',
    (p) => p.eventsProjected,
  ],
  [
    'crm_projection_batches_total',
    'counter',
    'Batches written to the read model.',
    (p) => p.batches,
  ],
  [
    'crm_projection_last_batch_size',
    'gauge',
    'Events in the last batch.',
    (p) => p.lastBatch?.size ?? 0,
  ],
  [
    'crm_projection_last_batch_seconds',
    'gauge',
    'Time to write the last batch.',
    (p) => (p.lastBatch?.ms ?? 0) / 1000,
  ],
  [
    'crm_projection_checkpoint_position',
    'gauge',
    'Commit position of the last event applied.',
    (p) => (p.checkpoint ? Number(p.checkpoint.commit) : 0),
  ],
  [
    'crm_projection_lag_positions',
    'gauge',
    'Log positions between the checkpoint and the newest customer event.',
    (p) => p.lag.positions,
  ],
  ['crm_projection_dead_letters', 'gauge', 'Events the read model parked.', (p) => p.deadLetters],
  [
    'crm_projection_up',
    'gauge',
    '1 when the read model is running or catching up with a live lease.',
    (p) => ((p.state === 'running' || p.state === 'catching_up') && p.lease?.active ? 1 : 0),
  ],
];

/** The API's own request figures and the projector's, read from the checkpoint documents. */
@QueryHandler(GetMetricsQuery)
export class GetMetricsHandler implements IQueryHandler<GetMetricsQuery> {
  constructor(
    private readonly http: HttpMetrics,
    @Inject(EVENT_STORE) private readonly eventStore: EventStoreDBClient,
    @Inject(MONGO) private readonly mongo: MongoConnection,
  ) {}

  async execute(): Promise<string> {
    // A store that does not answer leaves its figures out rather than failing the scrape.
    const head = await headOfStreams(this.eventStore, CUSTOMER_STREAM_PREFIX).catch(
      () => undefined,
    );
    const projections = await projectionStatus(this.mongo.db, head).catch(() => []);
    const lines: string[] = [];
    for (const [name, type, help, value] of PROJECTION_FIGURES) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const projection of projections) {
        const figure = value(projection);
        if (figure !== null)
          lines.push(`${name}{projection="${escapeLabel(projection.name)}"} ${figure}`);
      }
    }
    return this.http.exposition() + lines.join('\n') + '\n';
  }
}
