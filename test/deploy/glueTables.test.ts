/** The Glue tables: raw JSON and cleansed Parquet, both with partition projection, built from the service's contracts. */
import { describe, expect, it } from 'vitest';
import { lakeTables } from '../../src/lake/tables.js';
import { renderDdl } from '../../src/cli/ddl.js';
import type { LakeTableDefinition } from '../../deploy/ecs/lib/lakeTableDefinition.js';
import { synthStack } from './synthStack.js';
import { onlyResource, resourcesOf } from './templateQueries.js';

describe('Glue resources of the stack', () => {
  it('creates the database and one table per definition, with projection enabled', () => {
    const { template } = synthStack({ glueDatabase: 'lake_db_test', cleansedTable: 'clicks_clean' });
    const [, database] = onlyResource(template, 'AWS::Glue::Database');
    expect((database.Properties.DatabaseInput as { Name: string }).Name).toBe('lake_db_test');
    const tables = resourcesOf(template, 'AWS::Glue::Table').map(([, t]) => t.Properties);
    expect(tables).toHaveLength(2);
    for (const table of tables) {
      expect(table.DatabaseName).toBe('lake_db_test');
      const tableInput = table.TableInput as { Parameters: Record<string, string>; TableType: string; StorageDescriptor: { Location: unknown } };
      expect(tableInput.TableType).toBe('EXTERNAL_TABLE');
      expect(tableInput.Parameters['projection.enabled']).toBe('true');
      expect(tableInput.Parameters['storage.location.template']).toBeDefined();
    }
    expect(tables.map((t) => (t.TableInput as { Name: string }).Name).sort()).toEqual(['clicks_clean', 'clicks_clean_raw']);
  });

  it('declares exactly the tables `kinesis-lake ddl` prints (same columns and projection)', () => {
    const { template } = synthStack({ glueDatabase: 'lake_db_test', cleansedTable: 'clicks_clean' });
    const ddl = renderDdl({ database: 'lake_db_test', bucket: 'b', stream: 's', table: 'clicks_clean' });
    for (const [, t] of resourcesOf(template, 'AWS::Glue::Table')) {
      const input = t.Properties.TableInput as { Name: string; StorageDescriptor: { Columns: { Name: string }[] }; Parameters: Record<string, string> };
      expect(ddl).toContain(`\`${input.Name}\``);
      for (const c of input.StorageDescriptor.Columns) expect(ddl).toContain(`\`${c.Name}\``);
      for (const k of Object.keys(input.Parameters).filter((k) => k.startsWith('projection.'))) expect(ddl).toContain(`'${k}'`);
    }
  });

  it('builds the tables from a supplied definition list', () => {
    const custom = (i: Parameters<typeof lakeTables>[0]): LakeTableDefinition[] => lakeTables(i).map((d) => ({ ...d, name: `${d.name}_v2` }));
    const { template } = synthStack({ lakeTables: custom });
    const names = resourcesOf(template, 'AWS::Glue::Table').map(([, t]) => (t.Properties.TableInput as { Name: string }).Name);
    expect(names.sort()).toEqual(['events_raw_v2', 'events_v2']);
  });
});
