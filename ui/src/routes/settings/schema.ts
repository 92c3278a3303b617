/**
 * Turns the settings JSON Schema (schemars, draft 2020-12) into form sections: `$ref`s into
 * `$defs` are resolved, enums become selects, integer ranges become min/max.
 */

export type JsonObject = { [key: string]: unknown };

export type Control = 'select' | 'integer' | 'number' | 'text' | 'checkbox' | 'lines' | 'json';

export interface Option {
  value: string | number | boolean | null;
  label: string;
}

export interface FieldSpec {
  /** Property names from the root, e.g. `['runner', 'retryBudget']`. */
  path: string[];
  label: string;
  description?: string;
  control: Control;
  options?: Option[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  nullable: boolean;
  default?: unknown;
}

export interface SectionSpec {
  key: string;
  title: string;
  description?: string;
  fields: FieldSpec[];
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pointer(root: JsonObject, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  const parts = ref
    .slice(1)
    .split('/')
    .filter(Boolean)
    .map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = root;
  for (const part of parts) {
    if (!isObject(node)) return undefined;
    node = node[part];
  }
  return node;
}

const isNullSchema = (s: unknown) => isObject(s) && (s.type === 'null' || (Array.isArray(s.enum) && s.enum.length === 1 && s.enum[0] === null));

/** Resolves `$ref`, `allOf` and `Option`-style `anyOf [T, null]`; sibling keywords win over the target. */
export function resolveSchema(node: unknown, root: JsonObject, depth = 0): JsonObject {
  if (!isObject(node) || depth > 32) return {};
  let out: JsonObject = { ...node };
  if (typeof out.$ref === 'string') {
    const target = resolveSchema(pointer(root, out.$ref), root, depth + 1);
    const { $ref: _ignored, ...siblings } = out;
    out = { ...target, ...siblings };
  }
  if (Array.isArray(out.allOf)) {
    const { allOf, ...rest } = out;
    out = (allOf as unknown[]).reduce<JsonObject>((acc, part) => ({ ...acc, ...resolveSchema(part, root, depth + 1) }), {});
    out = { ...out, ...rest };
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const variants = out[key];
    if (!Array.isArray(variants)) continue;
    const nonNull = variants.filter((v) => !isNullSchema(v));
    if (nonNull.length === 1 && nonNull.length < variants.length) {
      const { [key]: _ignored, ...rest } = out;
      out = { ...resolveSchema(nonNull[0], root, depth + 1), ...rest, nullable: true };
    }
  }
  return out;
}

function primaryType(schema: JsonObject): { type: string | undefined; nullable: boolean } {
  const t = schema.type;
  if (Array.isArray(t)) {
    const types = t.filter((x): x is string => typeof x === 'string');
    return { type: types.find((x) => x !== 'null'), nullable: types.includes('null') || schema.nullable === true };
  }
  return { type: typeof t === 'string' ? t : undefined, nullable: schema.nullable === true };
}

function enumOptions(schema: JsonObject, root: JsonObject): Option[] | undefined {
  if (Array.isArray(schema.enum)) {
    return schema.enum.filter((v) => v !== null).map((v) => ({ value: v as Option['value'], label: String(v) }));
  }
  for (const key of ['oneOf', 'anyOf'] as const) {
    const variants = schema[key];
    if (!Array.isArray(variants) || variants.length === 0) continue;
    const options: Option[] = [];
    for (const raw of variants) {
      const v = resolveSchema(raw, root);
      if (isNullSchema(v)) continue;
      const value = 'const' in v ? v.const : Array.isArray(v.enum) && v.enum.length === 1 ? v.enum[0] : undefined;
      if (value === undefined) return undefined;
      const text = typeof v.title === 'string' ? v.title : typeof v.description === 'string' ? v.description : String(value);
      options.push({ value: value as Option['value'], label: text === String(value) ? text : `${String(value)} — ${text}` });
    }
    return options;
  }
  return undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** `maxConcurrentGoals` → "Max concurrent goals". */
const ACRONYMS: Record<string, string> = { ui: 'UI', kb: 'KB', mb: 'MB', id: 'ID', url: 'URL', api: 'API', pty: 'PTY', cpu: 'CPU', mcp: 'MCP' };

export function humanizeKey(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .map((w) => ACRONYMS[w] ?? w);
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Orders `keys` like the keys of `reference` (the effective settings, which the server writes in
 * declaration order, while schema properties arrive sorted by name); unknown keys keep their place at the end.
 */
function orderLike(keys: string[], reference: unknown): string[] {
  if (!isObject(reference)) return keys;
  const order = Object.keys(reference);
  const rank = (k: string) => {
    const i = order.indexOf(k);
    return i === -1 ? order.length : i;
  };
  return [...keys].sort((a, b) => rank(a) - rank(b));
}

function fieldsOf(
  schema: JsonObject,
  root: JsonObject,
  path: string[],
  labelPrefix: string,
  parentDefault: unknown,
  reference: unknown,
  out: FieldSpec[],
  depth: number,
): void {
  const properties = isObject(schema.properties) ? schema.properties : {};
  for (const key of orderLike(Object.keys(properties), reference)) {
    const raw = properties[key];
    const prop = resolveSchema(raw, root);
    const fieldPath = [...path, key];
    const label = labelPrefix ? `${labelPrefix} › ${humanizeKey(key)}` : humanizeKey(key);
    const inheritedDefault = isObject(parentDefault) ? parentDefault[key] : undefined;
    const fallbackDefault = 'default' in prop ? prop.default : inheritedDefault;
    const { type, nullable } = primaryType(prop);
    const options = enumOptions(prop, root);

    if (!options && type === 'object' && isObject(prop.properties) && depth < 4) {
      fieldsOf(prop, root, fieldPath, label, fallbackDefault, getIn(reference, [key]), out, depth + 1);
      continue;
    }
    const control: Control = options
      ? 'select'
      : type === 'boolean'
        ? 'checkbox'
        : type === 'integer'
          ? 'integer'
          : type === 'number'
            ? 'number'
            : type === 'string'
              ? 'text'
              : type === 'array' && isObject(prop.items) && primaryType(resolveSchema(prop.items, root)).type === 'string'
                ? 'lines'
                : 'json';
    out.push({
      path: fieldPath,
      label,
      description: str(prop.description) ?? str(prop.title),
      control,
      options,
      minimum: num(prop.minimum) ?? (num(prop.exclusiveMinimum) !== undefined ? num(prop.exclusiveMinimum)! + (control === 'integer' ? 1 : 0) : undefined),
      maximum: num(prop.maximum) ?? (num(prop.exclusiveMaximum) !== undefined ? num(prop.exclusiveMaximum)! - (control === 'integer' ? 1 : 0) : undefined),
      minLength: num(prop.minLength),
      maxLength: num(prop.maxLength),
      pattern: typeof prop.pattern === 'string' ? prop.pattern : undefined,
      nullable,
      default: fallbackDefault,
    });
  }
}

/**
 * One section per top-level property of the settings schema, ordered like `reference` (the
 * effective settings object) where it names the same keys.
 */
export function sectionsFromSchema(schema: unknown, reference?: unknown): SectionSpec[] {
  if (!isObject(schema)) return [];
  const root = schema;
  const top = resolveSchema(root, root);
  const properties = isObject(top.properties) ? top.properties : {};
  return orderLike(Object.keys(properties), reference).map((key) => {
    const raw = properties[key];
    const section = resolveSchema(raw, root);
    const fields: FieldSpec[] = [];
    const { type } = primaryType(section);
    if (type === 'object' || isObject(section.properties)) {
      fieldsOf(section, root, [key], '', section.default, getIn(reference, [key]), fields, 0);
    } else {
      // A scalar at the top level becomes a one-field section.
      const wrapper: JsonObject = { properties: { [key]: raw } };
      fieldsOf(wrapper, root, [], '', top.default, reference, fields, 0);
    }
    return {
      key,
      title: humanizeKey(key),
      description: str(section.description),
      fields,
    };
  });
}

/** Reads `path` from a nested object; `undefined` where any step is missing. */
export function getIn(value: unknown, path: readonly string[]): unknown {
  let node = value;
  for (const key of path) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** Sets `path` in a nested patch object, creating intermediate objects. */
export function setIn(target: JsonObject, path: readonly string[], value: unknown): void {
  let node = target;
  path.forEach((key, i) => {
    if (i === path.length - 1) {
      node[key] = value;
    } else {
      if (!isObject(node[key])) node[key] = {};
      node = node[key] as JsonObject;
    }
  });
}

/** Structural equality for JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!jsonEqual(ao[k], bo[k])) return false;
  return true;
}

/** A client-side check mirroring the schema's limits; the server stays the authority. */
export function validateField(field: FieldSpec, value: unknown): string | null {
  if (value === null || value === undefined) return field.nullable ? null : 'A value is required.';
  switch (field.control) {
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || Number.isNaN(value)) return 'Enter a number.';
      if (field.control === 'integer' && !Number.isInteger(value)) return 'Enter a whole number.';
      if (field.minimum !== undefined && value < field.minimum) return `Must be at least ${field.minimum}.`;
      if (field.maximum !== undefined && value > field.maximum) return `Must be at most ${field.maximum}.`;
      return null;
    }
    case 'text': {
      if (typeof value !== 'string') return 'Enter text.';
      if (field.minLength !== undefined && value.length < field.minLength)
        return field.minLength === 1 ? 'Must not be empty.' : `Must be at least ${field.minLength} characters.`;
      if (field.maxLength !== undefined && value.length > field.maxLength) return `Must be at most ${field.maxLength} characters.`;
      if (field.pattern) {
        try {
          if (!new RegExp(field.pattern, 'u').test(value)) return `Must match ${field.pattern}.`;
        } catch {
          // A pattern this browser cannot compile is left to the server.
        }
      }
      return null;
    }
    default:
      return null;
  }
}
