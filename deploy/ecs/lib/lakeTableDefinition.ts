/**
 * A Glue/Athena table in a form independent of CDK: the stack turns each one
 * into an AWS::Glue::Table. The shape `lakeTables` in src/lake/tables.ts
 * returns (the stack's default), so a caller may supply its own.
 */
export interface LakeTableColumn {
  name: string;
  /** Hive/Athena type: string, bigint, int, double, timestamp... */
  type: string;
  comment?: string;
}

export interface LakeTablePartitionKey {
  name: string;
  type: string;
}

export interface LakeTableDefinition {
  name: string;
  /** s3://bucket/prefix/ of the table's data. */
  location: string;
  columns: LakeTableColumn[];
  partitionKeys: LakeTablePartitionKey[];
  /** Table parameters: classification, projection.*, storage.location.template... */
  parameters: Record<string, string>;
  serde: { library: string; parameters: Record<string, string> };
  inputFormat: string;
  outputFormat: string;
}

/** What a table builder needs to place the tables. */
export interface LakeTablesInput {
  database: string;
  bucket: string;
  stream: string;
  table: string;
}
