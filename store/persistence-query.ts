/**
 * The persistence task language (SPEC §6) compiled to MongoDB requests: pure functions, no I/O, unit-tested. Shared
 * by the persistence agent (activities/persistence.ts) and dataControl events (gateway/control/data.ts).
 * Every key that starts with `$` is checked against a closed list, so pattern data can never smuggle in a MongoDB
 * operator ($where, $expr, $function, …): anything outside the list is refused with the path of the offending key.
 */
import { ErrorCodes } from '../patterns/effects';
import { TaskError } from './task-error';

export const OPS = ['put', 'getOne', 'get', 'update', 'upsert', 'replace', 'delete', 'count'] as const;
export type Op = (typeof OPS)[number];

const COMPARISON = ['$gt', '$gte', '$lt', '$lte', '$ne'];
const MATCH_OPS = [...COMPARISON, '$in', '$nin', '$not', '$or', '$re'];
const UPDATE_OPS: Record<string, string> = {
  $inc: '$inc',
  $push: '$push',
  $add: '$addToSet',
  $remove: '$pull',
  $min: '$min',
  $max: '$max',
  $mul: '$mul',
  $now: '$now',
};
/** Stamps the agent owns: client values for them are ignored. */
const STAMPS = new Set(['_id', 'created', 'modified']);

export type Doc = Record<string, unknown>;

export interface CompiledTask {
  /** JSON-pointer-like position in content.tasks, e.g. `/2` or `/1/0` (for messages). */
  path: string;
  op: Op;
  name?: string;
  collection: string;
  dbname?: string;
  filter?: Doc;
  /** update/upsert: MongoDB update document (without stamps, which the executor adds). */
  update?: Doc;
  /** `$now` fields: set to the execution time. */
  nowFields?: string[];
  /** put (one or many) and replace: documents without stamps. */
  docs?: Doc[];
  many?: boolean;
  projection?: Doc;
  sort?: [string, 1 | -1][];
  skip?: number;
  limit?: number;
}
export type CompiledItem = CompiledTask | CompiledTask[];

function fail(path: string, reason: string, code: number = ErrorCodes.TASK_ERROR): never {
  throw new TaskError(`${path || '/'}: ${reason}`, code, { path: path || '/' });
}

export function isPlainObject(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/** A field path: dotted segments, none empty or starting with `$`; `id` is the document id. */
export function fieldName(key: string, path: string): string {
  if (key === '' || key.includes('\0')) fail(path, 'empty or invalid field name');
  for (const seg of key.split('.')) {
    if (seg === '') fail(path, `invalid field path "${key}"`);
    if (seg.startsWith('$')) fail(path, `operator ${seg} is not allowed here`);
  }
  return key === 'id' ? '_id' : key.startsWith('id.') ? `_id${key.slice(2)}` : key;
}

/** Plain data (stored or compared as is): no `$` key at any depth. */
export function checkLiteral(v: unknown, path: string): unknown {
  if (Array.isArray(v)) v.forEach((x, i) => checkLiteral(x, `${path}/${i}`));
  else if (isPlainObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k.startsWith('$')) fail(`${path}/${k}`, `operator ${k} is not allowed here`);
      if (k.includes('\0')) fail(`${path}/${k}`, 'invalid field name');
      checkLiteral(x, `${path}/${k}`);
    }
  } else if (v !== null && !['string', 'number', 'boolean'].includes(typeof v))
    fail(path, `unsupported value of type ${typeof v}`);
  return v;
}

function regex(v: unknown, path: string): Doc {
  if (typeof v !== 'string') fail(path, '$re takes a string (a regular expression)');
  try {
    new RegExp(v, 'i');
  } catch (err) {
    fail(path, `invalid regular expression: ${(err as Error).message}`);
  }
  return { $regex: v, $options: 'i' };
}

