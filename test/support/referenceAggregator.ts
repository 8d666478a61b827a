/** KPL aggregation by the reference aggregator (aws-kinesis-agg), as a promise. */
import { aggregate } from 'aws-kinesis-agg';

export interface ReferenceUserRecord {
  partitionKey: string;
  explicitHashKey?: string;
  data: Buffer;
}

/** Resolves with the data of each Kinesis record the aggregator emits, in order. */
export function aggregateWithReference(records: ReferenceUserRecord[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    aggregate(
      records,
      (encoded, done) => {
        out.push(encoded.data);
        done();
      },
      () => resolve(out),
      (err) => reject(err),
    );
  });
}
