import type { DlqReason, DlqStage } from './envelope.js';

/** Why one user record was rejected; thrown by nothing, returned by every step. */
export interface Failure {
  reason: DlqReason;
  stage: DlqStage;
  detail: string;
}

export function failure(stage: DlqStage, reason: DlqReason, detail: string): Failure {
  return { stage, reason, detail };
}
