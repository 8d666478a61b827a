/** The one S3 call the batch side needs beyond ObjectStorePort: removing an object (stale hours, finished markers). */
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export interface ObjectDeletePort {
  delete(key: string): Promise<void>;
}

export function s3ObjectDeleter(client: S3Client, bucket: string): ObjectDeletePort {
  return {
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
}
