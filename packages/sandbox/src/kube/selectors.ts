/*
 * Label and field selectors with the syntax of k8s.io/apimachinery/pkg/labels
 * and k8s.io/apimachinery/pkg/fields.
 */
import { badRequest } from './errors';

type Operator =
  | 'exists'
  | '!'
  | '='
  | '=='
  | '!='
  | 'in'
  | 'notin'
  | 'gt'
  | 'lt';

interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

/** A parsed label selector; `matches` tests a label map. */
export interface LabelSelector {
  readonly requirements: readonly Requirement[];
  matches(labels: Record<string, string> | undefined): boolean;
}

type Token =
  | { kind: 'id'; value: string }
  | { kind: 'op'; value: string }
  | { kind: 'eof' };

const SPECIAL = new Set([',', '(', ')', '!', '=', '<', '>']);

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '!' && input[i + 1] === '=') {
      tokens.push({ kind: 'op', value: '!=' });
      i += 2;
    } else if (c === '=' && input[i + 1] === '=') {
      tokens.push({ kind: 'op', value: '==' });
      i += 2;
    } else if (SPECIAL.has(c)) {
      tokens.push({ kind: 'op', value: c });
      i++;
    } else {
      let j = i;
      while (
        j < input.length &&
        !SPECIAL.has(input[j]) &&
        !/\s/.test(input[j])
      ) {
        j++;
      }
      tokens.push({ kind: 'id', value: input.slice(i, j) });
      i = j;
    }
  }
  tokens.push({ kind: 'eof' });
  return tokens;
}

function selectorError(detail: string): Error {
  return badRequest(`unable to parse requirement: ${detail}`);
}

/**
 * Parses a label selector such as `app=web,tier!=db,env in (a,b),!legacy`.
 * Throws a 400 `KubeApiError` for malformed input.
 */
export function parseLabelSelector(
  input: string | undefined | null,
): LabelSelector {
  const requirements: Requirement[] = [];
  const text = (input ?? '').trim();
  if (text) {
    const tokens = tokenize(text);
    let pos = 0;
    const peek = () => tokens[pos];
    const next = () => tokens[pos++];
    const expectId = (what: string): string => {
      const t = next();
      if (t.kind !== 'id') {
        throw selectorError(
          `found '${t.kind === 'eof' ? '' : t.value}', expected: ${what}`,
        );
      }
      return t.value;
    };
    for (;;) {
      let t = peek();
      if (t.kind === 'op' && t.value === '!') {
        next();
        const key = expectId("identifier after '!'");
        requirements.push({ key, operator: '!', values: [] });
      } else {
        const key = expectId('identifier');
        t = peek();
        if (t.kind === 'eof' || (t.kind === 'op' && t.value === ',')) {
          requirements.push({ key, operator: 'exists', values: [] });
        } else if (
          t.kind === 'id' &&
          (t.value === 'in' || t.value === 'notin')
        ) {
          next();
          const open = next();
          if (open.kind !== 'op' || open.value !== '(') {
            throw selectorError(
              `found '${'value' in open ? open.value : ''}', expected: '('`,
            );
          }
          const values: string[] = [];
          for (;;) {
            const v = peek();
            if (v.kind === 'id') {
              values.push(v.value);
              next();
            } else {
              values.push('');
            }
            const sep = next();
            if (sep.kind === 'op' && sep.value === ')') break;
            if (sep.kind !== 'op' || sep.value !== ',') {
              throw selectorError(
                `found '${
                  'value' in sep ? sep.value : ''
                }', expected: ',' or ')'`,
              );
            }
          }
          if (values.length === 1 && values[0] === '') {
            throw selectorError(
              `for 'in', 'notin' operators, values set can't be empty`,
            );
          }
          requirements.push({ key, operator: t.value as Operator, values });
        } else if (
          t.kind === 'op' &&
          ['=', '==', '!=', '<', '>'].includes(t.value)
        ) {
          next();
          const v = peek();
          let value = '';
          if (v.kind === 'id') {
            value = v.value;
            next();
          }
          let operator: Operator;
          if (t.value === '<') operator = 'lt';
          else if (t.value === '>') operator = 'gt';
          else operator = t.value as Operator;
          if (
            (operator === 'lt' || operator === 'gt') &&
            !/^-?\d+$/.test(value)
          ) {
            throw selectorError(
              `for 'Gt', 'Lt' operators, the value must be an integer`,
            );
          }
          requirements.push({ key, operator, values: [value] });
        } else {
          throw selectorError(
            `found '${
              'value' in t ? t.value : ''
            }', expected: in, notin, =, ==, !=, gt, lt`,
          );
        }
      }
      const sep = next();
      if (sep.kind === 'eof') break;
      if (sep.kind !== 'op' || sep.value !== ',') {
        throw selectorError(
          `found '${sep.value}', expected: ',' or 'end of string'`,
        );
      }
    }
  }
  return {
    requirements,
    matches(labels) {
      const l = labels ?? {};
      return requirements.every(r => {
        const has = Object.prototype.hasOwnProperty.call(l, r.key);
        const value = has ? String(l[r.key]) : undefined;
        switch (r.operator) {
          case 'exists':
            return has;
          case '!':
            return !has;
          case '=':
          case '==':
          case 'in':
            return has && r.values.includes(value!);
          case '!=':
          case 'notin':
            return !has || !r.values.includes(value!);
          case 'gt':
            return (
              has &&
              /^-?\d+$/.test(value!) &&
              Number(value) > Number(r.values[0])
            );
          case 'lt':
            return (
              has &&
              /^-?\d+$/.test(value!) &&
              Number(value) < Number(r.values[0])
            );
          default:
            return false;
        }
      });
    },
  };
}

/** A parsed field selector; `matches` tests an object. */
export interface FieldSelector {
  readonly terms: ReadonlyArray<{
    field: string;
    op: '=' | '!=';
    value: string;
  }>;
  matches(object: Record<string, any>): boolean;
  /** The value required for `field` by an `=` term, if any. */
  exact(field: string): string | undefined;
}

function splitUnescaped(input: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c === '\\' && i + 1 < input.length) {
      current += c + input[i + 1];
      i++;
    } else if (c === sep) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function unescapeFieldValue(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

/** The string form of a field of an object, for field selectors (`metadata.name`). */
function fieldValue(object: Record<string, any>, path: string): string {
  let cur: any = object;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = cur[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

/**
 * Parses a field selector such as `metadata.name=foo,metadata.namespace!=bar`.
 * Throws a 400 `KubeApiError` for malformed input.
 */
export function parseFieldSelector(
  input: string | undefined | null,
): FieldSelector {
  const terms: Array<{ field: string; op: '=' | '!='; value: string }> = [];
  const text = (input ?? '').trim();
  if (text) {
    for (const part of splitUnescaped(text, ',')) {
      const m = /^([^=!]+)(!=|==|=)(.*)$/.exec(part.trim());
      if (!m) {
        throw badRequest(
          `invalid selector: '${text}'; can't understand '${part}'`,
        );
      }
      terms.push({
        field: m[1].trim(),
        op: m[2] === '!=' ? '!=' : '=',
        value: unescapeFieldValue(m[3].trim()),
      });
    }
  }
  return {
    terms,
    matches(object) {
      return terms.every(t => {
        const v = fieldValue(object, t.field);
        return t.op === '=' ? v === t.value : v !== t.value;
      });
    },
    exact(field) {
      return terms.find(t => t.field === field && t.op === '=')?.value;
    },
  };
}
