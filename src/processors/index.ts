/** The processing stage's public surface, for the consumer and the CLI. */
export { processPiece, type PieceInput, type ProcessedPiece, type PieceCounts, type CleansedChunk } from './piece.js';
export { ProcessorPool, startProcessorPool, type ProcessorPoolOptions, type ProcessorPoolStats } from './pool.js';
export { createProcessorContext, type ProcessorContext } from './context.js';
export { processorOptionsFromConfig, type ProcessorOptions } from './processorOptions.js';
export { resolvePiiKey, type SecretPort } from './piiKey.js';
export { envelopeId, type DlqEnvelope, type DlqReason, type DlqStage } from './envelope.js';
export { DEFAULT_SCHEMA_DIR } from './schemas.js';
