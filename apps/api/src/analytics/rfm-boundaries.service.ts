import { Inject, Injectable } from '@nestjs/common';
import { type MongoConnection, rfmReport, type RfmBoundaries } from '@app/read-models';
import { MONGO } from '../infrastructure/tokens';

const FRESH_MS = 60_000;
export const RFM_WINDOW_DAYS = 365;

/**
 * RFM quintiles of the whole paying population, which every profile's scores are measured against. Computing them
 * reads every paying profile, so they are kept for a minute (scores of one profile read twice within it agree).
 */
@Injectable()
export class RfmBoundariesService {
  private cached: { at: number; boundaries: Promise<RfmBoundaries> } | undefined;

  constructor(@Inject(MONGO) private readonly mongo: MongoConnection) {}

  current(): Promise<RfmBoundaries> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > FRESH_MS) {
      const boundaries = rfmReport(this.mongo.db, new Date(now), RFM_WINDOW_DAYS).then(
        (r) => r.boundaries,
      );
      this.cached = { at: now, boundaries };
      boundaries.catch(() => {
        if (this.cached?.boundaries === boundaries) this.cached = undefined;
      });
    }
    return this.cached.boundaries;
  }
}