/** The condition on one field: a literal (equality) or an object of allowed operators. */
export function translateCondition(v: unknown, path: string): unknown {
  if (!isPlainObject(v) || !Object.keys(v).some((k) => k.startsWith('$'))) return checkLiteral(v, path);
  const out: Doc = {};
  for (const [op, arg] of Object.entries(v)) {
    const at = `${path}/${op}`;
    if (!op.startsWith('$')) fail(at, `field "${op}" mixed with operators; use one or the other`);
    if (COMPARISON.includes(op)) out[op] = checkLiteral(arg, at);
    else if (op === '$in' || op === '$nin') {
      if (!Array.isArray(arg)) fail(at, `${op} takes an array`);
      out[op] = checkLiteral(arg, at);
    } else if (op === '$re') Object.assign(out, regex(arg, at));
    else if (op === '$not') {
      if (!isPlainObject(arg) || !Object.keys(arg).every((k) => k.startsWith('$')) || Object.keys(arg).length === 0)
        fail(at, '$not takes an object of operators, e.g. { "$not": { "$gt": 5 } }');
      out.$not = translateCondition(arg, at);
    } else fail(at, `operator ${op} is not allowed in a matcher (allowed: ${MATCH_OPS.join(' ')})`);
  }
  return out;
}

export function translateMatcher(m: unknown, path: string): Doc {
  if (!isPlainObject(m)) fail(path, 'matcher must be an object');
  const out: Doc = {};
  for (const [k, v] of Object.entries(m)) {
    const at = `${path}/${k}`;
    if (k === '$or') {
      if (!Array.isArray(v) || v.length === 0) fail(at, '$or takes a non-empty array of matchers');
      out.$or = v.map((x, i) => translateMatcher(x, `${at}/${i}`));
    } else if (k.startsWith('$'))
      fail(at, `operator ${k} is not allowed in a matcher (allowed: ${MATCH_OPS.join(' ')})`);
    else out[fieldName(k, at)] = translateCondition(v, at);
  }
  return out;
}

function fieldList(v: unknown, path: string): string[] {
  if (typeof v === 'string') return [fieldName(v, path)];
  if (Array.isArray(v))
    return v.map((f, i) =>
      typeof f === 'string' ? fieldName(f, `${path}/${i}`) : fail(`${path}/${i}`, 'field name must be a string'),
    );
  if (isPlainObject(v)) return Object.keys(v).map((f) => fieldName(f, `${path}/${f}`));
  return fail(path, 'expected a field name, an array of field names or an object keyed by field');
}

/**
 * Update values: plain fields → $set; the listed operators map to MongoDB's ($add → $addToSet, $remove → $pull);
 * `$now` names fields set to the execution time (ms since epoch, like event `time`).
 */
export function translateUpdate(values: unknown, path: string): { update: Doc; nowFields: string[] } {
  if (!isPlainObject(values) || Object.keys(values).length === 0) fail(path, 'values must be a non-empty object');
  const update: Doc = {};
  const set: Doc = {};
  let nowFields: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    const at = `${path}/${k}`;
    if (!k.startsWith('$')) {
      const f = fieldName(k, at);
      if (!STAMPS.has(f)) set[f] = checkLiteral(v, at);
      continue;
    }
    const target = UPDATE_OPS[k];
    if (!target) fail(at, `operator ${k} is not allowed in values (allowed: ${Object.keys(UPDATE_OPS).join(' ')})`);
    if (k === '$now') {
      nowFields = fieldList(v, at);
      continue;
    }
    if (!isPlainObject(v) || Object.keys(v).length === 0) fail(at, `${k} takes an object of field → value`);
    const fields: Doc = {};
    for (const [f, x] of Object.entries(v)) {
      const fat = `${at}/${f}`;
      const name = fieldName(f, fat);
      if (STAMPS.has(name)) fail(fat, `${name} is managed by the persistence agent`);
      if (['$inc', '$mul'].includes(k) && typeof x !== 'number') fail(fat, `${k} takes numbers`);
      fields[name] = k === '$remove' ? translateCondition(x, fat) : checkLiteral(x, fat);
    }
    update[target] = fields;
  }
  if (Object.keys(set).length > 0) update.$set = set;
  return { update, nowFields };
}

