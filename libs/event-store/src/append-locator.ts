import type { StreamReader } from './stream-reader';

/** Where a stored event is: its revision, and the commit position of the append that stored it. */
export interface EventLocation {
  revision: number;
  position: number;
}

/**
 * Finds what an append stored, from the `appendId` every append stamps on its events. Answers the two questions an
 * idempotent write leaves open: did this append store its events, or did the event store take it as a re-send of an
 * earlier one; and where (revision, commit position) are events whose ids a caller sends again.
 */
export class AppendLocator {
  constructor(private readonly reader: StreamReader) {}

  /**
   * Whether the events at `fromRevision` onwards were stored by the append `appendId`. An append made only of events
   * whose ids the caller chose can be taken by the event store as a re-send of an earlier append of the same ids at
   * the same expected revision (its idempotent write): it then answers success and stores nothing. The first event
   * tells: it carries the id of the append that stored it.
   */
  async storedBy(streamId: string, fromRevision: number, appendId: string): Promise<boolean> {
    let stored = false;
    // Read to its end rather than broken out of: the client leaves an abandoned read hanging (event-store README).
    for await (const record of this.reader.readStreamRecords(streamId, {
      fromRevision,
      maxCount: 1,
      open: 'stored',
    })) {
      stored = record.event?.metadata.appendId === appendId;
    }
    return stored;
  }

  /**
   * Where the events with these ids are in the stream, searched from the newest back (a re-sent event is usually a
   * recent one) until all are found or the stream's start is reached. The position is that of the append that
   * stored the event: the one its first answer gave.
   */
  async locate(streamId: string, eventIds: readonly string[]): Promise<Map<string, EventLocation>> {
    const wanted = new Set(eventIds);
    const found = new Map<string, EventLocation>();
    // The append an event belongs to ends at the newest event after it with the same appendId: read backwards,
    // that is the newest event of the current run of one appendId.
    let run: { appendId: unknown; position: number } | undefined;
    // Pages read to their end, never left with `break`: the client's dispose() would wait for an abandoned read
    // for ever (README).
    let from: number | undefined;
    while (found.size < wanted.size && from !== -1) {
      let oldest: number | undefined;
      const page = this.reader.readStreamRecords(streamId, {
        direction: 'backwards',
        ...(from === undefined ? {} : { fromRevision: from }),
        maxCount: LOCATE_PAGE,
        open: 'stored',
      });
      for await (const { revision, event } of page) {
        oldest = revision;
        if (!event) {
          run = undefined;
          continue;
        }
        const appendId = event.metadata.appendId;
        const position = Number(event.position.commit);
        if (appendId === undefined || run?.appendId !== appendId) run = { appendId, position };
        if (wanted.has(event.id) && !found.has(event.id)) {
          // Events older than appendIds: each its own.
          found.set(event.id, {
            revision,
            position: appendId === undefined ? position : run.position,
          });
        }
      }
      // An empty page (no stream) or the first event read: nothing older is left.
      from = oldest === undefined || oldest === 0 ? -1 : oldest - 1;
    }
    return found;
  }
}

/** Events read per page while locating: re-sent touchpoints are usually among a stream's newest. */
const LOCATE_PAGE = 64;
