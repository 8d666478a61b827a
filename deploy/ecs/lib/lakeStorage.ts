/**
 * The lake's customer-managed key and bucket. One key encrypts every zone
 * (bucket, stream, lease table, DLQ) so a single key policy governs the lake.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, StorageClass } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Raw data is the system of record but rarely read after its first month. */
export const RAW_TO_INFREQUENT_ACCESS_DAYS = 30;
export const RAW_TO_GLACIER_DAYS = 90;
export const ABORT_INCOMPLETE_UPLOADS_DAYS = 7;
/** Replays rewrite the same keys; old versions are a safety net, not an archive. */
export const NONCURRENT_VERSION_DAYS = 30;

export class LakeStorage extends Construct {
  readonly key: Key;
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: { appName: string }) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      alias: `alias/${props.appName}-lake`,
      description: `${props.appName}: encrypts the lake bucket, stream, lease table and dead-letter queue`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.KMS,
      encryptionKey: this.key,
      // One data key per bucket instead of per object: far fewer KMS calls for many small writes.
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Versioned: raw is the system of record, so an overwrite or delete must be recoverable.
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'raw-to-colder-storage',
          prefix: 'raw/',
          transitions: [
            { storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(RAW_TO_INFREQUENT_ACCESS_DAYS) },
            { storageClass: StorageClass.GLACIER, transitionAfter: Duration.days(RAW_TO_GLACIER_DAYS) },
          ],
        },
        {
          id: 'abort-incomplete-uploads-and-expire-old-versions',
          abortIncompleteMultipartUploadAfter: Duration.days(ABORT_INCOMPLETE_UPLOADS_DAYS),
          noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
        },
      ],
    });
  }
}