/** A document for put/replace: `id` → `_id` (string or number), stamps dropped, no `$` keys. */
export function toDocument(values: unknown, path: string): Doc {
  if (!isPlainObject(values)) fail(path, 'a document must be an object');
  checkLiteral(values, path);
  const doc: Doc = {};
  for (const [k, v] of Object.entries(values)) {
    if (k === 'id') {
      if (typeof v !== 'string' && typeof v !== 'number') fail(`${path}/id`, 'id must be a string or a number');
      doc._id = v;
    } else if (!STAMPS.has(k)) doc[k] = v;
  }
  return doc;
}

export function translateSelector(sel: unknown, path: string): Doc | undefined {
  if (sel === undefined) return undefined;
  if (!isPlainObject(sel)) fail(path, 'selector must be { include?, exclude? }');
  for (const k of Object.keys(sel))
    if (k !== 'include' && k !== 'exclude') fail(`${path}/${k}`, 'unknown selector key');
  const include = sel.include === undefined ? [] : fieldList(sel.include, `${path}/include`);
  const exclude = sel.exclude === undefined ? [] : fieldList(sel.exclude, `${path}/exclude`);
  // MongoDB cannot mix inclusion and exclusion, except for _id.
  if (include.length > 0 && exclude.some((f) => f !== '_id'))
    fail(path, 'use include or exclude, not both (exclude may only add "id")');
  const projection: Doc = {};
  for (const f of include) projection[f] = 1;
  for (const f of exclude) projection[f] = 0;
  return Object.keys(projection).length > 0 ? projection : undefined;
}

export function translateCollector(
  c: unknown,
  path: string,
  maxResults: number,
): Pick<CompiledTask, 'sort' | 'skip' | 'limit'> {
  const out: Pick<CompiledTask, 'sort' | 'skip' | 'limit'> = { limit: maxResults };
  if (c === undefined) return out;
  if (!isPlainObject(c)) fail(path, 'collector must be { sort?, skip?, limit? }');
  const count = (v: unknown, at: string) =>
    Number.isInteger(v) && (v as number) >= 0 ? (v as number) : fail(at, 'must be an integer >= 0');
  for (const [k, v] of Object.entries(c)) {
    const at = `${path}/${k}`;
    if (k === 'skip') out.skip = count(v, at);
    else if (k === 'limit') out.limit = Math.min(count(v, at) || maxResults, maxResults);
    else if (k === 'sort') {
      if (!Array.isArray(v)) fail(at, 'sort takes an array of { field, desc? }');
      out.sort = v.map((s, i) => {
        if (!isPlainObject(s) || typeof s.field !== 'string') fail(`${at}/${i}`, 'expected { field, desc? }');
        return [fieldName(s.field, `${at}/${i}/field`), s.desc ? -1 : 1] as [string, 1 | -1];
      });
    } else fail(at, 'unknown collector key');
  }
  return out;
}

const COLLECTION = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}$/;
const DBNAME = /^[A-Za-z0-9_-]{1,63}$/;

