import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray } from 'class-validator';
import { TouchpointDto } from './touchpoint.dto';

export const MAX_BATCH = 1000;

/**
 * Only the envelope is validated here: each item is validated on its own so that one bad touchpoint is
 * reported in its result and does not stop the others.
 */
export class TouchpointBatchDto {
  @ApiProperty({ type: [TouchpointDto], minItems: 1, maxItems: MAX_BATCH })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH, { message: `touchpoints must contain at most ${MAX_BATCH} items` })
  touchpoints!: unknown[];
}

export type BatchItemResult =
  | { index: number; status: 'created'; eventId: string; revision: number }
  | { index: number; status: 'duplicate'; eventId: string }
  | {
      index: number;
      status: 'rejected';
      errors: Array<{ field?: string; code?: string; message: string; retryable?: boolean }>;
    };
