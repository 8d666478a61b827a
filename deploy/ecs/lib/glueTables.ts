/** The Glue database and one AWS::Glue::Table per LakeTableDefinition. */
import { Stack } from 'aws-cdk-lib';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { Construct } from 'constructs';
import type { LakeTableDefinition } from './lakeTableDefinition.js';

export class GlueTables extends Construct {
  readonly database: CfnDatabase;
  readonly tables: CfnTable[];

  constructor(scope: Construct, id: string, props: { databaseName: string; definitions: LakeTableDefinition[] }) {
    super(scope, id);
    const catalogId = Stack.of(this).account;
    this.database = new CfnDatabase(this, 'Database', {
      catalogId,
      databaseInput: { name: props.databaseName, description: 'kinesis-lake raw and cleansed zones' },
    });
    this.tables = props.definitions.map((def) => {
      const table = new CfnTable(this, `Table-${def.name}`, {
        catalogId,
        databaseName: props.databaseName,
        tableInput: {
          name: def.name,
          tableType: 'EXTERNAL_TABLE',
          parameters: def.parameters,
          partitionKeys: def.partitionKeys.map((k) => ({ name: k.name, type: k.type })),
          storageDescriptor: {
            location: def.location,
            columns: def.columns.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
            inputFormat: def.inputFormat,
            outputFormat: def.outputFormat,
            serdeInfo: { serializationLibrary: def.serde.library, parameters: def.serde.parameters },
          },
        },
      });
      table.addResourceDependency(this.database);
      return table;
    });
  }
}
