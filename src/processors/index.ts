/** The processing stage's public surface, for the consumer and the CLI. */
export { processPiece, type PieceInput, type ProcessedPiece, type PieceCounts, type CleansedChunk } from './piece.js';
export { ProcessorPool, processorPoolFromConfig, type ProcessorPoolOptions, type ProcessorPoolStats } from './pool.js';
export { createProcessorContext, processorOptionsFromConfig, type ProcessorContext, type ProcessorOptions } from './context.js';
export { resolvePiiKey, type SecretPort } from './piiKey.js';
export { envelopeId, type DlqEnvelope, type DlqReason, type DlqStage } from './envelope.js';
export { DEFAULT_SCHEMA_DIR } from './schemas.js';