export function compileTask(task: unknown, path: string, maxResults = 1000): CompiledTask {
  if (!isPlainObject(task)) fail(path, 'a task must be an object { op, params }');
  const { op, name, params, options } = task;
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op))
    fail(`${path}/op`, `op must be one of ${OPS.join(' ')}`);
  if (name !== undefined && typeof name !== 'string') fail(`${path}/name`, 'name must be a string');
  if (!isPlainObject(params)) fail(`${path}/params`, 'params is required', ErrorCodes.MISSING_ARGUMENT);
  const type = params.type;
  if (typeof type !== 'string' || !COLLECTION.test(type) || type.startsWith('system.'))
    fail(`${path}/params/type`, 'type (the collection) must be 1-120 letters, digits, _ . - and not system.*');
  const t: CompiledTask = { path, op: op as Op, collection: type };
  if (name !== undefined) t.name = name;
  if (options !== undefined) {
    if (!isPlainObject(options)) fail(`${path}/options`, 'options must be an object');
    if (options.dbname !== undefined) {
      if (typeof options.dbname !== 'string' || !DBNAME.test(options.dbname))
        fail(`${path}/options/dbname`, 'invalid database name');
      t.dbname = options.dbname;
    }
  }
  const need = (k: string) => {
    if (params[k] === undefined) fail(`${path}/params/${k}`, `${op} needs params.${k}`, ErrorCodes.MISSING_ARGUMENT);
  };
  const p = `${path}/params`;
  switch (t.op) {
    case 'put':
      need('values');
      t.many = Array.isArray(params.values);
      t.docs = (t.many ? (params.values as unknown[]) : [params.values]).map((v, i) =>
        toDocument(v, t.many ? `${p}/values/${i}` : `${p}/values`),
      );
      if (t.docs.length === 0) fail(`${p}/values`, 'nothing to put');
      break;
    case 'replace':
      need('matcher');
      need('values');
      t.filter = translateMatcher(params.matcher, `${p}/matcher`);
      t.docs = [toDocument(params.values, `${p}/values`)];
      delete t.docs[0]!._id; // the matched document keeps its id
      break;
    case 'update':
    case 'upsert': {
      need('matcher');
      need('values');
      t.filter = translateMatcher(params.matcher, `${p}/matcher`);
      Object.assign(t, translateUpdate(params.values, `${p}/values`));
      break;
    }
    case 'delete':
      // An explicit {} deletes everything; a forgotten matcher must not.
      need('matcher');
      t.filter = translateMatcher(params.matcher, `${p}/matcher`);
      break;
    case 'getOne':
    case 'get':
    case 'count':
      t.filter = params.matcher === undefined ? {} : translateMatcher(params.matcher, `${p}/matcher`);
      if (t.op !== 'count') {
        const projection = translateSelector(params.selector, `${p}/selector`);
        if (projection) t.projection = projection;
      }
      if (t.op === 'get') Object.assign(t, translateCollector(params.collector, `${p}/collector`, maxResults));
      break;
  }
  return t;
}

/** content.tasks → compiled items; a nested array is one group (a transaction where the server has them). */
export function compileTasks(tasks: unknown, maxResults = 1000): CompiledItem[] {
  if (tasks === undefined || tasks === null) fail('/', 'content.tasks is required', ErrorCodes.MISSING_ARGUMENT);
  if (!Array.isArray(tasks) || tasks.length === 0) fail('/', 'content.tasks must be a non-empty array');
  return tasks.map((item, i) => {
    if (!Array.isArray(item)) return compileTask(item, `/${i}`, maxResults);
    if (item.length === 0) fail(`/${i}`, 'an empty transaction');
    const group = item.map((t, j) =>
      Array.isArray(t) ? fail(`/${i}/${j}`, 'transactions do not nest') : compileTask(t, `/${i}/${j}`, maxResults),
    );
    const dbs = new Set(group.map((t) => t.dbname ?? ''));
    if (dbs.size > 1)
      fail(
        `/${i}`,
        'all tasks of a transaction must use the same options.dbname',
        ErrorCodes.ARGUMENT_VALIDATION_ERROR,
      );
    return group;
  });
}

/** A stored document as plain JSON for a reply: `_id` → `id`, ObjectId → hex, Date → ms since epoch. */
export function fromDocument(v: unknown, top = true): unknown {
  if (v instanceof Date) return v.getTime();
  if (Array.isArray(v)) return v.map((x) => fromDocument(x, false));
  if (typeof v === 'object' && v !== null) {
    const bson = (v as { _bsontype?: string })._bsontype;
    if (bson === 'ObjectId') return (v as { toHexString(): string }).toHexString();
    if (bson === 'Long' || bson === 'Int32' || bson === 'Double') return Number(v);
    if (bson) return String(v);
    const out: Doc = {};
    for (const [k, x] of Object.entries(v)) out[top && k === '_id' ? 'id' : k] = fromDocument(x, false);
    return out;
  }
  return v;
}
