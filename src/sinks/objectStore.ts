/**
 * The slice of S3 the sinks use. Objects are written whole with PutObject, or
 * with a multipart upload when they are large (lib-storage, bounded parts).
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { MissingResourceError } from '../errors.js';

export interface PutOptions {
  contentType: string;
  contentEncoding?: string;
  metadata?: Record<string, string>;
}

export interface ObjectStorePort {
  checkBucket(): Promise<void>;
  /** `body` is the caller's again once this resolves (LakeWriter frees it then): a store that keeps it copies it. */
  put(key: string, body: Uint8Array, options: PutOptions): Promise<void>;
  get(key: string): Promise<Buffer>;
  /** The body and the user metadata (x-amz-meta-*, names in lower case). */
  getWithMetadata(key: string): Promise<{ body: Buffer; metadata: Record<string, string> }>;
  list(prefix: string): Promise<{ key: string; size: number }[]>;
}

/** Bodies above this go through a multipart upload. */
const MULTIPART_THRESHOLD = 16 * 1024 * 1024;
const PART_SIZE = 8 * 1024 * 1024;

export class S3ObjectStore implements ObjectStorePort {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  /**
   * Lists one key under raw/ rather than HeadBucket: HeadBucket needs s3:ListBucket on the whole bucket, and
   * a least-privilege role (deploy/ecs) grants it only for the lake's prefixes.
   */
  async checkBucket(): Promise<void> {
    try {
      await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: 'raw/', MaxKeys: 1 }));
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NotFound' || e.name === 'NoSuchBucket' || e.$metadata?.httpStatusCode === 404) {
        throw new MissingResourceError(`KL_BUCKET=${JSON.stringify(this.bucket)}: the S3 bucket does not exist; create it or fix the name`, err);
      }
      if (e.$metadata?.httpStatusCode === 403) {
        throw new MissingResourceError(`KL_BUCKET=${JSON.stringify(this.bucket)}: access denied; grant the task role s3:ListBucket on its raw/, cleansed/ and dlq/ prefixes and s3:PutObject under them`, err);
      }
      throw err;
    }
  }

  async put(key: string, body: Uint8Array, options: PutOptions): Promise<void> {
    if (body.byteLength > MULTIPART_THRESHOLD) {
      const upload = new Upload({
        client: this.client,
        params: {
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: options.contentType,
          ContentEncoding: options.contentEncoding,
          Metadata: options.metadata,
        },
        partSize: PART_SIZE,
        queueSize: 2,
        leavePartsOnError: false,
      });
      await upload.done();
      return;
    }
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentLength: body.byteLength,
        ContentType: options.contentType,
        ContentEncoding: options.contentEncoding,
        Metadata: options.metadata,
      }),
    );
  }

  async get(key: string): Promise<Buffer> {
    return (await this.getWithMetadata(key)).body;
  }

  async getWithMetadata(key: string): Promise<{ body: Buffer; metadata: Record<string, string> }> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const bytes = await out.Body!.transformToByteArray();
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(out.Metadata ?? {})) metadata[name.toLowerCase()] = value;
    return { body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), metadata };
  }

  async list(prefix: string): Promise<{ key: string; size: number }[]> {
    const out: { key: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) out.push({ key: o.Key!, size: o.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }
}
