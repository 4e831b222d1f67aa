import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsNumber, Max, Min } from 'class-validator';
import { CHANNELS, COMPLAINT_SEVERITIES, DIRECTIONS, TOUCHPOINT_KINDS } from '@app/domain';
import { IsBusinessTime, IsFlatAttributes, Optional } from '../../http/common-validators';
import { KindField } from '../../http/kind-rules';
import { Code, CustomerId, Id, IsCurrencyCode, Text } from '../../http/text-validators';

const MAX_AMOUNT = 1_000_000_000;
const SEALED = "stored encrypted with the customer's key (personal data), erased with it";
const Amount = () =>
  applyDecorators(
    IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 4 }),
    Min(0.0001),
    Max(MAX_AMOUNT),
  );

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

  @ApiProperty({ enum: TOUCHPOINT_KINDS })
  @IsIn(TOUCHPOINT_KINDS, { message: `kind must be one of ${TOUCHPOINT_KINDS.join(', ')}` })
  kind!: (typeof TOUCHPOINT_KINDS)[number];

  @ApiProperty({ format: 'date-time', description: 'Business time; backfills are welcome' })
  @IsBusinessTime()
  occurredAt!: string;

  @ApiProperty({ enum: CHANNELS })
  @IsIn(CHANNELS, { message: `channel must be one of ${CHANNELS.join(', ')}` })
  channel!: (typeof CHANNELS)[number];

  @ApiProperty({ enum: DIRECTIONS })
  @IsIn(DIRECTIONS, { message: `direction must be one of ${DIRECTIONS.join(', ')}` })
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

  @ApiPropertyOptional({
    description: 'purchase, refund (required): a positive amount',
    minimum: 0.0001,
  })
  @KindField(['purchase', 'refund'], { required: true })
  @Amount()
  amount?: number;

  @ApiPropertyOptional({
    description: 'purchase, refund: an ISO 4217 currency code in use (ZZZ is refused), default EUR',
  })
  @KindField(['purchase', 'refund'])
  @IsCurrencyCode()
  currency?: string;

  @ApiPropertyOptional({ description: 'purchase: margin earned' })
  @KindField(['purchase'])
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-MAX_AMOUNT)
  @Max(MAX_AMOUNT)
  margin?: number;

  @ApiPropertyOptional({ description: 'purchase: discount granted', minimum: 0 })
  @KindField(['purchase'])
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(MAX_AMOUNT)
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

  @ApiPropertyOptional({
    enum: COMPLAINT_SEVERITIES,
    description: 'complaint_opened, default medium',
  })
  @KindField(['complaint_opened'])
  @IsIn(COMPLAINT_SEVERITIES, {
    message: `severity must be one of ${COMPLAINT_SEVERITIES.join(', ')}`,
  })
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
  @ApiPropertyOptional({ minimum: 1, maximum: 5, description: 'feedback: satisfaction score' })
  @KindField(['feedback'])
  @IsInt()
  @Min(1)
  @Max(5)
  score?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 10, description: 'feedback: net promoter score' })
  @KindField(['feedback'])
  @IsInt()
  @Min(0)
  @Max(10)
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

  @ApiPropertyOptional({ description: 'visit', minimum: 0 })
  @KindField(['visit'])
  @IsInt()
  @Min(0)
  @Max(31 * 24 * 3600)
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
