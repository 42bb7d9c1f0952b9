/**
 * The YAML 1.2 core schema for js-yaml, resolving plain scalars exactly as the spec (10.3.2) and the
 * `yaml` package do. js-yaml's own CORE_SCHEMA keeps some YAML 1.1 forms (`0b101` is 5, `-.5` a
 * string); with this one, both parsers Berth uses read every manifest the same way. Loading only:
 * Berth never writes YAML with js-yaml.
 */
import { FAILSAFE_SCHEMA, Type } from 'js-yaml';

const NULL = /^(~|null|Null|NULL|)$/;
const BOOL = /^(true|True|TRUE|false|False|FALSE)$/;
const INT_10 = /^[-+]?[0-9]+$/;
const INT_8 = /^0o[0-7]+$/;
const INT_16 = /^0x[0-9a-fA-F]+$/;
const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INFINITY = /^[-+]?\.(inf|Inf|INF)$/;
const NAN = /^\.(nan|NaN|NAN)$/;

const nullType = new Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (data: string | null) => data === null || NULL.test(data),
  construct: () => null,
});

const boolType = new Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string) => BOOL.test(data),
  construct: (data: string) => data.toLowerCase() === 'true',
});

const intType = new Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string) => INT_10.test(data) || INT_8.test(data) || INT_16.test(data),
  construct: (data: string) => {
    if (INT_8.test(data)) return parseInt(data.slice(2), 8);
    if (INT_16.test(data)) return parseInt(data.slice(2), 16);
    return Number(data);
  },
});

const floatType = new Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: string) => FLOAT.test(data) || INFINITY.test(data) || NAN.test(data),
  construct: (data: string) => {
    if (NAN.test(data)) return NaN;
    if (INFINITY.test(data)) return data.startsWith('-') ? -Infinity : Infinity;
    return Number(data);
  },
});

export const YAML_1_2_CORE_SCHEMA = FAILSAFE_SCHEMA.extend({ implicit: [nullType, boolType, intType, floatType] });
