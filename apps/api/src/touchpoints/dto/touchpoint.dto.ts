import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';
import { CHANNELS, COMPLAINT_SEVERITIES, DIRECTIONS, TOUCHPOINT_KINDS } from '@app/domain';
import {
  FiniteNumber,
  IsBusinessTime,
  IsFlatAttributes,
  OneOf,
  Optional,
  WholeNumber,
} from '../../http/common-validators';
import { KindField } from '../../http/kind-rules';
import { Code, CustomerId, Id, IsCurrencyCode, Text } from '../../http/text-validators';

const MAX_AMOUNT = 1_000_000_000;
const SEALED = "stored encrypted with the customer's key (personal data), erased with it";

/** One touchpoint as an emitter sends it (API.md). Kind-specific fields are refused for other kinds. */
export class TouchpointDto {
  @ApiProperty({
    description: "The emitter's own id of the touchpoint; with `source`, the idempotency key",
  })
  @Id('touchpointId')
  touchpointId!: string;

  @ApiProperty({ description: 'The emitting system, e.g. shop-till or call-centre' })
  @Id('source')
  source!: string;

  @CustomerId()
  customerId!: string;

  @OneOf(TOUCHPOINT_KINDS, { required: true })
  kind!: (typeof TOUCHPOINT_KINDS)[number];

  @ApiProperty({ format: 'date-time', description: 'Business time; backfills are welcome' })
  @IsBusinessTime()
  occurredAt!: string;

  @OneOf(CHANNELS, { required: true })
  channel!: (typeof CHANNELS)[number];

  @OneOf(DIRECTIONS, { required: true })
  direction!: (typeof DIRECTIONS)[number];

  @Code('Department (an analytics dimension)') @Optional() department?: string;
  @Code('Agent (an analytics dimension)') @Optional() agentId?: string;
  @Code('Product (an analytics dimension)') @Optional() product?: string;
  @Code('Region (an analytics dimension)') @Optional() region?: string;

  @ApiPropertyOptional({ maxLength: 4000, description: `Free text; ${SEALED}` })
  @Optional()
  @Text(4000, { multiline: true })
  note?: string;

  // purchase, refund
  @ApiPropertyOptional({ description: 'purchase, refund (required)' })
  @KindField(['purchase', 'refund'], { required: true })
  @Id('orderId')
  orderId?: string;

  @KindField(['purchase', 'refund'], { required: true })
  @FiniteNumber(0.0001, MAX_AMOUNT, 'purchase, refund (required): a positive amount', {
    maxDecimalPlaces: 4,
  })
  amount?: number;

  @ApiPropertyOptional({
    description: 'purchase, refund: an ISO 4217 currency code in use (ZZZ is refused), default EUR',
  })
  @KindField(['purchase', 'refund'])
  @IsCurrencyCode()
  currency?: string;

  @KindField(['purchase'])
  @FiniteNumber(-MAX_AMOUNT, MAX_AMOUNT, 'purchase: margin earned')
  margin?: number;

  @KindField(['purchase'])
  @FiniteNumber(0, MAX_AMOUNT, 'purchase: discount granted')
  discount?: number;

  @Code('inquiry')
  @KindField(['inquiry'])
  topic?: string;

  // complaints
  @ApiPropertyOptional({ description: 'complaint_* (required)' })
  @KindField(
    ['complaint_opened', 'complaint_escalated', 'complaint_resolved', 'complaint_reopened'],
    { required: true },
  )
  @Id('complaintId')
  complaintId?: string;

  @Code('complaint_opened (required): the category complaints are reported by')
  @KindField(['complaint_opened'], { required: true })
  category?: string;

  @KindField(['complaint_opened'])
  @OneOf(COMPLAINT_SEVERITIES, { description: 'complaint_opened, default medium' })
  severity?: (typeof COMPLAINT_SEVERITIES)[number];

  @Code('complaint_escalated: the level escalated to')
  @KindField(['complaint_escalated'])
  level?: string;

  @ApiPropertyOptional({
    maxLength: 1000,
    description: `complaint_escalated, complaint_reopened: free text; ${SEALED}`,
  })
  @KindField(['complaint_escalated', 'complaint_reopened'])
  @Text(1000, { multiline: true })
  reason?: string;

  @ApiPropertyOptional({
    maxLength: 1000,
    description: `complaint_resolved (required): free text; ${SEALED}`,
  })
  @KindField(['complaint_resolved'], { required: true })
  @Text(1000, { multiline: true })
  resolution?: string;

  @ApiPropertyOptional({ description: 'complaint_resolved' })
  @KindField(['complaint_resolved'])
  @IsBoolean()
  satisfied?: boolean;

  // feedback
  @KindField(['feedback'])
  @WholeNumber(1, 5, 'feedback: satisfaction score')
  score?: number;

  @KindField(['feedback'])
  @WholeNumber(0, 10, 'feedback: net promoter score')
  nps?: number;

  @ApiPropertyOptional({ maxLength: 4000, description: `feedback: free text; ${SEALED}` })
  @KindField(['feedback'])
  @Text(4000, { multiline: true })
  comment?: string;

  @ApiPropertyOptional({ description: 'service_request' })
  @KindField(['service_request'])
  @Id('requestId')
  requestId?: string;

  @Code('service_request')
  @KindField(['service_request'])
  requestType?: string;

  @Code('marketing_contact')
  @KindField(['marketing_contact'])
  campaignId?: string;

  @Code('marketing_contact')
  @KindField(['marketing_contact'])
  outcome?: string;

  @ApiPropertyOptional({
    maxLength: 2000,
    description: `visit: the page or URL (its query may carry an address or a search); ${SEALED}`,
  })
  @KindField(['visit'])
  @Text(2000)
  page?: string;

  @KindField(['visit'])
  @WholeNumber(0, 31 * 24 * 3600, 'visit')
  durationSeconds?: number;

  @Code('other: what kind of touchpoint it is')
  @KindField(['other'])
  subtype?: string;

  @ApiPropertyOptional({
    description: `other: up to 50 flat string/number/boolean attributes; ${SEALED}`,
    type: 'object',
    additionalProperties: true,
  })
  @KindField(['other'])
  @IsFlatAttributes(50)
  attributes?: Record<string, string | number | boolean>;
}
