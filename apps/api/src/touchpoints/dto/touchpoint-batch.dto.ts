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

/**
 * One item's answer: validation problems name their field, storage failures their code and whether to retry. A
 * created or duplicate item's position is that of the append that stored the touchpoint, now or before.
 */
export type BatchItemResult = { index: number } & (
  | { status: 'created' | 'duplicate'; eventId: string; revision: number; position: number | null }
  | { status: 'rejected'; errors: Array<FieldProblem | ItemError> }
);

export interface BatchReceipt {
  results: BatchItemResult[];
  /** Highest commit position of the batch's touchpoints, stored now or before: pass it as minPosition to read them. */
  position: number | null;
}
