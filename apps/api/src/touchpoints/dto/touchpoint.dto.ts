import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { CHANNELS, DIRECTIONS, TOUCHPOINT_KINDS } from '@app/domain';
import {
  ID_MESSAGE,
  ID_PATTERN,
  IsBusinessTime,
  IsFlatAttributes,
  Optional,
} from '../../http/common-validators';
import { KindField } from '../../http/kind-rules';

const MAX_AMOUNT = 1_000_000_000;
const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
const text = (max: number) => [IsString(), MinLength(1), MaxLength(max)];
function apply(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}
const Text = (max: number) => apply(...text(max));
const Id = (field: string) =>
  apply(...text(200), Matches(ID_PATTERN, { message: ID_MESSAGE(field) }));
const Amount = () =>
  apply(
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

  @ApiProperty()
  @Id('customerId')
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

  @ApiPropertyOptional({ maxLength: 100 }) @Optional() @Text(100) department?: string;
  @ApiPropertyOptional({ maxLength: 100 }) @Optional() @Text(100) agentId?: string;
  @ApiPropertyOptional({ maxLength: 200 }) @Optional() @Text(200) product?: string;
  @ApiPropertyOptional({ maxLength: 100 }) @Optional() @Text(100) region?: string;

  @ApiPropertyOptional({
    maxLength: 4000,
    description: 'Free text; stored encrypted (personal data)',
  })
  @Optional()
  @Text(4000)
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

  @ApiPropertyOptional({ description: 'purchase, refund: ISO 4217 code, default EUR' })
  @KindField(['purchase', 'refund'])
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be a three-letter ISO 4217 code such as EUR' })
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

  @ApiPropertyOptional({ description: 'inquiry' })
  @KindField(['inquiry'])
  @Text(200)
  topic?: string;

  // complaints
  @ApiPropertyOptional({ description: 'complaint_* (required)' })
  @KindField(
    ['complaint_opened', 'complaint_escalated', 'complaint_resolved', 'complaint_reopened'],
    { required: true },
  )
  @Id('complaintId')
  complaintId?: string;

  @ApiPropertyOptional({ description: 'complaint_opened (required)' })
  @KindField(['complaint_opened'], { required: true })
  @Text(100)
  category?: string;

  @ApiPropertyOptional({ enum: SEVERITIES, description: 'complaint_opened, default medium' })
  @KindField(['complaint_opened'])
  @IsIn(SEVERITIES, { message: `severity must be one of ${SEVERITIES.join(', ')}` })
  severity?: (typeof SEVERITIES)[number];

  @ApiPropertyOptional({ description: 'complaint_escalated' })
  @KindField(['complaint_escalated'])
  @Text(100)
  level?: string;

  @ApiPropertyOptional({ description: 'complaint_escalated, complaint_reopened' })
  @KindField(['complaint_escalated', 'complaint_reopened'])
  @Text(1000)
  reason?: string;

  @ApiPropertyOptional({ description: 'complaint_resolved (required)' })
  @KindField(['complaint_resolved'], { required: true })
  @Text(1000)
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

  @ApiPropertyOptional({ description: 'feedback: free text, stored encrypted' })
  @KindField(['feedback'])
  @Text(4000)
  comment?: string;

  @ApiPropertyOptional({ description: 'service_request' })
  @KindField(['service_request'])
  @Id('requestId')
  requestId?: string;

  @ApiPropertyOptional({ description: 'service_request' })
  @KindField(['service_request'])
  @Text(100)
  requestType?: string;

  @ApiPropertyOptional({ description: 'marketing_contact' })
  @KindField(['marketing_contact'])
  @Text(200)
  campaignId?: string;

  @ApiPropertyOptional({ description: 'marketing_contact' })
  @KindField(['marketing_contact'])
  @Text(100)
  outcome?: string;

  @ApiPropertyOptional({ description: 'visit' })
  @KindField(['visit'])
  @Text(2000)
  page?: string;

  @ApiPropertyOptional({ description: 'visit', minimum: 0 })
  @KindField(['visit'])
  @IsInt()
  @Min(0)
  @Max(31 * 24 * 3600)
  durationSeconds?: number;

  @ApiPropertyOptional({ description: 'other' })
  @KindField(['other'])
  @Text(100)
  subtype?: string;

  @ApiPropertyOptional({
    description: 'other: up to 50 flat string/number/boolean attributes',
    type: 'object',
    additionalProperties: true,
  })
  @KindField(['other'])
  @IsFlatAttributes(50)
  attributes?: Record<string, string | number | boolean>;
}
