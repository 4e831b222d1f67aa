import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray } from 'class-validator';
import type { FieldProblem } from '../../http/problem';
import type { ItemError } from '../../http/problem.filter';
import { TouchpointDto } from './touchpoint.dto';

export const MAX_BATCH = 1000;

/**
 * Only the envelope is validated by the global pipe: the controller validates each item on its own so that one bad
 * touchpoint is reported in its result and does not stop the others.
 */
export class TouchpointBatchDto {
  @ApiProperty({ type: [TouchpointDto], minItems: 1, maxItems: MAX_BATCH })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH, { message: `touchpoints must contain at most ${MAX_BATCH} items` })
  touchpoints!: unknown[];
}

/** One item's answer: validation problems name their field, storage failures their code and whether to retry. */
export type BatchItemResult = { index: number } & (
  | { status: 'created'; eventId: string; revision: number }
  | { status: 'duplicate'; eventId: string }
  | { status: 'rejected'; errors: Array<FieldProblem | ItemError> }
);

export interface BatchReceipt {
  results: BatchItemResult[];
  /** Highest commit position written by this batch: pass it as minPosition to read your writes. */
  position: number | null;
}
