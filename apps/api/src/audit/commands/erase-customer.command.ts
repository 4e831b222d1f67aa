import { Inject, NotFoundException } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { customerStreamId, type EraseCustomer, PERSONAL_FIELDS } from '@app/domain';
import { type CommandContext, isEncrypted, type StreamReader } from '@app/event-store';
import type { KeyErasureWatch, MongoCustomerKeyStore } from '@app/read-models';
import type { CustomerStore } from '../../infrastructure/customer-store';
import { AsOfSnapshots } from '../as-of-snapshots';
import {
  CUSTOMER_KEYS,
  CUSTOMER_STORE,
  KEY_ERASURE_WATCH,
  STREAM_READER,
} from '../../infrastructure/tokens';

/** What an erasure did, for the record: answered to the caller and kept beside the erasure. */
export interface ErasureCertificate {
  certificateId: string;
  customerId: string;
  method: string;
  /** Business time of the CustomerErased event. */
  erasedAt: string;
  erasedBy: string;
  reason: string | null;
  /** When the key was destroyed and every live API process had dropped its copy. */
  confirmedAt: string;
  erasedData: {
    /** Personal field paths that held sealed values, now unreadable. */
    fields: string[];
    /** Events of the stream that carry sealed personal values. */
    sealedEvents: number;
    events: number;
  };
  erasureEvent: { eventId: string; revision: number; position: number | null } | null;
  stream: { streamId: string; lastRevision: number; lastPosition: number | null };
  processes: { confirmed: number; presumedStopped: number };
  /** Whether the key store's files were rewritten so the destroyed key's bytes are in none of them. */
  keyStorage: { compacted: boolean; detail?: string };
}

export class EraseCustomerCommand extends Command<{
  created: boolean;
  certificate: ErasureCertificate;
}> {
  constructor(
    readonly customerId: string,
    readonly reason: string | undefined,
    readonly context: CommandContext,
  ) {
    super();
  }
}

/**
 * Crypto-shredding: destroy the key (durably), append CustomerErased, make every API process drop its cached copy,
 * then certify. Every step is idempotent, so erasing again after a failure (or a 503) completes the erasure.
 */
@CommandHandler(EraseCustomerCommand)
export class EraseCustomerHandler implements ICommandHandler<EraseCustomerCommand> {
  constructor(
    @Inject(CUSTOMER_STORE) private readonly store: CustomerStore,
    @Inject(CUSTOMER_KEYS) private readonly keys: MongoCustomerKeyStore,
    @Inject(KEY_ERASURE_WATCH) private readonly watch: KeyErasureWatch<ErasureCertificate>,
    @Inject(STREAM_READER) private readonly reader: StreamReader,
    private readonly asOfSnapshots: AsOfSnapshots,
  ) {}

  async execute({ customerId, reason, context }: EraseCustomerCommand) {
    const before = await this.store.load(customerId);
    if (before.state.status === 'unknown') {
      throw new NotFoundException(`No customer ${customerId}`);
    }
    const alreadyErased = before.state.status === 'erased';
    await this.keys.destroy(customerId);
    const now = new Date().toISOString();
    const command: EraseCustomer = { type: 'EraseCustomer', customerId, reason, now };
    const result = await this.store.execute(customerId, { command, context, now });
    const confirmation = await this.watch.confirm(customerId, context.actor);
    // Every live process has stopped writing as-of snapshots of the customer by now (see AsOfSnapshots.forget);
    // deleted before the compaction below, so their sealed values leave the embedded MongoDB's files with it.
    await this.asOfSnapshots.forget(customerId);
    const keyStorage = await this.keys.compactStorage();
    const earlier = alreadyErased ? await this.watch.certificateOf(customerId) : undefined;
    if (earlier) return { created: false, certificate: earlier };

    const inventory = await this.inventory(customerId);
    const erasure = result.events.find(({ event }) => event.type === 'CustomerErased');
    const erasedAt =
      erasure?.event.type === 'CustomerErased'
        ? erasure.event.data.erasedAt
        : result.state.status === 'erased'
          ? result.state.erasedAt
          : now;
    const certificate: ErasureCertificate = {
      certificateId: confirmation.erasureId,
      customerId,
      method:
        'crypto-shredding: the AES-256-GCM data key sealing every personal field was destroyed; ' +
        'the events are kept, their personal fields can no longer be opened',
      erasedAt,
      erasedBy: context.actor,
      reason: reason ?? null,
      confirmedAt: new Date(confirmation.at.getTime() + confirmation.waitedMs).toISOString(),
      erasedData: inventory.erased,
      erasureEvent: erasure
        ? {
            eventId: erasure.eventId,
            revision: erasure.revision,
            position: result.position ?? null,
          }
        : null,
      stream: {
        streamId: customerStreamId(customerId),
        lastRevision: inventory.lastRevision,
        lastPosition: inventory.lastPosition,
      },
      processes: {
        confirmed: confirmation.confirmed.length,
        presumedStopped: confirmation.presumedStopped.length,
      },
      keyStorage,
    };
    await this.watch.recordCertificate(confirmation.erasureId, certificate);
    return { created: !alreadyErased, certificate };
  }

  /** Which personal fields of the stream are sealed (and now unreadable), and where the stream ends. */
  private async inventory(customerId: string) {
    const fields = new Set<string>();
    let sealedEvents = 0;
    let events = 0;
    let lastRevision = -1;
    let lastPosition: number | null = null;
    for await (const event of this.reader.readStream(customerStreamId(customerId), {
      open: 'sealed',
    })) {
      events += 1;
      lastRevision = event.revision;
      lastPosition = Number(event.position.commit);
      const paths = PERSONAL_FIELDS[event.type as keyof typeof PERSONAL_FIELDS] ?? [];
      const sealed = paths.filter((path) => isEncrypted(valueAt(event.data, path)));
      if (sealed.length > 0) sealedEvents += 1;
      sealed.forEach((path) => fields.add(path));
    }
    return {
      erased: { fields: [...fields].sort(), sealedEvents, events },
      lastRevision,
      lastPosition,
    };
  }
}

function valueAt(data: unknown, path: string): unknown {
  let value = data;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
