import { Inject } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import {
  complaintAnalytics,
  type ComplaintGroup,
  contactPressure,
  interactionAnalytics,
  type InteractionGroup,
  type MongoConnection,
  type Period,
} from '@app/read-models';
import { MONGO } from '../../infrastructure/tokens';

type Report<T extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<T>>;

export class InteractionsQuery extends Query<Report<typeof interactionAnalytics>> {
  constructor(
    readonly groupBy: InteractionGroup[],
    readonly period: Period,
  ) {
    super();
  }
}

@QueryHandler(InteractionsQuery)
export class InteractionsHandler implements IQueryHandler<InteractionsQuery> {
  constructor(@Inject(MONGO) private readonly mongo: MongoConnection) {}

  execute({ groupBy, period }: InteractionsQuery) {
    return interactionAnalytics(this.mongo.db, groupBy, period);
  }
}

export class ComplaintsQuery extends Query<Report<typeof complaintAnalytics>> {
  constructor(
    readonly groupBy: ComplaintGroup[],
    readonly period: Period,
  ) {
    super();
  }
}

@QueryHandler(ComplaintsQuery)
export class ComplaintsHandler implements IQueryHandler<ComplaintsQuery> {
  constructor(@Inject(MONGO) private readonly mongo: MongoConnection) {}

  execute({ groupBy, period }: ComplaintsQuery) {
    return complaintAnalytics(this.mongo.db, groupBy, period);
  }
}

export class ContactPressureQuery extends Query<Report<typeof contactPressure>> {
  constructor(
    readonly period: Period,
    readonly minDepartments: number,
    readonly sample: number,
  ) {
    super();
  }
}

@QueryHandler(ContactPressureQuery)
export class ContactPressureHandler implements IQueryHandler<ContactPressureQuery> {
  constructor(@Inject(MONGO) private readonly mongo: MongoConnection) {}

  execute({ period, minDepartments, sample }: ContactPressureQuery) {
    return contactPressure(this.mongo.db, period, minDepartments, sample);
  }
}
