import { describe, expect, it } from 'vitest';
import {
  checkTaskConfigSchema,
  compileJobSpec,
  compileTaskConfig,
  describeSpec,
  MAX_TASK_CONFIG_BYTES,
  taskTypesOf,
  type TaskConfigSchema,
} from '@dist-exec/core';

const SCHEMA = {
  image: { kind: 'string', required: true, description: 'the image to run' },
  args: { kind: 'strings', maxItems: 2, description: 'its arguments' },
  ports: { kind: 'map', description: 'name -> port' },
  privileged: { kind: 'boolean', description: 'with every capability' },
  shares: { kind: 'number', min: 0, max: 1, description: 'a fraction' },
} as const satisfies TaskConfigSchema;

const error = (run: () => unknown): string => {
  try {
    run();
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
};

describe('task configs', () => {
  it('keeps only what the schema allows, each field of its kind, naming what is wrong', () => {
    const config = { image: 'alpine', args: ['a', 'b'], ports: { http: '80' }, privileged: false, shares: 0.5 };
    expect(compileTaskConfig('box', SCHEMA, config)).toEqual(config);
    expect(error(() => compileTaskConfig('box', SCHEMA, { image: 'x', args: ['a', 'b', 'c'] }))).toBe(
      'spec.config.args: 3 items; at most 2 are allowed',
    );
    expect(error(() => compileTaskConfig('box', SCHEMA, { image: 'x', ports: { http: 80 } }))).toBe(
      'spec.config.ports.http: must be a string',
    );
    expect(error(() => compileTaskConfig('box', SCHEMA, { image: 'x', privileged: 'yes' }))).toBe(
      'spec.config.privileged: must be true or false',
    );
    expect(error(() => compileTaskConfig('box', SCHEMA, ['alpine']))).toBe(
      'spec.config: the config of box tasks must be a JSON object',
    );
    // An inherited name is not a field.
    expect(error(() => compileTaskConfig('box', SCHEMA, { image: 'x', toString: 'y' }))).toMatch(
      /^spec\.config\.toString: unknown field of box tasks/,
    );
  });

  it('compileJobSpec checks a config against its type in the registry, and keeps none for command and http', () => {
    const types = taskTypesOf(['command', 'http', 'opaque'], [['box', SCHEMA]]);
    const spec = compileJobSpec({ type: 'box', config: { image: 'alpine' } }, { taskTypes: types });
    expect(spec.config).toEqual({ image: 'alpine' });
    expect(describeSpec(spec)).toBe('box {"image":"alpine"}');
    expect(error(() => compileJobSpec({ type: 'box' }, { taskTypes: types }))).toBe(
      'spec.config.image: box tasks need it: the image to run',
    );
    expect(compileJobSpec({ command: 'true', config: {} }, { taskTypes: types })).not.toHaveProperty('config');
    expect(error(() => compileJobSpec({ type: 'http', config: { url: 'x' } }, { taskTypes: types }))).toBe(
      'spec.config: http tasks take no config; give http instead',
    );
    // A type whose schema the master has not seen: any object within the size limit; its worker checks it.
    expect(compileJobSpec({ type: 'opaque', config: { any: 'thing' } }, { taskTypes: types }).config).toEqual({
      any: 'thing',
    });
    const huge = { text: 'x'.repeat(MAX_TASK_CONFIG_BYTES) };
    expect(error(() => compileJobSpec({ type: 'opaque', config: huge }, { taskTypes: types }))).toMatch(
      /^spec\.config: \d+ bytes as JSON; at most 65536 are allowed$/,
    );
  });

  it('a schema from a worker must name its fields and kinds', () => {
    expect(checkTaskConfigSchema(JSON.parse(JSON.stringify(SCHEMA)), 'schema')).toEqual(SCHEMA);
    expect(error(() => checkTaskConfigSchema({ image: { kind: 'blob' } }, 'schema'))).toBe(
      'schema.image: kind must be one of string, integer, number, boolean, strings, map',
    );
    expect(error(() => checkTaskConfigSchema({ 'bad name': { kind: 'string' } }, 'schema'))).toBe(
      'schema: "bad name" is not a field name (letters, digits and _)',
    );
    expect(error(() => checkTaskConfigSchema({ n: { kind: 'integer', max: '9' } }, 'schema'))).toBe(
      'schema.n.max: must be a number',
    );
  });
});
